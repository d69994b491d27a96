"""The ``Purchase`` projection's starting state: the monolith's existing orders, read through
its public API (``/api/orders/``: a staff token lists every customer's), one row per product
on an order with the order's customer and status. From then on ``order.placed`` and
``order.status_changed`` events keep it current (``applying``). Like the rest of the
backfill it is idempotent (keyed by order and product, written only when it differs) and
resumable; each order also gets its ``entity_version`` row at version 0 unless an event
already brought it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction

from extracted_services.catalog.models import EntityVersion, Purchase

if TYPE_CHECKING:  # backfill calls this module
    from extracted_services.catalog.backfill import MonolithPages, Progress, Tally


def lines_of(order: dict[str, Any]) -> dict[tuple[int, int], dict[str, Any]]:
    """``(order id, product id)`` -> the row's values, from one order of the API."""
    return {
        (int(order["id"]), int(line["product"])): {
            "customer_id": order["customer"],
            "status": order["status"],
        }
        for line in order["lines"]
    }


def copy_purchases(pages: MonolithPages, tally: Tally, progress: Progress) -> None:
    for page in pages.pages("/api/orders/"):
        with transaction.atomic():
            for order in page["results"]:
                for (order_id, product_id), values in lines_of(order).items():
                    current = (
                        Purchase.objects.filter(order_id=order_id, product_id=product_id)
                        .values("customer_id", "status")
                        .first()
                    )
                    if current == values:
                        tally.unchanged += 1
                        continue
                    Purchase.objects.update_or_create(
                        order_id=order_id, product_id=product_id, defaults=values
                    )
                    if current is None:
                        tally.created += 1
                    else:
                        tally.updated += 1
            EntityVersion.objects.bulk_create(
                (
                    EntityVersion(
                        aggregatetype="order",
                        aggregateid=str(order["id"]),
                        version=0,
                        origin="monolith",
                    )
                    for order in page["results"]
                ),
                ignore_conflicts=True,
            )
        progress("purchases", tally.seen, int(page.get("count") or tally.seen))
