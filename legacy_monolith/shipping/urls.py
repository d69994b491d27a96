from django.urls import path
from rest_framework.routers import SimpleRouter

from legacy_monolith.shipping import views

router = SimpleRouter()
router.register("shipping/shipments", views.ShipmentViewSet, basename="shipment")

urlpatterns = [
    path("shipping/rates/", views.RatesView.as_view(), name="shipping-rates"),
    *router.urls,
]
