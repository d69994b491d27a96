"""Little helpers that every app imports (and so every app depends on)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

#: The fixed "beginning of time" of seeded data, so seeded timestamps never depend on now().
SEED_EPOCH = datetime(2021, 3, 1, 9, 0, tzinfo=UTC)

CENT = Decimal("0.01")
FREE_SHIPPING_THRESHOLD = Decimal("150.00")
VAT_RATE = Decimal("0.20")


def money(value: Decimal | int | float | str) -> Decimal:
    """A Decimal rounded to cents, the way the finance team wants it."""
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def vat_of(amount: Decimal) -> Decimal:
    return money(amount * VAT_RATE / (1 + VAT_RATE))


def new_reference(prefix: str) -> str:
    """A human-ish unique reference such as ``PAY-3F2A9C1B7E``."""
    return f"{prefix}-{uuid.uuid4().hex[:10].upper()}"


def seeded_moment(days: float, seconds: int = 0) -> datetime:
    return SEED_EPOCH + timedelta(days=days, seconds=seconds)


def clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))
