from django.apps import AppConfig


class OutboxConfig(AppConfig):
    """The transactional outbox, the inbox of applied events and per-entity versions."""

    name = "legacy_monolith.outbox"
    label = "outbox"
