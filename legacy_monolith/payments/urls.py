from rest_framework.routers import SimpleRouter

from legacy_monolith.payments import views

router = SimpleRouter()
router.register("payments", views.PaymentViewSet, basename="payment")

urlpatterns = router.urls
