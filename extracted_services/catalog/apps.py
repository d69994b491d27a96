from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "extracted_services.catalog"
    label = "catalog"
    default_auto_field = "django.db.models.BigAutoField"
