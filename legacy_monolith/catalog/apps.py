from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "legacy_monolith.catalog"
    label = "catalog"

    def ready(self):
        from legacy_monolith.catalog import signals  # noqa: F401  (registers receivers)
