"""Serializer fields the apps share."""

from decimal import Decimal

from rest_framework import serializers


class MoneyField(serializers.DecimalField):
    """Euros with cents, rendered as a string ("12.50"), never negative."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("min_value", Decimal("0.01"))
        super().__init__(**kwargs)
