from django.apps import AppConfig


class IdentityConfig(AppConfig):
    """The ID provider: signing keys, the JWKS and the JWT endpoints."""

    name = "legacy_monolith.identity"
    label = "identity"
