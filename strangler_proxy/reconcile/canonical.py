"""Canonical rows (pure): one form for a row whichever database it was read from.

Both sides store the same entity differently: SQLite keeps decimals as numbers or text and
datetimes as naive text, PostgreSQL answers ``Decimal`` and aware datetimes, the monolith
keeps tags in a join table and the service as a JSON list. Before two rows are compared,
each value goes through the normaliser of its field:

>>> decimal_text(12.5), decimal_text("12.50"), decimal_text(Decimal("100.00"))
('12.5', '12.5', '100')
>>> utc_micros("2026-12-01 11:02:03.5"), utc_micros("2026-12-01T12:02:03.5+01:00")
('2026-12-01T11:02:03.500000Z', '2026-12-01T11:02:03.500000Z')
>>> tag_names('["sale", "eco"]'), tag_names(["eco", "sale"])
(('eco', 'sale'), ('eco', 'sale'))
>>> canonical(PRODUCTS, {"id": 3, "price": "9.90", "is_active": 1, "tags": []})["price"]
'9.9'
>>> checksum(PRODUCTS, []) == checksum(PRODUCTS, [])
True
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

#: A canonical value: what JSON can hold (tuples for tag lists).
Value = str | int | float | bool | tuple[str, ...] | None
Row = dict[str, Value]
Normaliser = Callable[[object], Value]


def decimal_text(value: object) -> str | None:
    """A decimal as its shortest exact text (``12.50`` and ``12.5`` are one price)."""
    if value is None:
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return f"not a decimal: {value!r}"
    return format(number.normalize(), "f")


def utc_micros(value: object) -> str | None:
    """A datetime in UTC to the microsecond, ``...Z`` (naive means UTC, as Django stores)."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return f"not a datetime: {value!r}"
    if not isinstance(value, datetime):
        return f"not a datetime: {value!r}"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def tag_names(value: object) -> tuple[str, ...]:
    """Tag names, sorted: from a JSON list (the service), a list or a comma-joined text."""
    if value is None:
        return ()
    if isinstance(value, str):
        value = json.loads(value) if value.startswith("[") else value.split(",")
    if not isinstance(value, list | tuple):
        return (f"not a tag list: {value!r}",)
    return tuple(sorted(str(name) for name in value if str(name)))


def flag(value: object) -> bool | None:
    """A boolean (SQLite answers 0 and 1)."""
    return None if value is None else bool(value)


def integer(value: object) -> int | None:
    return None if value is None else int(str(value))


def real(value: object) -> float | None:
    return None if value is None else float(str(value))


def text(value: object) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True)
class Kind:
    """An entity kind: its name, its fields and how each is normalised (``id`` first)."""

    name: str
    fields: Mapping[str, Normaliser]

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self.fields)


CATEGORIES = Kind(
    "categories",
    {
        "id": integer,
        "name": text,
        "slug": text,
        "parent_id": integer,
        "description": text,
        "created_at": utc_micros,
        "updated_at": utc_micros,
    },
)
PRODUCTS = Kind(
    "products",
    {
        "id": integer,
        "sku": text,
        "name": text,
        "description": text,
        "category_id": integer,
        "tags": tag_names,
        "price": decimal_text,
        "weight_kg": real,
        "is_active": flag,
        "rating_avg": real,
        "rating_count": integer,
        "created_at": utc_micros,
        "updated_at": utc_micros,
    },
)
PRICES = Kind(
    "price_history",
    {
        "id": integer,
        "product_id": integer,
        "price": decimal_text,
        "changed_at": utc_micros,
        "reason": text,
    },
)
REVIEWS = Kind(
    "reviews",
    {
        "id": integer,
        "product_id": integer,
        "author": text,  # the username (the monolith's author_id resolved through customers)
        "rating": integer,
        "title": text,
        "body": text,
        "helpful_count": integer,
        "verified_purchase": flag,
        "created_at": utc_micros,
        "updated_at": utc_micros,
    },
)
#: Every kind ``strangler reconcile catalog`` compares, in the order it reports them.
CATALOG: tuple[Kind, ...] = (CATEGORIES, PRODUCTS, PRICES, REVIEWS)


def canonical(kind: Kind, raw: Mapping[str, object]) -> Row:
    """The row's canonical form: every field of ``kind``, normalised (a missing one: None)."""
    return {name: normalise(raw.get(name)) for name, normalise in kind.fields.items()}


def encode(row: Row) -> bytes:
    """One row as canonical JSON bytes (sorted keys, no spaces)."""
    return json.dumps(row, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def checksum(kind: Kind, rows: Iterable[Row]) -> str:
    """SHA-256 over the canonical rows in id order: equal sets of rows, equal checksums.

    >>> a = canonical(CATEGORIES, {"id": 1, "name": "Tools"})
    >>> b = canonical(CATEGORIES, {"id": 2, "name": "Toys"})
    >>> checksum(CATEGORIES, [a, b]) == checksum(CATEGORIES, [b, a])
    True
    >>> len(checksum(CATEGORIES, [a]))
    64
    """
    digest = hashlib.sha256(kind.name.encode())
    for row in sorted(rows, key=_id_of):
        digest.update(b"\n" + encode(row))
    return digest.hexdigest()


def _id_of(row: Row) -> int:
    ident = row.get("id")
    return ident if isinstance(ident, int) else -1
