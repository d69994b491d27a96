"""Copy the monolith's catalog into this service's database through its public API.

Pages are read from the monolith's own endpoints (never its code or database files) and
each row is upserted by its monolith id, written only when a field differs: a re-run writes
nothing, and a run cut short is completed by running it again (no duplicates, no checkpoint
to lose). Order: categories, products, their price history, reviews, then (given a staff
token) the products on the monolith's orders (``purchases``, the "verified purchase"
projection).

Each copied category, product and review gets an ``entity_version`` row at version 0 (origin
``monolith``) unless it has one: the backfilled state precedes every event, so the
monolith's first event for it (version 1) applies, and an entity an event already brought
keeps its version. On PostgreSQL the id sequences are moved past the copied ids at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.core.management.color import no_style
from django.db import connection, models, transaction

from extracted_services.catalog.models import Category, EntityVersion, PriceHistory, Product, Review
from extracted_services.catalog.purchases import copy_purchases

PAGE_SIZE = 100


class BackfillError(RuntimeError):
    """The monolith could not be read; the message names the URL and what it answered."""


@dataclass
class Tally:
    """What one entity's copy did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def seen(self) -> int:
        return self.created + self.updated + self.unchanged

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


@dataclass
class Report:
    tallies: dict[str, Tally] = field(default_factory=dict)

    def tally(self, entity: str) -> Tally:
        return self.tallies.setdefault(entity, Tally())

    @property
    def changed(self) -> int:
        return sum(t.created + t.updated for t in self.tallies.values())


#: An entity's columns from the monolith's JSON: model field attname -> JSON key.
COLUMNS: dict[type[models.Model], dict[str, str]] = {
    Category: {
        "name": "name",
        "slug": "slug",
        "parent_id": "parent",
        "description": "description",
        "created_at": "created_at",
        "updated_at": "updated_at",
    },
    Product: {
        "sku": "sku",
        "name": "name",
        "description": "description",
        "category_id": "category",
        "tags": "tags",
        "price": "price",
        "weight_kg": "weight_kg",
        "is_active": "is_active",
        "rating_avg": "rating_avg",
        "rating_count": "rating_count",
        "created_at": "created_at",
        "updated_at": "updated_at",
    },
    PriceHistory: {"price": "price", "changed_at": "changed_at", "reason": "reason"},
    Review: {
        "product_id": "product",
        "author": "author",
        "rating": "rating",
        "title": "title",
        "body": "body",
        "helpful_count": "helpful_count",
        "verified_purchase": "verified_purchase",
        "created_at": "created_at",
        "updated_at": "updated_at",
    },
}


def row_values(model: type[models.Model], item: dict[str, Any]) -> dict[str, Any]:
    """The model's values for one JSON item, as Python values (Decimal, datetime, ...)."""
    values: dict[str, Any] = {}
    for attname, key in COLUMNS[model].items():
        if key not in item:
            raise BackfillError(f"{model.__name__} {item.get('id')}: the answer has no {key!r}")
        model_field = next(f for f in model._meta.concrete_fields if f.attname == attname)
        raw = item[key]
        values[attname] = None if raw is None else model_field.to_python(raw)
    if "tags" in values:  # the monolith lists a set: its order differs between answers
        values["tags"] = sorted(values["tags"])
    return values


def upsert(model: type[models.Model], item: dict[str, Any], extra: dict[str, Any]) -> str:
    """Create or update one row by id; write only when a value differs. Says which it did."""
    values = {**row_values(model, item), **extra}
    current = model._default_manager.filter(pk=item["id"]).values(*values).first()
    if current is None:
        model._default_manager.create(id=item["id"], **values)
        return "created"
    if current == values:
        return "unchanged"
    model._default_manager.filter(pk=item["id"]).update(**values)
    return "updated"


class MonolithPages:
    """GETs the monolith's list endpoints page by page (its ``next`` links, on our base URL)."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def get(self, path: str) -> dict[str, Any]:
        try:
            answer = self.client.get(path)
        except httpx.HTTPError as exc:
            raise BackfillError(f"GET {self.client.base_url}{path}: {exc}") from exc
        if answer.status_code != 200:
            raise BackfillError(
                f"GET {answer.request.url} answered {answer.status_code}: {answer.text[:200]}"
            )
        body = answer.json()
        if not isinstance(body, dict) or not isinstance(body.get("results"), list):
            raise BackfillError(f"GET {answer.request.url}: not a page of results")
        return body

    def pages(self, path: str) -> Iterator[dict[str, Any]]:
        """Each page of a list; the first page's ``count`` says how many items to expect."""
        separator = "&" if "?" in path else "?"
        next_path: str | None = f"{path}{separator}page_size={PAGE_SIZE}"
        while next_path:
            page = self.get(next_path)
            yield page
            nxt = page.get("next")
            next_path = None
            if nxt:
                parts = urlsplit(nxt)
                next_path = f"{parts.path}?{parts.query}"


Progress = Callable[[str, int, int], None]  # entity, done, total


def copy_list(
    pages: MonolithPages,
    path: str,
    model: type[models.Model],
    tally: Tally,
    progress: Progress,
    entity: str,
    extra: Callable[[dict[str, Any]], dict[str, Any]] = lambda item: {},
    aggregatetype: str | None = None,
) -> list[dict[str, Any]]:
    """Upsert every item of a list, one transaction per page; returns the items."""
    items: list[dict[str, Any]] = []
    for page in pages.pages(path):
        with transaction.atomic():
            for item in page["results"]:
                outcome = upsert(model, item, extra(item))
                setattr(tally, outcome, getattr(tally, outcome) + 1)
            if aggregatetype:
                versions = (
                    EntityVersion(
                        aggregatetype=aggregatetype,
                        aggregateid=str(item["id"]),
                        version=0,
                        origin="monolith",
                    )
                    for item in page["results"]
                )
                EntityVersion.objects.bulk_create(versions, ignore_conflicts=True)
        items.extend(page["results"])
        progress(entity, tally.seen, int(page.get("count") or tally.seen))
    return items


#: price history pages fetched at once (one per product)
PRICE_FETCHERS = 4


def price_history(pages: MonolithPages, pid: int) -> tuple[int, list[dict[str, Any]]]:
    path = f"/api/catalog/products/{pid}/prices/"
    return pid, [item for page in pages.pages(path) for item in page["results"]]


def backfill(client: httpx.Client, progress: Progress) -> Report:
    """Copy categories, products, price history and reviews, and (with a staff token) the
    products on orders for the ``Purchase`` projection; returns what changed."""
    pages = MonolithPages(client)
    report = Report()
    copy_list(
        pages,
        "/api/catalog/categories/",
        Category,
        report.tally("categories"),
        progress,
        "categories",
        aggregatetype="category",
    )
    products = copy_list(
        pages,
        "/api/catalog/products/",
        Product,
        report.tally("products"),
        progress,
        "products",
        aggregatetype="product",
    )
    prices = report.tally("prices")
    # One request per product: fetched side by side (the monolith serves several at once),
    # written here one product at a time, in order (one writer, as SQLite wants).
    with ThreadPoolExecutor(max_workers=PRICE_FETCHERS) as pool:
        histories = pool.map(lambda product: price_history(pages, product["id"]), products)
        for done, (pid, items) in enumerate(histories, start=1):
            with transaction.atomic():
                for item in items:
                    outcome = upsert(PriceHistory, item, {"product_id": pid})
                    setattr(prices, outcome, getattr(prices, outcome) + 1)
            progress("prices", done, len(products))
    copy_list(
        pages,
        "/api/reviews/",
        Review,
        report.tally("reviews"),
        progress,
        "reviews",
        aggregatetype="review",
    )
    if "Authorization" in client.headers:  # only staff see every customer's orders
        copy_purchases(pages, report.tally("purchases"), progress)
    if connection.vendor == "postgresql":  # explicit ids: later inserts take the next ones
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(
                no_style(), [Category, Product, PriceHistory, Review]
            ):
                cursor.execute(sql)
    return report
