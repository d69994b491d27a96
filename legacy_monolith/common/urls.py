from django.urls import path

from legacy_monolith.common import views

urlpatterns = [
    path("health/", views.health, name="health"),
    path("health/db/", views.health_db, name="health-db"),
]
