"""A subscriber's lag: how many events it has not applied yet and since when (pure).

From its JetStream consumer's info: ``num_pending`` (in the stream, not delivered yet) plus
``num_ack_pending`` (delivered, not acknowledged yet), and the time of the oldest of them
(the first message after the consumer's ack floor: its event's ``timestamp``, the
producer's commit time):

>>> from datetime import datetime, UTC
>>> now = datetime(2026, 12, 1, 11, 0, 5, tzinfo=UTC)
>>> lag = Lag(pending=40, unacked=10, oldest=datetime(2026, 12, 1, 11, 0, tzinfo=UTC))
>>> lag.count, lag.age(now), describe_age(lag.age(now))
(50, 5.0, '5.0 s')
>>> Lag(0, 0, None).age(now) is None
True
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Lag:
    pending: int  # in the stream, not delivered yet
    unacked: int  # delivered, not acknowledged yet
    oldest: datetime | None  # when the oldest unapplied event was written (None: none)

    @property
    def count(self) -> int:
        return self.pending + self.unacked

    def age(self, now: datetime) -> float | None:
        """Seconds since the oldest unapplied event was written; None when all are applied."""
        if self.count == 0 or self.oldest is None:
            return None
        return max(0.0, (now - self.oldest).total_seconds())


def describe_age(seconds: float | None) -> str:
    """An age as people read it.

    >>> [describe_age(s) for s in (None, 0.0123, 42.0, 125.0, 7300.0)]
    ['-', '12 ms', '42.0 s', '2 min 5 s', '2 h 1 min']
    """
    if seconds is None:
        return "-"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"
