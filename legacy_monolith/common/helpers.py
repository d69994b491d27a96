"""Cross-app helpers that grew here because "common" was the one place everyone could import.

It reaches into customers, orders, catalog, inventory and shipping through
``apps.get_model`` so that it never has a (visible) import cycle: a god module in disguise.
"""

from __future__ import annotations

from decimal import Decimal

from django.apps import apps
from django.shortcuts import get_object_or_404

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


def active_product_or_404(pk):
    Product = apps.get_model("catalog", "Product")
    return get_object_or_404(Product, pk=pk, is_active=True)


def own_address_or_404(customer, pk):
    Address = apps.get_model("customers", "Address")
    return get_object_or_404(Address, pk=pk, customer=customer)


def cart_subtotal(cart) -> Decimal:
    return money(sum((i.product.price * i.quantity for i in cart.items.all()), Decimal(0)))


def cart_weight(cart) -> float:
    return round(sum(i.product.weight_kg * i.quantity for i in cart.items.all()), 3)


def stock_summary(product) -> dict:
    StockItem = apps.get_model("inventory", "StockItem")
    rows = StockItem.objects.filter(product=product, warehouse__is_active=True)
    return {"on_hand": sum(r.quantity for r in rows), "reserved": sum(r.reserved for r in rows)}


def open_shipments_for(customer) -> int:
    Shipment = apps.get_model("shipping", "Shipment")
    return Shipment.objects.filter(
        order__customer=customer, status__in=["scheduled", "dispatched"]
    ).count()
