"""Stock: availability, reservations, adjustments and fulfilment."""

from __future__ import annotations

from datetime import timedelta

from django.apps import apps
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from legacy_monolith.common.exceptions import Conflict, OutOfStock
from legacy_monolith.inventory.models import Reservation, StockItem, StockMovement

RESERVATION_TTL = timedelta(minutes=30)


def availability_of(product) -> dict:
    """What the product page shows: stock per warehouse."""
    rows = (
        StockItem.objects.filter(product=product, warehouse__is_active=True)
        .select_related("warehouse")
        .order_by("warehouse__priority", "warehouse__code")
    )
    per_warehouse = [
        {"warehouse": r.warehouse.code, "city": r.warehouse.city, "available": r.available}
        for r in rows
    ]
    in_stock_at = {r["warehouse"] for r in per_warehouse if r["available"] > 0}
    return {
        "product": product.pk,
        "sku": product.sku,
        "available": sum(max(r["available"], 0) for r in per_warehouse),
        # Built from a set: the order of this list is not guaranteed.
        "warehouses": list(in_stock_at),
        "stock": per_warehouse,
        "checked_at": timezone.now().isoformat(),
    }


@transaction.atomic
def reserve(product_id: int, quantity: int, *, customer, order=None) -> Reservation:
    """Reserve ``quantity`` from the first warehouse (by priority) that has enough."""
    # Loaded by name "to avoid a circular import" (inventory <- catalog -> inventory).
    Product = apps.get_model("catalog", "Product")
    product = Product.objects.get(pk=product_id)
    candidates = (
        StockItem.objects.select_for_update(of=("self",))
        .filter(product=product, warehouse__is_active=True)
        .select_related("warehouse")
        .order_by("warehouse__priority", "warehouse__code")
    )
    list(candidates)  # lock the product's stock in one fixed order before anything else
    if release_expired(product_id=product.pk):  # their stock counts as available again
        candidates = candidates.all()
    for item in candidates:
        if item.available >= quantity:
            StockItem.objects.filter(pk=item.pk).update(reserved=F("reserved") + quantity)
            return Reservation.objects.create(
                product=product,
                stock_item=item,
                quantity=quantity,
                customer=customer,
                order=order,
                expires_at=None if order else timezone.now() + RESERVATION_TTL,
            )
    total = sum(max(i.available, 0) for i in candidates)
    raise OutOfStock(
        f"Not enough stock for {product.sku} ({product.name}): "
        f"asked for {quantity}, {total} available."
    )


@transaction.atomic
def release(reservation: Reservation) -> Reservation:
    if reservation.status != Reservation.Status.ACTIVE:
        raise Conflict(f"Reservation {reservation.pk} is already {reservation.status}.")
    StockItem.objects.filter(pk=reservation.stock_item_id).update(
        reserved=F("reserved") - reservation.quantity
    )
    reservation.status = Reservation.Status.RELEASED
    reservation.save(update_fields=["status"])
    return reservation


@transaction.atomic
def release_expired(*, product_id: int | None = None, now=None) -> int:
    """Release the cart-less reservations whose time is up (all, or one product's); returns
    how many. ``reserve`` calls it for its product; ``manage.py release_expired_reservations``
    sweeps them all, as a cron job would."""
    expired = Reservation.objects.filter(
        status=Reservation.Status.ACTIVE,
        order__isnull=True,
        expires_at__lt=now or timezone.now(),
    )
    if product_id is not None:
        expired = expired.filter(product_id=product_id)
    released = 0
    for reservation in expired.order_by("id"):
        release(reservation)
        released += 1
    return released


def release_for_order(order) -> int:
    active = list(order.reservations.filter(status=Reservation.Status.ACTIVE))
    for reservation in active:
        release(reservation)
    return len(active)


@transaction.atomic
def fulfil_order(order, user=None) -> None:
    """Stock leaves the warehouse: on-hand and reserved both go down."""
    now = timezone.now()
    for reservation in order.reservations.filter(status=Reservation.Status.ACTIVE):
        StockItem.objects.filter(pk=reservation.stock_item_id).update(
            quantity=F("quantity") - reservation.quantity,
            reserved=F("reserved") - reservation.quantity,
        )
        StockMovement.objects.create(
            stock_item_id=reservation.stock_item_id,
            kind=StockMovement.Kind.SHIPMENT,
            delta=-reservation.quantity,
            reason=f"order {order.number}",
            created_at=now,
            created_by=user,
        )
        reservation.status = Reservation.Status.FULFILLED
        reservation.save(update_fields=["status"])


@transaction.atomic
def adjust(stock_item: StockItem, delta: int, reason: str, user=None) -> StockItem:
    item = StockItem.objects.select_for_update().get(pk=stock_item.pk)
    if item.quantity + delta < item.reserved:
        raise Conflict(
            f"Cannot take {-delta} off stock item {item.pk}: {item.quantity} on hand, "
            f"{item.reserved} reserved."
        )
    item.quantity += delta
    item.save(update_fields=["quantity"])
    kind = StockMovement.Kind.RECEIPT if delta > 0 else StockMovement.Kind.ADJUSTMENT
    StockMovement.objects.create(
        stock_item=item,
        kind=kind,
        delta=delta,
        reason=reason,
        created_at=timezone.now(),
        created_by=user,
    )
    return item
