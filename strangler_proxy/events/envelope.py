"""The event on the wire and the inbox's answer (DESIGN §3 and §5), pure: no I/O.

An event is the broker message's body and one item of an inbox request:

>>> raw = (b'{"id": "3f0c2a54-8f4e-4a40-9d1c-0d6f8f6a0b11", "aggregatetype": "product",'
...        b' "aggregateid": "12", "type": "product.upserted", "version": 3,'
...        b' "origin": "monolith", "timestamp": "2026-12-01T11:02:03.123456Z",'
...        b' "payload": {"id": 12, "price": "12.50"}, "headers": {}}')
>>> event = Event.from_json(raw)
>>> event.subject, event.key, event.version
('events.product', ('product', '12'), 3)
>>> Event.from_json(event.to_json()) == event
True

A bad event names the field that is wrong:

>>> Event.from_json(raw.replace(b'"version": 3', b'"version": "3"'))
Traceback (most recent call last):
...
strangler_proxy.events.envelope.InvalidEvent: version: not an integer ('3')
>>> Event.from_json(b"[1]")
Traceback (most recent call last):
...
strangler_proxy.events.envelope.InvalidEvent: event: not a JSON object

The inbox answers one result per event, in the order sent:

>>> parse_results(b'{"results": [{"id": "%s", "outcome": "applied"}]}' % event.id.encode(),
...               [event])
[Result(id='3f0c2a54-8f4e-4a40-9d1c-0d6f8f6a0b11', outcome=<Outcome.APPLIED: 'applied'>, reason='')]
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

#: Names of the text fields and the longest value each may hold (DESIGN §1's columns).
TEXT_FIELDS: Mapping[str, int] = {
    "aggregatetype": 64,
    "aggregateid": 64,
    "type": 64,
    "origin": 32,
}


class InvalidEvent(ValueError):
    """An event that does not follow DESIGN §3; ``field`` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class MalformedAnswer(ValueError):
    """An inbox answer that is not DESIGN §5's ``{"results": [...]}`` for the batch sent."""


class Outcome(enum.StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    STALE = "stale"
    IGNORED = "ignored"
    REJECTED = "rejected"

    @property
    def acked(self) -> bool:
        """The deliverer acks the event (its effect is held, or needs none); a
        ``rejected`` one goes to the dead letters instead."""
        return self is not Outcome.REJECTED


@dataclass(frozen=True, slots=True)
class Result:
    id: str
    outcome: Outcome
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Event:
    id: str  # uuid, 36 lower-case characters (any spelling is read as that): the dedupe key
    aggregatetype: str
    aggregateid: str
    type: str
    version: int
    origin: str
    timestamp: str  # ISO 8601, UTC ("...Z")
    payload: Mapping[str, Any] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check(self)

    @property
    def subject(self) -> str:
        """The JetStream subject: ``events.<aggregatetype>``."""
        return f"events.{self.aggregatetype}"

    @property
    def key(self) -> tuple[str, str]:
        """The message key: events of one key are applied in version order."""
        return (self.aggregatetype, self.aggregateid)

    @property
    def at(self) -> datetime:
        """``timestamp`` as an aware datetime (UTC)."""
        return parse_time(self.timestamp)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "aggregatetype": self.aggregatetype,
            "aggregateid": self.aggregateid,
            "type": self.type,
            "version": self.version,
            "origin": self.origin,
            "timestamp": self.timestamp,
            "payload": dict(self.payload),
            "headers": dict(self.headers),
        }

    def to_json(self) -> bytes:
        return orjson.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, data: object) -> Event:
        """The event in ``data`` (a decoded JSON object); InvalidEvent names a bad field."""
        if not isinstance(data, dict):
            raise InvalidEvent("event", "not a JSON object")
        missing = [name for name in _FIELDS if name not in data]
        if missing:
            raise InvalidEvent(missing[0], "missing")
        return cls(
            id=data["id"],
            aggregatetype=data["aggregatetype"],
            aggregateid=data["aggregateid"],
            type=data["type"],
            version=data["version"],
            origin=data["origin"],
            timestamp=data["timestamp"],
            payload=data["payload"],
            headers=data.get("headers") or {},
        )

    @classmethod
    def from_json(cls, body: bytes | str) -> Event:
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise InvalidEvent("event", f"not JSON ({exc})") from exc
        return cls.from_dict(data)


_FIELDS = ("id", "aggregatetype", "aggregateid", "type", "version", "origin", "timestamp",
           "payload")  # fmt: skip


def parse_time(text: str) -> datetime:
    """An ISO 8601 timestamp as an aware UTC datetime (naive ones are taken as UTC).

    >>> parse_time("2026-12-01T11:02:03.5Z").isoformat()
    '2026-12-01T11:02:03.500000+00:00'
    """
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def format_time(moment: datetime) -> str:
    """``moment`` as DESIGN's timestamps: ISO 8601, UTC, microseconds, ``Z``.

    >>> format_time(datetime(2026, 12, 1, 11, 2, 3, tzinfo=UTC))
    '2026-12-01T11:02:03.000000Z'
    """
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _check(event: Event) -> None:
    if not isinstance(event.id, str):
        raise InvalidEvent("id", f"not a string ({event.id!r})")
    canonical = _uuid(event.id)
    if canonical is None:
        raise InvalidEvent("id", f"not a uuid ({event.id!r})")
    object.__setattr__(event, "id", canonical)  # one spelling: dedupe keys must agree
    for name, longest in TEXT_FIELDS.items():
        value = getattr(event, name)
        if not isinstance(value, str) or not value:
            raise InvalidEvent(name, f"not a non-empty string ({value!r})")
        if len(value) > longest:
            raise InvalidEvent(name, f"longer than {longest} characters")
    if not isinstance(event.version, int) or isinstance(event.version, bool):
        raise InvalidEvent("version", f"not an integer ({event.version!r})")
    if not isinstance(event.timestamp, str):
        raise InvalidEvent("timestamp", f"not a string ({event.timestamp!r})")
    try:
        parse_time(event.timestamp)
    except ValueError as exc:
        raise InvalidEvent("timestamp", f"not an ISO 8601 time ({event.timestamp!r})") from exc
    if not isinstance(event.payload, Mapping):
        raise InvalidEvent("payload", "not a JSON object")
    if not isinstance(event.headers, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in event.headers.items()
    ):
        raise InvalidEvent("headers", "not an object of strings")


def _uuid(value: object) -> str | None:
    """``value``'s canonical uuid text (36 characters, lower case), None if it is none.

    >>> _uuid("3F0C2A548F4E4A409D1C0D6F8F6A0B11")
    '3f0c2a54-8f4e-4a40-9d1c-0d6f8f6a0b11'
    """
    try:
        return str(uuid.UUID(value)) if isinstance(value, str) else None
    except ValueError:
        return None


def batch_body(events: Sequence[Event]) -> bytes:
    """The inbox request's body: ``{"events": [event, ...]}``, in order.

    >>> batch_body([])
    b'{"events":[]}'
    """
    return orjson.dumps({"events": [event.to_dict() for event in events]})


def parse_results(body: bytes, sent: Sequence[Event]) -> list[Result]:
    """The inbox's answer to ``sent``: one Result per event, same ids, same order;
    anything else raises MalformedAnswer (the whole batch is then retried).

    >>> parse_results(b'{"results": []}', [])
    []
    >>> parse_results(b'{"results": [{"id": "x", "outcome": "eaten"}]}', [])
    Traceback (most recent call last):
    ...
    strangler_proxy.events.envelope.MalformedAnswer: 1 results for 0 events
    """
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise MalformedAnswer(f"answer is not JSON ({exc})") from exc
    items = data.get("results") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise MalformedAnswer('answer has no "results" list')
    if len(items) != len(sent):
        raise MalformedAnswer(f"{len(items)} results for {len(sent)} events")
    results = []
    for n, (item, event) in enumerate(zip(items, sent, strict=True)):
        if not isinstance(item, dict) or _uuid(item.get("id")) != event.id:
            raise MalformedAnswer(f"results[{n}] is not about event {event.id}")
        try:
            outcome = Outcome(str(item.get("outcome")))
        except ValueError as exc:
            raise MalformedAnswer(f"results[{n}].outcome: {item.get('outcome')!r}") from exc
        reason = item.get("reason") or ""
        if not isinstance(reason, str):
            reason = orjson.dumps(reason).decode()
        results.append(Result(event.id, outcome, reason))
    return results
