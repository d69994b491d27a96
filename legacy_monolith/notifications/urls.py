from rest_framework.routers import SimpleRouter

from legacy_monolith.notifications import views

router = SimpleRouter()
router.register("notifications", views.NotificationViewSet, basename="notification")

urlpatterns = router.urls
