"""Event payloads: an entity's full state at database level (DESIGN section 4).

Decimals travel as strings, datetimes as ISO 8601 UTC with ``Z``:

>>> from decimal import Decimal
>>> from datetime import UTC, datetime
>>> decimal_text(Decimal("12.5"))
'12.50'
>>> iso(datetime(2026, 12, 1, 11, 2, 3, 123456, tzinfo=UTC))
'2026-12-01T11:02:03.123456Z'
>>> iso(None) is None
True
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

from legacy_monolith.catalog.models import Category, Product
from legacy_monolith.common.utils import money
from legacy_monolith.reviews.models import Review


def decimal_text(value: Decimal) -> str:
    return str(money(value))


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# -- catalog: read from the database by id (None once the row is gone) ---------------------


def category_state(category_id: int) -> dict | None:
    category = Category.objects.filter(pk=category_id).first()
    if category is None:
        return None
    return {
        "id": category.pk,
        "name": category.name,
        "slug": category.slug,
        "parent_id": category.parent_id,
        "description": category.description,
        "created_at": iso(category.created_at),
        "updated_at": iso(category.updated_at),
    }


def product_state(product_id: int) -> dict | None:
    product = Product.objects.filter(pk=product_id).first()
    if product is None:
        return None
    return {
        "id": product.pk,
        "sku": product.sku,
        "name": product.name,
        "description": product.description,
        "category_id": product.category_id,
        "tags": sorted(product.tags.values_list("name", flat=True)),
        "price": decimal_text(product.price),
        "weight_kg": product.weight_kg,
        "is_active": product.is_active,
        "rating_avg": product.rating_avg,
        "rating_count": product.rating_count,
        "created_at": iso(product.created_at),
        "updated_at": iso(product.updated_at),
        "price_history": [
            {
                "id": row.pk,
                "price": decimal_text(row.price),
                "changed_at": iso(row.changed_at),
                "reason": row.reason,
            }
            for row in product.price_history.order_by("-changed_at", "-id")
        ],
    }


def review_state(review_id: int) -> dict | None:
    review = Review.objects.select_related("author__user").filter(pk=review_id).first()
    if review is None:
        return None
    return {
        "id": review.pk,
        "product_id": review.product_id,
        "author_id": review.author_id,
        "author": review.author.user.username,
        "rating": review.rating,
        "title": review.title,
        "body": review.body,
        "helpful_count": review.helpful_count,
        "verified_purchase": review.verified_purchase,
        "created_at": iso(review.created_at),
        "updated_at": iso(review.updated_at),
        "votes": [
            {"voter_id": vote.voter_id, "created_at": iso(vote.created_at)}
            for vote in review.votes.order_by("voter_id")
        ],
    }


#: aggregatetype -> its full state by id (the ``<type>.upserted`` payload)
STATES: dict[str, Callable[[int], dict | None]] = {
    "category": category_state,
    "product": product_state,
    "review": review_state,
}


# -- the order lifecycle: built from the objects the services hold --------------------------


def _order_ref(order) -> dict:
    return {"order_id": order.pk, "number": str(order.number), "customer_id": order.customer_id}


def order_placed(order) -> dict:
    user = order.customer.user
    return {
        **_order_ref(order),
        "user_id": user.pk,
        "username": user.username,
        "email": user.email,
        "status": order.status,
        "total": decimal_text(order.total),
        "placed_at": iso(order.placed_at),
        "lines": [
            {
                "product_id": line.product_id,
                "quantity": line.quantity,
                "unit_price": decimal_text(line.unit_price),
            }
            for line in order.lines.order_by("id")
        ],
    }


def payment_captured(payment) -> dict:
    return {
        **_order_ref(payment.order),
        "amount": decimal_text(payment.amount),
        "method": payment.method,
    }


def order_status_changed(order) -> dict:
    return {**_order_ref(order), "status": order.status}


def order_cancelled(order) -> dict:
    return _order_ref(order)


def payment_refunded(refund) -> dict:
    return {
        **_order_ref(refund.payment.order),
        "amount": decimal_text(refund.amount),
        "reference": refund.reference,
    }


def shipment_sent(shipment) -> dict:
    return {
        **_order_ref(shipment.order),
        "tracking_number": shipment.tracking_number,
        "carrier": shipment.carrier.code,
    }
