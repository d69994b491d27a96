"""The embedded relay's bookkeeping (pure): which outbox rows are in flight, which
subscribers still owe each an answer, and so which rows can be marked published.

A row is done once every subscriber that wants it has settled it (acked it, or sent it to
the dead letters); a row no subscriber wants is done at once:

>>> ledger = Ledger()
>>> ledger.add(1, ["catalog", "notifications"])
>>> ledger.add(2, [])
>>> ledger.settle(1, "catalog")
>>> ledger.take_done(), len(ledger), 1 in ledger
([2], 1, True)
>>> ledger.settle(1, "notifications")
>>> ledger.take_done(), len(ledger)
([1], 0)
>>> ledger.take_done()
[]

Delivery retries wait longer each time, up to a ceiling:

>>> [backoff(n, base=0.5, ceiling=4.0) for n in range(1, 6)]
[0.5, 1.0, 2.0, 4.0, 4.0]
"""

from __future__ import annotations

from collections.abc import Iterable


class Ledger:
    def __init__(self) -> None:
        self._owed: dict[int, set[str]] = {}
        self._done: list[int] = []

    def add(self, seq: int, subscribers: Iterable[str]) -> None:
        """Row ``seq`` was handed to ``subscribers`` (none: it is done)."""
        owed = set(subscribers)
        if owed:
            self._owed[seq] = owed
        else:
            self._done.append(seq)

    def settle(self, seq: int, subscriber: str) -> None:
        """``subscriber`` answered for row ``seq`` for good."""
        owed = self._owed.get(seq)
        if owed is None:
            return
        owed.discard(subscriber)
        if not owed:
            del self._owed[seq]
            self._done.append(seq)

    def take_done(self) -> list[int]:
        """The rows done since the last call (to mark published), in the order done."""
        done, self._done = self._done, []
        return done

    def __len__(self) -> int:
        """How many rows are still owed an answer."""
        return len(self._owed)

    def __contains__(self, seq: object) -> bool:
        return seq in self._owed


def backoff(attempt: int, *, base: float, ceiling: float) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1, 2, ...)."""
    return float(min(ceiling, base * 2 ** (attempt - 1)))
