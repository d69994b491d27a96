"""What both relay modes share: the settings, one source's outbox used from the event loop
(each call in a worker thread, one at a time, the connection reopened after a failure), the
dead letters of rows that are no event, and an interruptible pause."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

import orjson

from strangler_proxy.events.decide import Retry, not_an_event
from strangler_proxy.events.instruments import EventMetrics
from strangler_proxy.events.outbox import Outbox, OutboxError, open_outbox
from strangler_proxy.events.sources import Row, Source

Log = Callable[[str], None]


class DeadLetters(Protocol):
    """Where an event that cannot be delivered is kept (``events.deadletters``)."""

    def add(
        self,
        subscriber: str,
        event_id: str,
        event: bytes,
        reason: str,
        *,
        attempts: int,
        url: str = "",
    ) -> Any: ...


@dataclass(frozen=True, slots=True)
class Settings:
    batch_size: int = 500  # rows read (and published or pushed) at once
    poll_interval: float = 0.005  # seconds between polls of an outbox with nothing new
    retention: timedelta = timedelta(days=1)  # published rows older than this are deleted
    prune_every: float = 60.0  # seconds between two prunes of one outbox
    publish_timeout: float = 2.0  # seconds to wait for the broker's acks of a batch
    window: int = 5000  # embedded: rows in flight per source at most
    retry: Retry = field(default_factory=Retry)  # embedded: redelivery and dead letters


class Feed:
    """One source's outbox, for the relay's tasks."""

    def __init__(self, source: Source, settings: Settings, log: Log) -> None:
        self.source = source
        self.settings = settings
        self.log = log
        self.metrics: EventMetrics | None = None  # the relay's, when it has them
        self.relayed = 0  # rows marked published by this relay
        self._outbox: Outbox | None = None
        self._lock = asyncio.Lock()
        self._next_prune = 0.0
        self._failures = 0
        #: the last empty read: (its signature and cursor, until when it is trusted)
        self._quiet: tuple[tuple[object, int], float] | None = None

    def open(self) -> Feed:
        """Open the outbox now and claim it (``OutboxError`` naming the source when it is
        not there, or another relay has it)."""
        self._outbox = _claimed(self.source)
        return self

    async def _call(self, name: str, *args: Any) -> Any:
        async with self._lock:
            try:
                if self._outbox is None:
                    self._outbox = await asyncio.to_thread(_claimed, self.source)
                answer = await asyncio.to_thread(getattr(self._outbox, name), *args)
            except OutboxError:
                self.close()
                raise
            if self._failures:
                self.log(f"outbox of {self.source.name} is back")
                self._failures = 0
            return answer

    async def unpublished(self, limit: int, after: int = 0) -> list[Row]:
        """The next rows (``Outbox.unpublished``); while the database shows no commit since
        the last empty answer (its ``signature``) none are asked for, up to a second."""
        outbox, now = self._outbox, time.monotonic()
        signature = outbox.signature() if outbox is not None else None
        quiet = self._quiet
        if signature is not None and quiet and quiet[0] == (signature, after) and now < quiet[1]:
            return []
        rows: list[Row] = await self._call("unpublished", limit, after)
        self._quiet = None if rows else ((signature, after), now + 1.0)
        return rows

    async def mark(self, seqs: Sequence[int]) -> None:
        if seqs:
            await self._call("mark_published", seqs)
            self.relayed += len(seqs)
            if self.metrics is not None:
                self.metrics.published.labels(self.source.name).inc(len(seqs))
        if time.monotonic() >= self._next_prune:
            self._next_prune = time.monotonic() + self.settings.prune_every
            pruned = await self._call("prune", self.settings.retention)
            if pruned:
                self.log(f"pruned {pruned} published rows from the outbox of {self.source.name}")

    async def failed(self, exc: Exception, stop: asyncio.Event) -> None:
        """Say what went wrong (once per outage) and wait before the next try."""
        self._failures += 1
        if self.metrics is not None:
            self.metrics.error("outbox" if isinstance(exc, OutboxError) else "dead_letters")
        if self._failures == 1:
            self.log(f"{exc} (retrying)")
        await pause(stop, min(5.0, 0.1 * 2 ** min(self._failures, 6)))

    def close(self) -> None:
        if self._outbox is not None:
            self._outbox.close()
            self._outbox = None


def _claimed(source: Source) -> Outbox:
    outbox = open_outbox(source)
    try:
        outbox.claim()
    except OutboxError:
        outbox.close()
        raise
    return outbox


def bury(dead: DeadLetters, source: Source, row: Row) -> None:
    """Keep a row that is no event as a dead letter of its source's outbox."""
    raw = dict(row.raw or {"seq": row.seq})
    event_id = str(raw.get("id") or f"seq-{row.seq}")
    reason = not_an_event(f"{row.problem} (outbox row seq {row.seq})").reason
    dead.add(f"outbox:{source.name}", event_id, orjson.dumps(raw), reason, attempts=1)


async def pause(stop: asyncio.Event, seconds: float) -> None:
    """Wait ``seconds``, or less when ``stop`` is set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
