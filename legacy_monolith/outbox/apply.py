"""Apply catalog events from the catalog service to the monolith's copy (the inbox side).

Each event runs in its own transaction: the inbox row (a second delivery of the same id is a
``duplicate``), the version rule (apply iff ``(version, origin)`` is newer than the stored
pair, else ``stale``), the change, the new version. The writes go around ``save()`` (queryset
``update`` and ``bulk_create``: timestamps stay the producer's) and inside ``applying()``,
so the catalog hooks record nothing: an applied event is never published back.
"""

from __future__ import annotations

from django.core.management.color import no_style
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError

from legacy_monolith.catalog.models import Category, PriceHistory, Product, Tag
from legacy_monolith.customers.models import Customer
from legacy_monolith.outbox.conf import CONSUMER
from legacy_monolith.outbox.events import Event
from legacy_monolith.outbox.models import EntityVersion, Inbox
from legacy_monolith.outbox.recorder import applying
from legacy_monolith.reviews.models import Review, ReviewVote


class Unresolved(RuntimeError):
    """The event is well-formed but cannot apply yet (a row it refers to is missing, a
    unique value is still held by another row): the deliverer retries it later."""


def apply_event(event: Event, consumer: str = CONSUMER) -> str:
    """``applied``, ``duplicate`` or ``stale``; raises ``Unresolved`` (nothing written)."""
    try:
        with transaction.atomic(), applying():
            return _apply(event, consumer)
    except (IntegrityError, ProtectedError) as exc:
        raise Unresolved(f"{event.type} {event.aggregatetype}:{event.aggregateid}: {exc}") from exc


def _apply(event: Event, consumer: str) -> str:
    try:
        with transaction.atomic():
            Inbox.objects.create(consumer=consumer, event_id=event.id)
    except IntegrityError:
        return "duplicate"
    stored = _locked_version(event)
    if stored is not None and (event.version, event.origin) <= (stored.version, stored.origin):
        return "stale"
    APPLY[event.type](event.payload)
    EntityVersion.objects.update_or_create(
        aggregatetype=event.aggregatetype,
        aggregateid=event.aggregateid,
        defaults={"version": event.version, "origin": event.origin},
    )
    return "applied"


def _locked_version(event: Event) -> EntityVersion | None:
    rows = EntityVersion.objects.select_for_update()
    return rows.filter(aggregatetype=event.aggregatetype, aggregateid=event.aggregateid).first()


# -- one function per event type -----------------------------------------------------------


def _upsert(model, pk: int, fields: dict) -> bool:
    """Write the row as given, ``True`` if it was inserted (with the producer's id)."""
    if model.objects.filter(pk=pk).update(**fields):
        return False
    model.objects.bulk_create([model(pk=pk, **fields)])
    _reset_sequence(model)
    return True


def _reset_sequence(model) -> None:
    """PostgreSQL: move the id sequence past the explicit ids (SQLite needs nothing)."""
    statements = connection.ops.sequence_reset_sql(no_style(), [model])
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def _require(model, pk: int | None, field: str) -> None:
    if pk is not None and not model.objects.filter(pk=pk).exists():
        name = model._meta.verbose_name
        raise Unresolved(f"payload.{field}: {name} {pk} is not in the monolith (yet)")


def category_upserted(p: dict) -> None:
    _require(Category, p["parent_id"], "parent_id")
    fields = ("name", "slug", "parent_id", "description", "created_at", "updated_at")
    _upsert(Category, p["id"], {name: p[name] for name in fields})


def category_deleted(p: dict) -> None:
    try:
        Category.objects.filter(pk=p["id"]).delete()
    except ProtectedError as exc:
        raise Unresolved(f"category {p['id']} still has products here") from exc


def product_upserted(p: dict) -> None:
    _require(Category, p["category_id"], "category_id")
    fields = (
        *("sku", "name", "description", "category_id", "price", "weight_kg", "is_active"),
        *("rating_avg", "rating_count", "created_at", "updated_at"),
    )
    _upsert(Product, p["id"], {name: p[name] for name in fields})
    product = Product.objects.get(pk=p["id"])
    product.tags.set([Tag.objects.get_or_create(name=name)[0] for name in p["tags"]])
    PriceHistory.objects.filter(product=product).delete()
    PriceHistory.objects.bulk_create(
        PriceHistory(product=product, **row) for row in p["price_history"]
    )
    _reset_sequence(PriceHistory)


def product_deleted(p: dict) -> None:
    """Orders here still point at it (PROTECT): keep it, deactivated, as the shop would."""
    try:
        with transaction.atomic():
            Product.objects.filter(pk=p["id"]).delete()
    except ProtectedError:
        Product.objects.filter(pk=p["id"]).update(is_active=False)


def review_upserted(p: dict) -> None:
    _require(Product, p["product_id"], "product_id")
    fields = (
        *("product_id", "rating", "title", "body", "helpful_count"),
        *("verified_purchase", "created_at", "updated_at"),
    )
    _upsert(Review, p["id"], {"author_id": _author_of(p), **{name: p[name] for name in fields}})
    ReviewVote.objects.filter(review_id=p["id"]).delete()
    ReviewVote.objects.bulk_create(ReviewVote(review_id=p["id"], **vote) for vote in p["votes"])


def _author_of(p: dict) -> int:
    """The author's customer id: as given; or, when the service does not know it (a review
    it copied from the monolith's API, which shows the username only), the one this review
    already has here, else the customer with that username."""
    if p["author_id"] is not None:
        _require(Customer, p["author_id"], "author_id")
        return p["author_id"]
    known = Review.objects.filter(pk=p["id"]).values_list("author_id", flat=True).first()
    known = known or (
        Customer.objects.filter(user__username=p["author"]).values_list("pk", flat=True).first()
    )
    if known is None:
        raise Unresolved(f"payload.author: no customer {p['author']!r} in the monolith (yet)")
    return known


def review_deleted(p: dict) -> None:
    Review.objects.filter(pk=p["id"]).delete()


APPLY = {
    "category.upserted": category_upserted,
    "category.deleted": category_deleted,
    "product.upserted": product_upserted,
    "product.deleted": product_deleted,
    "review.upserted": review_upserted,
    "review.deleted": review_deleted,
}
