from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "legacy_monolith.reviews"
    label = "reviews"

    def ready(self):
        from legacy_monolith.reviews import signals  # noqa: F401  (registers receivers)
