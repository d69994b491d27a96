"""Reading events off the wire (DESIGN §3/§4), pure: each field checked, a bad one named.

>>> event = parse_event({"id": "3f0c2a54-8f4e-4a40-9d1c-0d6f8f6a0b11",
...     "aggregatetype": "category", "aggregateid": "4", "type": "category.deleted",
...     "version": 2, "origin": "monolith", "timestamp": "2026-12-01T11:02:03Z",
...     "payload": {"id": 4}, "headers": {}})
>>> event.key, event.version
(('category', '4'), 2)
>>> parse_event({**event.raw, "version": "2"})
Traceback (most recent call last):
...
extracted_services.catalog.wire.Poison: version: not an integer ('2')

Payloads are read by a schema of converters; the reason names the payload's field:

>>> parse_payload({"id": 1, "price": "abc"}, {"id": integer, "price": decimal})
Traceback (most recent call last):
...
extracted_services.catalog.wire.Poison: payload.price: not a decimal ('abc')
>>> rows_of = rows({"id": integer})
>>> parse_payload({"lines": [{"id": 1}, {"id": None}]}, {"lines": rows_of})
Traceback (most recent call last):
...
extracted_services.catalog.wire.Poison: payload.lines[1].id: not an integer (None)

The version rule: an event applies iff ``(version, origin)`` is greater than the stored pair
(origins compared as text, so both sides keep the same winner on a tie):

>>> newer((3, "monolith"), (2, "monolith")), newer((2, "catalog"), (2, "monolith"))
(True, False)
>>> newer((1, "monolith"), None)
True

What this service writes: decimals as strings, datetimes in UTC with ``Z``:

>>> from datetime import timezone, timedelta
>>> iso(datetime(2026, 12, 1, 12, 2, 3, 123456, tzinfo=timezone(timedelta(hours=1))))
'2026-12-01T11:02:03.123456Z'
>>> money(Decimal("12.5"))
'12.50'
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

Converter = Callable[[Any], Any]


class Poison(ValueError):
    """An event that can never apply; the message names the field (``payload.price: ...``)."""


@dataclass(frozen=True)
class Event:
    id: str
    aggregatetype: str
    aggregateid: str
    type: str
    version: int
    origin: str
    payload: Mapping[str, Any]
    headers: Mapping[str, Any]
    raw: Mapping[str, Any]

    @property
    def key(self) -> tuple[str, str]:
        return (self.aggregatetype, self.aggregateid)


def iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def money(amount: Decimal) -> str:
    return str(Decimal(amount).quantize(Decimal("0.01")))


def newer(event: tuple[int, str], stored: tuple[int, str] | None) -> bool:
    return stored is None or event > stored


def integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"not an integer ({value!r})")
    return value


def text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"not a string ({value!r})")
    return value


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"not a boolean ({value!r})")
    return value


def number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"not a number ({value!r})")
    return float(value)


def decimal(value: Any) -> Decimal:
    try:
        amount = Decimal(text(value))
    except (ValueError, InvalidOperation):
        raise ValueError(f"not a decimal ({value!r})") from None
    if not amount.is_finite():
        raise ValueError(f"not a decimal ({value!r})")
    return amount


def moment(value: Any) -> datetime:
    try:
        parsed = datetime.fromisoformat(text(value))
    except ValueError:
        raise ValueError(f"not an ISO 8601 datetime ({value!r})") from None
    if parsed.tzinfo is None:
        raise ValueError(f"no time zone ({value!r})")
    return parsed


def optional(convert: Converter) -> Converter:
    return lambda value: None if value is None else convert(value)


def names(value: Any) -> list[str]:
    if not isinstance(value, list):
        raise ValueError(f"not a list ({value!r})")
    return [text(item) for item in value]


def rows(schema: Mapping[str, Converter]) -> Converter:
    """A list of objects, each read by ``schema``."""

    def convert(value: Any) -> list[dict[str, Any]]:
        if not isinstance(value, list):
            raise ValueError(f"not a list ({value!r})")
        return [_read(item, schema, f"[{n}]") for n, item in enumerate(value)]

    return convert


class _Nested(ValueError):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path


def _read(item: Any, schema: Mapping[str, Converter], prefix: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise _Nested(prefix, f"not an object ({item!r})")
    values = {}
    for name, convert in schema.items():
        if name not in item:
            raise _Nested(f"{prefix}.{name}", "missing")
        try:
            values[name] = convert(item[name])
        except _Nested as exc:
            raise _Nested(f"{prefix}.{name}{exc.path}", str(exc)) from None
        except ValueError as exc:
            raise _Nested(f"{prefix}.{name}", str(exc)) from None
    return values


def parse_payload(payload: Mapping[str, Any], schema: Mapping[str, Converter]) -> dict[str, Any]:
    try:
        return _read(payload, schema, "payload")
    except _Nested as exc:
        raise Poison(f"{exc.path}: {exc}") from None


ENVELOPE: Mapping[str, Converter] = {
    "aggregatetype": text,
    "aggregateid": text,
    "type": text,
    "version": integer,
    "origin": text,
}


def parse_event(raw: Any) -> Event:
    """The envelope of one event (its payload is read by the handler of its type)."""
    if not isinstance(raw, dict):
        raise Poison("event: not a JSON object")
    try:
        event_id = str(uuid.UUID(text(raw.get("id"))))
    except ValueError:
        raise Poison(f"id: not a UUID ({raw.get('id')!r})") from None
    try:
        fields = _read(raw, ENVELOPE, "")
    except _Nested as exc:
        raise Poison(f"{exc.path.lstrip('.')}: {exc}") from None
    payload, headers = raw.get("payload"), raw.get("headers", {})
    if not isinstance(payload, dict):
        raise Poison(f"payload: not an object ({payload!r})")
    if not isinstance(headers, dict):
        raise Poison(f"headers: not an object ({headers!r})")
    return Event(id=event_id, payload=payload, headers=headers, raw=raw, **fields)


def bearer_matches(header: str, token: str) -> bool:
    """``Authorization: Bearer <token>`` names the configured token (never an empty one).

    >>> bearer_matches("Bearer s3cret", "s3cret"), bearer_matches("Bearer s3cret", "")
    (True, False)
    >>> bearer_matches("Token s3cret", "s3cret"), bearer_matches("Bearer other", "s3cret")
    (False, False)
    """
    scheme, _, given = header.partition(" ")
    return (
        bool(token)
        and scheme.lower() == "bearer"
        and hmac.compare_digest(given.strip().encode(), token.encode())
    )
