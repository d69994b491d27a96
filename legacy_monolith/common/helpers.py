"""Cross-app helpers that grew here because "common" was the one place everyone could import.

It reaches into customers, orders and shipping through ``apps.get_model`` (and into the
catalog through cart items) so that it never shows an import cycle: every app imports it,
and it quietly depends on half of them.
"""

from __future__ import annotations

from decimal import Decimal

from django.apps import apps

from legacy_monolith.common.utils import money


def customer_for(user):
    """The user's customer profile, created on first use (staff made by createsuperuser)."""
    Customer = apps.get_model("customers", "Customer")
    customer, _ = Customer.objects.get_or_create(user=user)
    return customer


def cart_for(customer):
    Cart = apps.get_model("orders", "Cart")
    cart, _ = Cart.objects.get_or_create(customer=customer)
    return cart


def cart_subtotal(cart) -> Decimal:
    return money(sum((i.product.price * i.quantity for i in cart.items.all()), Decimal(0)))


def cart_weight(cart) -> float:
    return round(sum(i.product.weight_kg * i.quantity for i in cart.items.all()), 3)


def open_shipments_for(customer) -> int:
    Shipment = apps.get_model("shipping", "Shipment")
    return Shipment.objects.filter(
        order__customer=customer, status__in=["scheduled", "dispatched"]
    ).count()
