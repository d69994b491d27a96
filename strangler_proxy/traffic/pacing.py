"""The open-loop rate limiter: requests leave on the clock, not when answers come back.

Request ``i`` is due at ``start + i / rate``. A slow target does not slow the arrivals (that
is what makes it open-loop); if the sender itself falls behind it catches up at once, but
never sends more than ``max_requests(rate, duration)`` requests and nothing after the
deadline.

>>> max_requests(rate=10, duration=3)
30
>>> due_offsets(rate=4, duration=1)
[0.0, 0.25, 0.5, 0.75]
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator, Callable


def max_requests(rate: float, duration: float) -> int:
    """The bound of a run: ``floor(rate * duration)`` (tolerant of float noise)."""
    if rate <= 0 or duration <= 0:
        raise ValueError("rate and duration must be positive")
    return math.floor(rate * duration + 1e-9)


def due_offsets(rate: float, duration: float) -> list[float]:
    """When each request is due, in seconds after the start."""
    return [i / rate for i in range(max_requests(rate, duration))]


async def ticks(
    rate: float,
    duration: float,
    clock: Callable[[], float] = time.monotonic,
) -> AsyncIterator[int]:
    """Yield 0, 1, 2, ... each at its due time; stop at the bound or the deadline."""
    start = clock()
    deadline = start + duration
    for i in range(max_requests(rate, duration)):
        delay = start + i / rate - clock()
        if delay > 0:
            await asyncio.sleep(delay)
        if clock() >= deadline:
            return
        yield i
