"""Charging and refunding.

Imports ``orders.models`` at module level while ``orders.services`` imports this module
inside its functions: the orders <-> payments import cycle everybody knows about.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from legacy_monolith.common.exceptions import Conflict, PaymentDeclined
from legacy_monolith.common.utils import money, new_reference
from legacy_monolith.orders.models import Order, OrderEvent
from legacy_monolith.outbox import payloads
from legacy_monolith.outbox.recorder import record
from legacy_monolith.payments.models import Payment, Refund

DECLINING_METHODS = {Payment.Method.DECLINED_CARD}


def charge(order: Order, amount: Decimal, method: str) -> Payment:
    """Talk to the "payment gateway" (a rule: ``declined-card`` is always declined)."""
    if method in DECLINING_METHODS:
        raise PaymentDeclined(
            f"The payment of {money(amount)} EUR with {method!r} was declined by the bank."
        )
    return Payment.objects.create(order=order, method=method, amount=money(amount))


@transaction.atomic
def refund(payment: Payment, amount: Decimal | None = None, reason: str = "") -> Refund:
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    remaining = payment.amount - payment.refunded_amount
    if remaining <= 0:
        raise Conflict(f"Payment {payment.pk} is already fully refunded.")
    amount = remaining if amount is None else money(amount)
    if amount > remaining:
        raise ValidationError({"amount": [f"At most {remaining} can still be refunded."]})
    refund = Refund.objects.create(
        payment=payment, amount=amount, reason=reason, reference=new_reference("REF")
    )
    payment.refunded_amount += amount
    fully = payment.refunded_amount >= payment.amount
    payment.status = Payment.Status.REFUNDED if fully else Payment.Status.PARTIALLY_REFUNDED
    payment.save(update_fields=["refunded_amount", "status"])
    order = payment.order
    OrderEvent.objects.create(
        order=order, kind="refund", note=f"{amount} refunded", created_at=timezone.now()
    )
    record("order", order.pk, "payment.refunded", payloads.payment_refunded(refund))
    if fully and order.status not in (Order.Status.CANCELLED, Order.Status.REFUNDED):
        order.status = Order.Status.REFUNDED
        order.save(update_fields=["status"])
    return refund
