"""When two different-looking JSON scalars mean the same thing (each only where a rule says so).

JSON has one number type, so ``1`` and ``1.0`` are equal everywhere; ``true`` and ``1`` never:

>>> json_type(True), json_type(1), json_type(1.5), json_type(None)
('boolean', 'number', 'number', 'null')

A decimal written as a string against the same number (a serializer's ``DecimalField``):

>>> same_decimal("12.50", 12.5), same_decimal("0.10", 0.1), same_decimal("12.5", "12.51")
(True, True, False)

One instant written in different formats (ISO 8601, RFC 1123, seconds since the epoch):

>>> same_instant("2026-01-02T03:04:05Z", "2026-01-02T04:04:05.000+01:00")
True
>>> same_instant("Fri, 02 Jan 2026 03:04:05 GMT", 1767323045)
True
>>> same_instant("2026-01-02T03:04:05Z", "2026-01-02T03:04:06Z")
False

Numbers within a tolerance, absolute or relative to the larger:

>>> within(100.0, 100.4, absolute=0.5), within(100, 101, relative=0.001)
(True, False)
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from email.utils import parsedate_to_datetime
from typing import Any


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        value = repr(value)  # the shortest text of the float, as JSON wrote it
    if isinstance(value, int | str):
        try:
            number = Decimal(value)
        except (InvalidOperation, ValueError):
            return None
        return number if number.is_finite() else None
    return None


def same_decimal(a: Any, b: Any) -> bool:
    left, right = _decimal(a), _decimal(b)
    return left is not None and right is not None and left == right


def _instant(value: Any) -> datetime | None:
    if is_number(value):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def same_instant(a: Any, b: Any) -> bool:
    """Naive times are read as UTC (what Django writes with ``USE_TZ``)."""
    left, right = _instant(a), _instant(b)
    return left is not None and right is not None and left == right


def within(a: Any, b: Any, *, absolute: float = 0.0, relative: float = 0.0) -> bool:
    if not (is_number(a) and is_number(b)):
        return False
    gap: float = abs(a - b)
    return gap <= absolute or gap <= relative * max(abs(a), abs(b))
