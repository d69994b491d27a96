from rest_framework.routers import SimpleRouter

from legacy_monolith.inventory import views

router = SimpleRouter()
router.register("inventory/warehouses", views.WarehouseViewSet, basename="warehouse")
router.register("inventory/stock", views.StockItemViewSet, basename="stock")
router.register("inventory/reservations", views.ReservationViewSet, basename="reservation")

urlpatterns = router.urls
