from rest_framework.routers import SimpleRouter

from legacy_monolith.catalog import views

router = SimpleRouter()
router.register("catalog/categories", views.CategoryViewSet, basename="category")
router.register("catalog/products", views.ProductViewSet, basename="product")

urlpatterns = router.urls
