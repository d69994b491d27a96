"""Incoming events, checked before anything touches the database (a pure core).

``parse_event`` turns one item of ``POST /internal/events/`` into an ``Event`` with its
payload converted (decimals, datetimes) or raises ``Poison`` naming the first bad field:

>>> raw = {"id": "3f0c2a9e-8a41-4c4e-9a59-8d6f7e3b2a10", "aggregatetype": "category",
...        "aggregateid": "7", "type": "category.deleted", "version": 4, "origin": "catalog",
...        "timestamp": "2026-12-01T11:02:03Z", "payload": {"id": 7}, "headers": {}}
>>> event = parse_event(raw)
>>> event.type, event.key, event.version, event.payload
('category.deleted', ('category', '7'), 4, {'id': 7})
>>> parse_event({**raw, "type": "category.renamed"})
Traceback (most recent call last):
...
legacy_monolith.outbox.events.Poison: type: unknown event type 'category.renamed'
>>> parse_event({**raw, "version": "4"})
Traceback (most recent call last):
...
legacy_monolith.outbox.events.Poison: version: not an integer
>>> parse_event({**raw, "aggregateid": "8"})
Traceback (most recent call last):
...
legacy_monolith.outbox.events.Poison: aggregateid: '8' is not payload.id 7
>>> parse_price = PAYLOADS["product.upserted"]["price"]
>>> parse_price("12.5")
Decimal('12.50')
>>> parse_price("twelve")
Traceback (most recent call last):
...
legacy_monolith.outbox.events.Poison: not a decimal
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from legacy_monolith.common.utils import money


class Poison(ValueError):
    """An event that can never apply; the message names the field and the trouble."""


Parser = Callable[[Any], Any]


def integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Poison("not an integer")
    return value


def positive(value: Any) -> int:
    if integer(value) < 1:
        raise Poison("not a positive integer")
    return value


def text(value: Any) -> str:
    if not isinstance(value, str):
        raise Poison("not a string")
    return value


def number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Poison("not a number")
    return float(value)


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Poison("not a boolean")
    return value


def decimal(value: Any) -> Decimal:
    try:
        parsed = Decimal(text(value))
    except (Poison, InvalidOperation):
        raise Poison("not a decimal") from None
    if not parsed.is_finite():
        raise Poison("not a decimal")
    return money(parsed)


def moment(value: Any) -> datetime:
    try:
        parsed = datetime.fromisoformat(text(value))
    except (Poison, ValueError):
        raise Poison("not an ISO 8601 datetime") from None
    if parsed.tzinfo is None:
        raise Poison("an ISO 8601 datetime without a time zone")
    return parsed


def optional(parse: Parser) -> Parser:
    return lambda value: None if value is None else parse(value)


def list_of(parse: Parser) -> Parser:
    def parse_list(value: Any) -> list:
        if not isinstance(value, list):
            raise Poison("not a list")
        items = []
        for index, item in enumerate(value):
            try:
                items.append(parse(item))
            except Poison as exc:
                raise Poison(f"[{index}]{_join(exc)}") from None
        return items

    return parse_list


def record_of(fields: Mapping[str, Parser]) -> Parser:
    """An object with exactly these fields (others are ignored), each parsed."""

    def parse_record(value: Any) -> dict:
        if not isinstance(value, dict):
            raise Poison("not an object")
        parsed = {}
        for name, parse in fields.items():
            if name not in value:
                raise Poison(f".{name}: missing")
            try:
                parsed[name] = parse(value[name])
            except Poison as exc:
                raise Poison(f".{name}{_join(exc)}") from None
        return parsed

    return parse_record


def _join(exc: Poison) -> str:
    """Nested reasons read as a path: ``.price_history[1].price: not a decimal``."""
    reason = str(exc)
    return reason if reason.startswith((".", "[")) else f": {reason}"


_STAMPS = {"created_at": moment, "updated_at": moment}
PAYLOADS: dict[str, dict[str, Parser]] = {
    "category.upserted": {
        "id": positive,
        "name": text,
        "slug": text,
        "parent_id": optional(positive),
        "description": text,
        **_STAMPS,
    },
    "category.deleted": {"id": positive},
    "product.upserted": {
        "id": positive,
        "sku": text,
        "name": text,
        "description": text,
        "category_id": positive,
        "tags": list_of(text),
        "price": decimal,
        "weight_kg": number,
        "is_active": boolean,
        "rating_avg": optional(number),
        "rating_count": integer,
        **_STAMPS,
        "price_history": list_of(
            record_of({"id": positive, "price": decimal, "changed_at": moment, "reason": text})
        ),
    },
    "product.deleted": {"id": positive},
    "review.upserted": {
        "id": positive,
        "product_id": positive,
        # null for a review the service copied before it knew its author's customer id (the
        # monolith's API shows the username only): the monolith keeps the author it has
        "author_id": optional(positive),
        "author": text,
        "rating": integer,
        "title": text,
        "body": text,
        "helpful_count": integer,
        "verified_purchase": boolean,
        **_STAMPS,
        "votes": list_of(record_of({"voter_id": positive, "created_at": moment})),
    },
    "review.deleted": {"id": positive},
}

ENVELOPE: dict[str, Parser] = {
    "id": lambda value: _uuid(value),
    "aggregatetype": text,
    "aggregateid": lambda value: str(integer(value)) if not isinstance(value, str) else value,
    "type": text,
    "version": positive,
    "origin": text,
    "payload": lambda value: value if isinstance(value, dict) else _not("an object"),
}


def _uuid(value: Any) -> uuid.UUID:
    try:
        return uuid.UUID(text(value))
    except (Poison, ValueError):
        raise Poison("not a UUID") from None


def _not(what: str) -> Any:
    raise Poison(f"not {what}")


@dataclass(frozen=True)
class Event:
    id: uuid.UUID
    aggregatetype: str
    aggregateid: str
    type: str
    version: int
    origin: str
    payload: dict

    @property
    def key(self) -> tuple[str, str]:
        return (self.aggregatetype, self.aggregateid)


def parse_event(raw: Any) -> Event:
    """The event, its payload parsed for its type; ``Poison`` names what is wrong."""
    envelope = record_of(ENVELOPE)
    try:
        fields = envelope(raw)
    except Poison as exc:
        raise Poison(str(exc).lstrip(".")) from None
    kind = fields["type"]
    if kind not in PAYLOADS:
        raise Poison(f"type: unknown event type {kind!r}")
    if kind.split(".")[0] != fields["aggregatetype"]:
        raise Poison(f"aggregatetype: {fields['aggregatetype']!r} does not match type {kind!r}")
    try:
        payload = record_of(PAYLOADS[kind])(fields["payload"])
    except Poison as exc:
        raise Poison(f"payload{exc}") from None
    if fields["aggregateid"] != str(payload["id"]):
        raise Poison(f"aggregateid: {fields['aggregateid']!r} is not payload.id {payload['id']}")
    return Event(**{**fields, "payload": payload})
