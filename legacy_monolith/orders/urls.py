from django.urls import path
from rest_framework.routers import SimpleRouter

from legacy_monolith.orders import views

router = SimpleRouter()
router.register("orders", views.OrderViewSet, basename="order")

cart_item = views.CartItemDetailView.as_view({"patch": "partial_update", "delete": "destroy"})

urlpatterns = [
    path("orders/cart/", views.CartView.as_view(), name="cart"),
    path("orders/cart/items/", views.CartItemsView.as_view(), name="cart-items"),
    path("orders/cart/items/<int:pk>/", cart_item, name="cart-item"),
    path("orders/cart/clear/", views.CartClearView.as_view(), name="cart-clear"),
    path("orders/checkout/", views.CheckoutView.as_view(), name="checkout"),
    *router.urls,
]
