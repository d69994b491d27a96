from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from extracted_services.chassis.metrics import metrics_view

api = [
    path("", include("legacy_monolith.customers.urls")),
    path("", include("legacy_monolith.catalog.urls")),
    path("", include("legacy_monolith.inventory.urls")),
    path("", include("legacy_monolith.orders.urls")),
    path("", include("legacy_monolith.payments.urls")),
    path("", include("legacy_monolith.shipping.urls")),
    path("", include("legacy_monolith.reviews.urls")),
    path("", include("legacy_monolith.notifications.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),  # the OpenAPI contract
]

urlpatterns = [
    path("", include("legacy_monolith.common.urls")),  # /health/ and /health/db/
    path("metrics", metrics_view),  # Prometheus, with the METRICS_TOKEN bearer (issue 11)
    path("", include("legacy_monolith.identity.urls")),  # JWKS, /api/auth/jwt/ (issue 10)
    path("", include("legacy_monolith.outbox.urls")),  # /internal/events/ (issue 10)
    path("api/", include(api)),
    path("api-auth/", include("rest_framework.urls")),  # session login for the browsable API
]

handler400 = "legacy_monolith.common.exceptions.bad_request_view"
handler403 = "legacy_monolith.common.exceptions.permission_denied_view"
handler404 = "legacy_monolith.common.exceptions.not_found_view"
handler500 = "legacy_monolith.common.exceptions.server_error_view"
