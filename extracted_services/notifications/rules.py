"""What an event means to notifications: the pure core (no Django, no I/O).

An event arrives as DESIGN §3 describes it; ``parse_event`` checks its envelope and
``notice_for`` decides which notification (if any) the monolith would have written for it,
exactly as ``legacy_monolith/notifications`` does today:

>>> event = parse_event({
...     "id": "3f0c2a54-8f4e-4a40-9d1c-0d6f8f6a0b11", "aggregatetype": "order",
...     "aggregateid": "7", "type": "payment.captured", "version": 3, "origin": "monolith",
...     "timestamp": "2026-12-01T11:02:03.123456Z", "headers": {},
...     "payload": {"order_id": 7, "number": "0b8f9a4e-2f61-4d3c-9d0e-5a1f0c3b7e21",
...                 "customer_id": 4, "amount": "99.00", "method": "card"}})
>>> notice = notice_for(event)
>>> notice.code, notice.order_id, notice.customer_id
('payment_receipt', 7, 4)
>>> render(notice.code, None, notice.context)
('Receipt for order 0b8f9a4e-2f61-4d3c-9d0e-5a1f0c3b7e21', 'We charged 99.00 EUR.', 'email')

A status change to ``paid`` writes nothing (the receipt says it), other order events neither:

>>> notice_for(parse_event({**event.raw, "type": "order.status_changed",
...     "payload": {**event.payload, "status": "paid"}})) is None
True

A poison event names the field that is wrong:

>>> parse_event({**event.raw, "version": "3"})
Traceback (most recent call last):
...
extracted_services.notifications.rules.Poison: version: not an integer ('3')
>>> notice_for(parse_event({**event.raw, "payload": {**event.payload, "amount": "lots"}}))
Traceback (most recent call last):
...
extracted_services.notifications.rules.Poison: payload.amount: not a decimal ('lots')
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

#: This consumer's name in the inbox (and the producer name it would write, were it one).
CONSUMER = "notifications"

#: The monolith's texts when no template with that code exists (its ``services.FALLBACK``).
FALLBACK = {
    "order_placed": ("Thank you for your order {number}", "We received order {number}."),
    "payment_receipt": ("Receipt for order {number}", "We charged {amount} EUR."),
    "order_status": ("Order {number} is {status}", "Your order {number} is now {status}."),
}

#: Event type -> the notification code it writes (DESIGN §4).
CODES = {
    "order.placed": "order_placed",
    "payment.captured": "payment_receipt",
    "order.status_changed": "order_status",
}

#: "paid" has its own payment receipt (the monolith's ``signals.SILENT_STATUSES``).
SILENT_STATUSES = frozenset({"paid"})


class Poison(ValueError):
    """An event that can never apply; the message names the field."""


@dataclass(frozen=True)
class Event:
    id: str
    aggregatetype: str
    aggregateid: str
    type: str
    version: int
    origin: str
    timestamp: datetime
    payload: Mapping[str, Any]
    raw: Mapping[str, Any]

    @property
    def key(self) -> tuple[str, str]:
        return self.aggregatetype, self.aggregateid


@dataclass(frozen=True)
class Notice:
    """The notification an event asks for, before rendering."""

    code: str
    order_id: int
    number: uuid.UUID
    customer_id: int
    context: Mapping[str, Any]


def _text(data: Mapping[str, Any], name: str, where: str = "") -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise Poison(f"{where}{name}: not a non-empty string ({value!r})")
    return value


def _int(data: Mapping[str, Any], name: str, where: str = "") -> int:
    value = data.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise Poison(f"{where}{name}: not an integer ({value!r})")
    return value


def _uuid(data: Mapping[str, Any], name: str, where: str = "") -> uuid.UUID:
    value = data.get(name)
    if isinstance(value, str):
        try:
            return uuid.UUID(value)
        except ValueError:
            pass
    raise Poison(f"{where}{name}: not a UUID ({value!r})")


def _decimal(data: Mapping[str, Any], name: str, where: str = "") -> Decimal:
    value = data.get(name)
    try:
        number = Decimal(value) if isinstance(value, str) else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise Poison(f"{where}{name}: not a decimal ({value!r})")
    return number


def _moment(data: Mapping[str, Any], name: str) -> datetime:
    value = _text(data, name)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise Poison(f"{name}: not an ISO 8601 datetime ({value!r})") from None
    if moment.tzinfo is None:
        raise Poison(f"{name}: no time zone ({value!r})")
    return moment


def parse_event(raw: object) -> Event:
    """The event's envelope, checked (DESIGN §3); its payload is checked by ``notice_for``."""
    if not isinstance(raw, dict):
        raise Poison("event: not a JSON object")
    event_id = str(_uuid(raw, "id"))  # the inbox's key, canonical whatever the case
    payload = raw.get("payload")
    if not isinstance(payload, dict):
        raise Poison(f"payload: not a JSON object ({payload!r})")
    return Event(
        id=event_id,
        aggregatetype=_text(raw, "aggregatetype"),
        aggregateid=_text(raw, "aggregateid"),
        type=_text(raw, "type"),
        version=_int(raw, "version"),
        origin=_text(raw, "origin"),
        timestamp=_moment(raw, "timestamp"),
        payload=payload,
        raw=raw,
    )


def concerns_us(event: Event) -> bool:
    """Only the order events that write notifications; never our own (no echo)."""
    return event.origin != CONSUMER and event.aggregatetype == "order" and event.type in CODES


def notice_for(event: Event) -> Notice | None:
    """The notification the monolith writes for this event, or None (it writes none)."""
    code = CODES.get(event.type)
    if event.aggregatetype != "order" or code is None:
        return None
    payload, where = event.payload, "payload."
    order_id = _int(payload, "order_id", where)
    if str(order_id) != event.aggregateid:
        raise Poison(f"payload.order_id: {order_id} is not the aggregateid {event.aggregateid!r}")
    number = _uuid(payload, "number", where)
    customer_id = _int(payload, "customer_id", where)
    context: dict[str, Any] = {"number": number}
    if code == "payment_receipt":
        context["amount"] = _decimal(payload, "amount", where)
    elif code == "order_status":
        context["status"] = _text(payload, "status", where)
        if context["status"] in SILENT_STATUSES:
            return None
    return Notice(code, order_id, number, customer_id, context)


def render(
    code: str, template: tuple[str, str, str] | None, context: Mapping[str, Any]
) -> tuple[str, str, str]:
    """(subject, body, channel) as the monolith's ``notify``: the template when there is one
    (``(subject, body, channel)``), else the fallback texts on the email channel.

    >>> render("order_status", ("{status}!", "Order {number}", "sms"),
    ...        {"number": 1, "status": "shipped"})
    ('shipped!', 'Order 1', 'sms')
    >>> render("order_placed", ("{nope}", "", "email"), {"number": 1})
    Traceback (most recent call last):
    ...
    extracted_services.notifications.rules.Poison: template order_placed: unknown placeholder 'nope'
    """
    subject_t, body_t, channel = template or (*FALLBACK[code], "email")
    try:
        return subject_t.format(**context), body_t.format(**context), channel
    except KeyError as exc:
        raise Poison(f"template {code}: unknown placeholder {exc}") from exc
    except (IndexError, ValueError, AttributeError) as exc:
        raise Poison(f"template {code}: cannot render ({exc})") from exc
