from django.db import connection
from django.http import JsonResponse
from django.urls import include, path

from legacy_monolith.common.exceptions import error_body


def health(request):
    """Cheap liveness: no database."""
    return JsonResponse({"status": "ok"})


def health_db(request):
    """Readiness: the database answers."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any driver error means "not ready"
        body = error_body(503, "database_unavailable", f"Database unavailable: {exc}")
        return JsonResponse(body, status=503)
    return JsonResponse({"status": "ok", "database": connection.vendor})


api = [
    path("", include("legacy_monolith.customers.urls")),
    path("", include("legacy_monolith.catalog.urls")),
    path("", include("legacy_monolith.inventory.urls")),
    path("", include("legacy_monolith.orders.urls")),
    path("", include("legacy_monolith.payments.urls")),
    path("", include("legacy_monolith.shipping.urls")),
    path("", include("legacy_monolith.reviews.urls")),
    path("", include("legacy_monolith.notifications.urls")),
]

urlpatterns = [
    path("health/", health, name="health"),
    path("health/db/", health_db, name="health-db"),
    path("api/", include(api)),
    path("api-auth/", include("rest_framework.urls")),
]

handler400 = "legacy_monolith.common.exceptions.bad_request_view"
handler403 = "legacy_monolith.common.exceptions.permission_denied_view"
handler404 = "legacy_monolith.common.exceptions.not_found_view"
handler500 = "legacy_monolith.common.exceptions.server_error_view"
