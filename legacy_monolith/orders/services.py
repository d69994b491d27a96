"""Checkout and cancellation: the god module.

One function here touches customers, catalog, inventory, payments, shipping and
notifications, all inside one ``transaction.atomic``. Any failure (out of stock, a
declined card) rolls back the order, its lines, the reservations, the payment, the
shipment, the notifications and the order events (the outbox) together.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from legacy_monolith.common.exceptions import Conflict, EmptyCart
from legacy_monolith.common.helpers import cart_for, cart_weight, customer_for
from legacy_monolith.common.utils import money, vat_of
from legacy_monolith.customers.models import Address, Customer
from legacy_monolith.inventory import services as inventory
from legacy_monolith.notifications.services import notify
from legacy_monolith.orders.models import Order, OrderEvent, OrderLine
from legacy_monolith.outbox import payloads
from legacy_monolith.outbox.recorder import record
from legacy_monolith.shipping import services as shipping


@transaction.atomic
def checkout(user, address_id: int, payment_method: str) -> Order:
    # payments.services imports orders.models at import time, so import it late.
    from legacy_monolith.payments import services as payments

    customer = customer_for(user)
    cart = cart_for(customer)
    items = list(cart.items.select_related("product").order_by("id"))
    if not items:
        raise EmptyCart("Your cart is empty; add products before checking out.")
    address = Address.objects.filter(pk=address_id, customer=customer).first()
    if address is None:
        raise ValidationError({"address": [f"Address {address_id} is not one of yours."]})
    inactive = [i.product.sku for i in items if not i.product.is_active]
    if inactive:
        raise ValidationError({"cart": [f"No longer sold: {', '.join(inactive)}."]})

    now = timezone.now()
    order = Order.objects.create(
        customer=customer,
        shipping_address=address,
        shipping_address_text=address.one_line(),
        placed_at=now,
    )
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            product=item.product,
            product_name=item.product.name,
            quantity=item.quantity,
            unit_price=item.product.price,
            line_total=money(item.product.price * item.quantity),
        )
        for item in items
    )
    # Lock stock rows in one global order (by product) so that concurrent checkouts of
    # the same products cannot deadlock on PostgreSQL.
    for item in sorted(items, key=lambda i: i.product_id):
        inventory.reserve(item.product_id, item.quantity, customer=customer, order=order)

    subtotal = money(sum((i.product.price * i.quantity for i in items), Decimal(0)))
    weight = cart_weight(cart)
    rates = shipping.quote(address, weight, subtotal)
    order.subtotal = subtotal
    order.shipping_cost = Decimal(rates[0]["cost"]) if rates else Decimal(0)
    order.tax = vat_of(subtotal)
    order.total = money(order.subtotal + order.shipping_cost)

    record("order", order.pk, "order.placed", payloads.order_placed(order))
    payment = payments.charge(order, order.total, payment_method)
    record("order", order.pk, "payment.captured", payloads.payment_captured(payment))
    order.status = Order.Status.PAID  # saved below: order.status_changed (orders/signals.py)
    order.save(update_fields=["subtotal", "shipping_cost", "tax", "total", "status"])
    shipping.schedule(order, address, weight)
    OrderEvent.objects.bulk_create(
        [
            OrderEvent(order=order, kind="placed", created_at=now),
            OrderEvent(
                order=order, kind="paid", note=f"payment {payment.transaction_id}", created_at=now
            ),
        ]
    )
    notify(customer, "payment_receipt", order=order, number=order.number, amount=order.total)
    Customer.objects.filter(pk=customer.pk).update(
        loyalty_points=F("loyalty_points") + int(order.total)
    )
    cart.items.all().delete()
    return order


CANCELLABLE = (Order.Status.PLACED, Order.Status.PAID)


@transaction.atomic
def cancel(order: Order, reason: str = "cancelled by customer") -> Order:
    """Release the stock, cancel the shipment, refund the payments."""
    from legacy_monolith.payments import services as payments
    from legacy_monolith.payments.models import Payment

    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status not in CANCELLABLE:
        raise Conflict(
            f"Order {order.number} is {order.status}; only placed or paid orders can be cancelled."
        )
    shipping.cancel(order)
    inventory.release_for_order(order)
    order.status = Order.Status.CANCELLED
    order.save(update_fields=["status"])
    record("order", order.pk, "order.cancelled", payloads.order_cancelled(order))
    refundable = order.payments.exclude(status=Payment.Status.REFUNDED)
    for payment in refundable:
        payments.refund(payment, reason=reason)
    OrderEvent.objects.create(order=order, kind="cancelled", note=reason, created_at=timezone.now())
    return order
