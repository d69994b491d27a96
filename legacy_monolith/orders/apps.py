from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "legacy_monolith.orders"
    label = "orders"

    def ready(self):
        from legacy_monolith.orders import signals  # noqa: F401  (registers receivers)
