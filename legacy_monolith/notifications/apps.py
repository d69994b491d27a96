from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "legacy_monolith.notifications"
    label = "notifications"

    def ready(self):
        from legacy_monolith.notifications import signals  # noqa: F401  (registers receivers)
