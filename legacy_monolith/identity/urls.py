from django.urls import path

from legacy_monolith.identity import views

urlpatterns = [
    path(".well-known/jwks.json", views.JwksView.as_view(), name="jwks"),
    path("api/auth/jwt/", views.TokenView.as_view(), name="jwt"),
    path("api/auth/jwt/exchange/", views.ExchangeView.as_view(), name="jwt-exchange"),
]
