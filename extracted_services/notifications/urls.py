from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from rest_framework.routers import SimpleRouter

from extracted_services.chassis.metrics import metrics_view
from extracted_services.notifications import api, events_api

router = SimpleRouter()
router.register("notifications", api.NotificationViewSet, basename="notification")


def health(request: HttpRequest) -> JsonResponse:
    """Liveness without the database, as the monolith's ``/health/``."""
    return JsonResponse({"status": "ok", "service": "notifications"})


urlpatterns = [
    path("health/", health),
    path("metrics", metrics_view),  # Prometheus, with the METRICS_TOKEN bearer
    path("internal/events/", events_api.EventsView.as_view()),
    path("api/", include(router.urls)),
]

handler400 = "extracted_services.notifications.errors.bad_request_view"
handler404 = "extracted_services.notifications.errors.not_found_view"
handler500 = "extracted_services.notifications.errors.server_error_view"
