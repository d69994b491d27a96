from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "legacy_monolith.common"
    label = "common"
    verbose_name = "Shared bits everyone imports"
