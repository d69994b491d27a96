"""Applying other producers' events (DESIGN §2/§4/§5): the monolith's catalog events while
it owns the catalog, and its order events for the ``Purchase`` projection.

Each event is applied in its own transaction with its inbox row (``duplicate`` when the row
exists) and its entity's version (``stale`` unless ``(version, origin)`` is newer; deletes
keep the version row as a tombstone). Applying never records an event (no echo), and
events this service produced (origin ``catalog``) are ``ignored``. An event that can never
apply is ``rejected`` with the field at fault; the rest of the batch still applies.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.management.color import no_style
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from extracted_services.catalog import wire
from extracted_services.catalog.models import (
    Category,
    EntityVersion,
    Inbox,
    PriceHistory,
    Product,
    Purchase,
    Review,
    ReviewVote,
)
from extracted_services.catalog.outbox import ORIGIN
from extracted_services.catalog.wire import (
    Poison,
    boolean,
    decimal,
    integer,
    moment,
    names,
    number,
    optional,
    rows,
    text,
)
from extracted_services.chassis import spans

CONSUMER = "catalog"

Apply = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class Handler:
    schema: Mapping[str, wire.Converter]
    apply: Apply
    id_field: str = "id"


def upsert_category(p: dict[str, Any]) -> None:
    Category.objects.update_or_create(id=p.pop("id"), defaults=p)


def delete_category(p: dict[str, Any]) -> None:
    Category.objects.filter(parent_id=p["id"]).update(parent=None)  # the monolith's SET_NULL
    Category.objects.filter(pk=p["id"]).delete()


def upsert_product(p: dict[str, Any]) -> None:
    history = p.pop("price_history")
    product, _ = Product.objects.update_or_create(id=p.pop("id"), defaults=p)
    PriceHistory.objects.filter(product=product).exclude(id__in=[r["id"] for r in history]).delete()
    for row in history:
        PriceHistory.objects.update_or_create(
            id=row.pop("id"), defaults={**row, "product": product}
        )


def delete_product(p: dict[str, Any]) -> None:
    Review.objects.filter(product_id=p["id"]).delete()  # the monolith's CASCADE
    Product.objects.filter(pk=p["id"]).delete()


def upsert_review(p: dict[str, Any]) -> None:
    votes = p.pop("votes")
    review, _ = Review.objects.update_or_create(id=p.pop("id"), defaults=p)
    review.votes.all().delete()
    ReviewVote.objects.bulk_create(ReviewVote(review=review, **vote) for vote in votes)


def delete_review(p: dict[str, Any]) -> None:
    Review.objects.filter(pk=p["id"]).delete()


def order_placed(p: dict[str, Any]) -> None:
    for line in p["lines"]:
        Purchase.objects.update_or_create(
            order_id=p["order_id"],
            product_id=line["product_id"],
            defaults={"customer_id": p["customer_id"], "status": p["status"]},
        )


def order_status_changed(p: dict[str, Any]) -> None:
    Purchase.objects.filter(order_id=p["order_id"]).update(status=p["status"])


STAMPS = {"created_at": moment, "updated_at": moment}

HANDLERS: Mapping[tuple[str, str], Handler] = {
    ("category", "category.upserted"): Handler(
        {
            "id": integer,
            "name": text,
            "slug": text,
            "parent_id": optional(integer),
            "description": text,
            **STAMPS,
        },
        upsert_category,
    ),
    ("category", "category.deleted"): Handler({"id": integer}, delete_category),
    ("product", "product.upserted"): Handler(
        {
            "id": integer,
            "sku": text,
            "name": text,
            "description": text,
            "category_id": integer,
            "tags": names,
            "price": decimal,
            "weight_kg": number,
            "is_active": boolean,
            "rating_avg": optional(number),
            "rating_count": integer,
            **STAMPS,
            "price_history": rows(
                {"id": integer, "price": decimal, "changed_at": moment, "reason": text}
            ),
        },
        upsert_product,
    ),
    ("product", "product.deleted"): Handler({"id": integer}, delete_product),
    ("review", "review.upserted"): Handler(
        {
            "id": integer,
            "product_id": integer,
            "author_id": optional(integer),
            "author": text,
            "rating": integer,
            "title": text,
            "body": text,
            "helpful_count": integer,
            "verified_purchase": boolean,
            **STAMPS,
            "votes": rows({"voter_id": integer, "created_at": moment}),
        },
        upsert_review,
    ),
    ("review", "review.deleted"): Handler({"id": integer, "product_id": integer}, delete_review),
    ("order", "order.placed"): Handler(
        {
            "order_id": integer,
            "customer_id": optional(integer),
            "status": text,
            "lines": rows({"product_id": integer}),
        },
        order_placed,
        id_field="order_id",
    ),
    ("order", "order.status_changed"): Handler(
        {"order_id": integer, "status": text}, order_status_changed, id_field="order_id"
    ),
}


def outcome(outcome: str, event_id: str, reason: str = "") -> dict[str, str]:
    result = {"id": event_id, "outcome": outcome}
    if reason:
        result["reason"] = reason
    return result


def apply_one(raw: Any) -> dict[str, str]:
    """One event's outcome: applied, duplicate, stale, ignored or rejected (with a reason)."""
    raw_id = str(raw.get("id", "")) if isinstance(raw, dict) else ""
    try:
        event = wire.parse_event(raw)
    except Poison as exc:
        return outcome("rejected", raw_id, str(exc))
    if event.origin == ORIGIN:
        return outcome("ignored", event.id)
    handler = HANDLERS.get((event.aggregatetype, event.type))
    if handler is None:
        if event.aggregatetype == "order":  # order events the catalog does not need
            return outcome("ignored", event.id)
        reason = (
            f"type: {event.type!r} is not an event of {event.aggregatetype!r} the catalog knows"
        )
        return outcome("rejected", event.id, reason)
    try:
        payload = wire.parse_payload(event.payload, handler.schema)
    except Poison as exc:
        return outcome("rejected", event.id, str(exc))
    field, entity_id = handler.id_field, payload[handler.id_field]
    if str(entity_id) != event.aggregateid:
        reason = f"payload.{field}: {entity_id} is not the aggregateid {event.aggregateid!r}"
        return outcome("rejected", event.id, reason)
    try:
        with transaction.atomic():
            return outcome(_apply_new(event, handler, payload), event.id)
    except IntegrityError as exc:
        if Inbox.objects.filter(consumer=CONSUMER, event_id=event.id).exists():
            return outcome("duplicate", event.id)  # the same event applied concurrently
        return outcome("rejected", event.id, f"payload: conflicts with a stored row ({exc})")


def _apply_new(event: wire.Event, handler: Handler, payload: dict[str, Any]) -> str:
    if Inbox.objects.filter(consumer=CONSUMER, event_id=event.id).exists():
        return "duplicate"
    key = {"aggregatetype": event.aggregatetype, "aggregateid": event.aggregateid}
    stored = EntityVersion.objects.select_for_update().filter(**key).first()
    if not wire.newer((event.version, event.origin), stored and (stored.version, stored.origin)):
        return "stale"
    handler.apply(payload)
    EntityVersion.objects.update_or_create(
        **key, defaults={"version": event.version, "origin": event.origin}
    )
    Inbox.objects.create(consumer=CONSUMER, event_id=event.id, applied_at=timezone.now())
    return "applied"


def traced(raw: Any) -> dict[str, str]:
    """``apply_one`` in the span ``"{type} apply"``, a child of the event's traceparent."""
    given = raw if isinstance(raw, dict) else {}
    with spans.applying(str(given.get("type")), given.get("id"), given.get("headers")) as span:
        result = apply_one(raw)
        spans.outcome(span, result["outcome"])
        return result


def apply_batch(events: list[Any]) -> list[dict[str, str]]:
    """Each event in its own transaction, in order; then (PostgreSQL) the id sequences are
    moved past the explicit ids just written, so this service's own inserts never collide."""
    results = [traced(raw) for raw in events]
    if connection.vendor == "postgresql" and any(r["outcome"] == "applied" for r in results):
        statements = connection.ops.sequence_reset_sql(
            no_style(), [Category, Product, PriceHistory, Review]
        )
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
    return results
