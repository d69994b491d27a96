"""Quotes, scheduling, dispatch and delivery of shipments."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from legacy_monolith.common.exceptions import Conflict
from legacy_monolith.common.utils import FREE_SHIPPING_THRESHOLD, money, new_reference
from legacy_monolith.inventory import services as inventory
from legacy_monolith.orders.models import Order, OrderEvent
from legacy_monolith.outbox import payloads
from legacy_monolith.outbox.recorder import record
from legacy_monolith.shipping.models import Carrier, Shipment

ETA_DAYS = {"DE": 2, "AT": 3, "FR": 4, "NL": 3}


def quote(address, weight_kg: float, subtotal: Decimal | None = None) -> list[dict]:
    """Every active carrier's price for that weight to that address, cheapest first."""
    free = subtotal is not None and subtotal >= FREE_SHIPPING_THRESHOLD
    rates = []
    for carrier in Carrier.objects.filter(is_active=True):
        cost = carrier.base_rate + carrier.per_kg_rate * Decimal(str(weight_kg))
        rates.append(
            {
                "carrier": carrier.code,
                "name": carrier.name,
                "cost": str(money(0) if free else money(cost)),
                "eta_days": ETA_DAYS.get(address.country, 6),
            }
        )
    return sorted(rates, key=lambda r: (Decimal(r["cost"]), r["carrier"]))


def schedule(order: Order, address, weight_kg: float) -> Shipment:
    rates = quote(address, weight_kg, order.subtotal)
    if not rates:
        raise Conflict("No carrier is available right now.")
    best = rates[0]
    reservation = order.reservations.select_related("stock_item").first()
    return Shipment.objects.create(
        order=order,
        carrier=Carrier.objects.get(code=best["carrier"]),
        warehouse_id=reservation.stock_item.warehouse_id if reservation else None,
        tracking_number=new_reference("TRK"),
        weight_kg=weight_kg,
        cost=Decimal(best["cost"]),
        scheduled_for=timezone.now() + timedelta(days=1),
    )


def cancel(order: Order) -> Shipment | None:
    shipment = Shipment.objects.filter(order=order).first()
    if shipment is None:
        return None
    if shipment.status not in (Shipment.Status.SCHEDULED,):
        raise Conflict(f"Shipment {shipment.tracking_number} is already {shipment.status}.")
    shipment.status = Shipment.Status.CANCELLED
    shipment.save(update_fields=["status"])
    return shipment


@transaction.atomic
def dispatch(shipment: Shipment, user=None) -> Shipment:
    if shipment.status != Shipment.Status.SCHEDULED:
        raise Conflict(
            f"Only a scheduled shipment can be dispatched; this one is {shipment.status}."
        )
    inventory.fulfil_order(shipment.order, user=user)
    shipment.status = Shipment.Status.DISPATCHED
    shipment.dispatched_at = timezone.now()
    shipment.save(update_fields=["status", "dispatched_at"])
    record("order", shipment.order_id, "shipment.sent", payloads.shipment_sent(shipment))
    note = f"dispatched {shipment.tracking_number}"
    _set_order_status(shipment.order, Order.Status.SHIPPED, note)
    return shipment


@transaction.atomic
def deliver(shipment: Shipment) -> Shipment:
    if shipment.status != Shipment.Status.DISPATCHED:
        raise Conflict(
            f"Only a dispatched shipment can be delivered; this one is {shipment.status}."
        )
    shipment.status = Shipment.Status.DELIVERED
    shipment.delivered_at = timezone.now()
    shipment.save(update_fields=["status", "delivered_at"])
    _set_order_status(shipment.order, Order.Status.DELIVERED, "delivered")
    return shipment


def _set_order_status(order: Order, status: str, note: str) -> None:
    order.status = status
    order.save(update_fields=["status"])
    OrderEvent.objects.create(order=order, kind=status, note=note, created_at=timezone.now())
