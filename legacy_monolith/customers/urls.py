from django.urls import path
from rest_framework.routers import SimpleRouter

from legacy_monolith.customers import views

router = SimpleRouter()
router.register("customers/addresses", views.AddressViewSet, basename="address")

urlpatterns = [
    path("auth/register/", views.RegisterView.as_view(), name="register"),
    path("auth/token/", views.TokenView.as_view(), name="token"),
    path("customers/me/", views.MeView.as_view(), name="me"),
    *router.urls,
]
