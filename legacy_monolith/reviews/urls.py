from rest_framework.routers import SimpleRouter

from legacy_monolith.reviews import views

router = SimpleRouter()
router.register("reviews", views.ReviewViewSet, basename="review")

urlpatterns = router.urls
