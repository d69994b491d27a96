from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from rest_framework.routers import SimpleRouter

from extracted_services.catalog import api
from extracted_services.catalog.inbox import EventsInbox
from extracted_services.chassis.metrics import metrics_view

router = SimpleRouter()
router.register("catalog/categories", api.CategoryViewSet, basename="category")
router.register("catalog/products", api.ProductViewSet, basename="product")
router.register("reviews", api.ReviewViewSet, basename="review")


def health(request: HttpRequest) -> JsonResponse:
    """Liveness without the database, as the monolith's ``/health/``."""
    return JsonResponse({"status": "ok", "service": "catalog"})


urlpatterns = [
    path("health/", health),
    path("metrics", metrics_view),  # Prometheus, with the METRICS_TOKEN bearer
    path("api/", include(router.urls)),
    path("internal/events/", EventsInbox.as_view()),
]

handler400 = "extracted_services.catalog.errors.bad_request_view"
handler404 = "extracted_services.catalog.errors.not_found_view"
handler500 = "extracted_services.catalog.errors.server_error_view"
