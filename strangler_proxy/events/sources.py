"""Where the relay reads events: a producer's name and its database URL, and the outbox row
turned into the event on the wire (DESIGN §1 -> §3). Pure: no I/O.

>>> parse_source("monolith=sqlite:///var/monolith.sqlite3")
Source(name='monolith', url='sqlite:///var/monolith.sqlite3')
>>> parse_source("catalog=postgresql://catalog@127.0.0.1/catalog").kind
'postgresql'
>>> parse_source("var/monolith.sqlite3")
Traceback (most recent call last):
...
strangler_proxy.events.sources.BadSource: 'var/monolith.sqlite3': expected NAME=URL, e.g. monolith=sqlite:///var/monolith.sqlite3
>>> parse_source("monolith=mysql://db/shop")
Traceback (most recent call last):
...
strangler_proxy.events.sources.BadSource: 'monolith=mysql://db/shop': the URL must be ...
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from strangler_proxy.events.envelope import Event, InvalidEvent, format_time, parse_time

#: the broker that is none: the relay pushes from the outbox straight to the subscribers
#: (the outbox table is the queue), as `strangler up` runs by default
EMBEDDED = "embedded"

EXAMPLE = "monolith=sqlite:///var/monolith.sqlite3"
_NAME = re.compile(r"[A-Za-z0-9_-]{1,32}")
_HEX32 = re.compile(r"[0-9a-fA-F]{32}")
#: how Django keeps a DateTimeField on SQLite (UTC, no offset)
_DJANGO_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}")

#: the outbox columns the relay reads, in this order (DESIGN §1)
COLUMNS = (
    "seq", "id", "aggregatetype", "aggregateid", "type", "aggregateversion", "origin",
    "payload", "headers", "timestamp",
)  # fmt: skip


class BadSource(ValueError):
    """A ``--source`` value that cannot be read; the message shows the expected form."""


@dataclass(frozen=True, slots=True)
class Source:
    name: str  # the producer (for messages and status)
    url: str  # sqlite:///path or postgresql://...

    @property
    def kind(self) -> str:
        return "sqlite" if self.url.startswith("sqlite:///") else "postgresql"


def parse_source(spec: str) -> Source:
    name, equals, url = spec.partition("=")
    name, url = name.strip(), url.strip()
    if not equals or not _NAME.fullmatch(name) or not url:
        raise BadSource(f"{spec!r}: expected NAME=URL, e.g. {EXAMPLE}")
    if url.startswith("sqlite:///"):
        if not url.removeprefix("sqlite:///"):
            raise BadSource(f"{spec!r}: the sqlite URL has no file path")
    elif not url.startswith(("postgresql://", "postgres://")):
        raise BadSource(f"{spec!r}: the URL must be sqlite:///path or postgresql://...")
    return Source(name, url)


@dataclass(frozen=True, slots=True)
class Row:
    """One outbox row as read: its relay order and its event (or why it is not one)."""

    seq: int
    event: Event | None
    problem: str = ""  # set when event is None: the row cannot be an event
    raw: Mapping[str, Any] | None = None  # the row's columns, kept for a poison row


def row_to_event(values: tuple[Any, ...]) -> Row:
    """The event an outbox row (``COLUMNS`` in order) holds: JSON columns may come as text
    (SQLite) or decoded (PostgreSQL's jsonb); timestamps as text or datetimes.

    >>> row = (7, "3f0c2a54-8f4e-4a40-9d1c-0d6f8f6a0b11", "product", "12", "product.upserted",
    ...        3, "monolith", '{"id": 12}', "{}", "2026-12-01 11:02:03.123456")
    >>> got = row_to_event(row)
    >>> got.seq, got.event.version, got.event.timestamp, got.event.payload
    (7, 3, '2026-12-01T11:02:03.123456Z', {'id': 12})
    >>> bad = row_to_event((8, *row[1:7], "{not json", "{}", row[9]))
    >>> bad.event is None, bad.problem
    (True, 'payload: not JSON')
    """
    columns = dict(zip(COLUMNS, values, strict=True))
    seq = int(columns["seq"])
    try:
        event = Event(
            id=_uuid(columns["id"]),
            aggregatetype=columns["aggregatetype"],
            aggregateid=columns["aggregateid"],
            type=columns["type"],
            version=columns["aggregateversion"],
            origin=columns["origin"],
            timestamp=_time(columns["timestamp"]),
            payload=_json("payload", columns["payload"]),
            headers=_json("headers", columns["headers"] or "{}"),
        )
    except InvalidEvent as exc:
        raw = {k: v if isinstance(v, str | int | float | type(None)) else str(v)
               for k, v in columns.items()}  # fmt: skip
        raw["id"] = _uuid(columns["id"])
        return Row(seq, None, str(exc), raw)
    return Row(seq, event)


def _uuid(value: Any) -> str:
    """The event id in its 36-character form (Django keeps a UUIDField as 32 hex digits on
    SQLite, as a uuid on PostgreSQL).

    >>> _uuid("3f0c2a548f4e4a409d1c0d6f8f6a0b11")
    '3f0c2a54-8f4e-4a40-9d1c-0d6f8f6a0b11'
    """
    text = str(value)
    if _HEX32.fullmatch(text):  # the fast path: no uuid.UUID made twice per row
        return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}".lower()
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return text  # the event's own check names it


def _json(field: str, value: Any) -> Any:
    if isinstance(value, str | bytes):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError as exc:
            raise InvalidEvent(field, "not JSON") from exc
    return value


def _time(value: Any) -> str:
    """A column's time as DESIGN's timestamps.

    >>> _time("2026-12-01 11:02:03.123456"), _time("2026-12-01T12:02:03+01:00")
    ('2026-12-01T11:02:03.123456Z', '2026-12-01T11:02:03.000000Z')
    """
    if isinstance(value, datetime):  # naive: UTC, as Django stores it
        return format_time(value if value.tzinfo else value.replace(tzinfo=UTC))
    if isinstance(value, str):
        if _DJANGO_TIME.fullmatch(value):  # the fast path: already UTC, microseconds
            return f"{value[:10]}T{value[11:]}Z"
        try:
            return format_time(parse_time(value))
        except ValueError as exc:
            raise InvalidEvent("timestamp", f"not an ISO 8601 time ({value!r})") from exc
    raise InvalidEvent("timestamp", f"not a time ({value!r})")
