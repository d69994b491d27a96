"""The embedded relay (no broker): the outbox table itself is the queue, and each batch goes
straight to every subscriber whose topics want it, through its inbox endpoint (DESIGN §5).

One reader per source hands rows, in ``seq`` order, to one queue per subscriber; one task per
subscriber pushes its queue in order, batch after batch, so a slow or dead subscriber holds
up no other. A row is marked published once every subscriber that wants it has answered
for it for good: acked (``applied``, ``duplicate``, ``stale``, ``ignored``), or sent to the
dead letters (``rejected`` at once; a batch that keeps failing after ``max_deliver``
attempts, with the last reason). A relay killed before that pushes the row again after its
restart: the inboxes answer ``duplicate``.

While rows are in flight the reader reads only past the last one it handed out; once none
is in flight it reads from the start of what is unpublished again, which also picks up a
row whose transaction took a lower ``seq`` but committed later (PostgreSQL).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Sequence
from itertools import islice

from strangler_proxy.events.deadletters import DeadLetterError
from strangler_proxy.events.decide import DeadLetter, Nak, after_failure, after_results
from strangler_proxy.events.envelope import Event
from strangler_proxy.events.feed import DeadLetters, Feed, bury, pause
from strangler_proxy.events.instruments import EventMetrics
from strangler_proxy.events.lag import Lag
from strangler_proxy.events.ledger import Ledger
from strangler_proxy.events.observed import Watch
from strangler_proxy.events.outbox import OutboxError
from strangler_proxy.events.push import DeliveryFailed, Inbox
from strangler_proxy.events.tracing import EventSpans


class _Channel:
    """One subscriber of one source: its inbox and the rows it still has to answer for."""

    def __init__(self, inbox: Inbox, watch: Watch) -> None:
        self.inbox = inbox
        self.name = inbox.subscriber.name
        self.watch = watch
        self.queue: deque[tuple[int, Event]] = deque()
        self.wake = asyncio.Event()


class EmbeddedSource:
    def __init__(
        self,
        feed: Feed,
        inboxes: Sequence[Inbox],
        dead: DeadLetters,
        spans: EventSpans | None = None,
        metrics: EventMetrics | None = None,
    ) -> None:
        self.feed = feed
        self.settings = feed.settings
        self.channels = [
            _Channel(inbox, Watch(inbox.subscriber.name, spans, metrics, "publish"))
            for inbox in inboxes
        ]
        self.dead = dead
        self.ledger = Ledger()
        self.progress = asyncio.Event()
        self._unmarked: list[int] = []

    async def run(self, stop: asyncio.Event) -> None:
        workers = [asyncio.create_task(self._deliver(ch, stop)) for ch in self.channels]
        try:
            await self._read(stop)
        finally:
            for ch in self.channels:
                ch.wake.set()
            await asyncio.gather(*workers, return_exceptions=True)
            try:
                await self._mark_done()  # what the last pushes settled
            except OutboxError as exc:
                self.feed.log(f"{exc} (those rows will be pushed again: duplicates)")
            for ch in self.channels:
                await ch.inbox.aclose()

    def waiting(self) -> dict[str, Lag]:
        """Per subscriber, the events it has still to answer for (the embedded lag)."""
        found = {}
        for ch in self.channels:
            oldest = min((event.at for _, event in ch.queue), default=None)
            found[ch.name] = Lag(len(ch.queue), 0, oldest)
        return found

    async def _read(self, stop: asyncio.Event) -> None:
        cursor = 0
        while not stop.is_set():
            self.progress.clear()
            try:
                marked = await self._mark_done()  # first: a row settled is not read again
                read = await self._hand_out(cursor)
                cursor = read or cursor
            except (OutboxError, DeadLetterError) as exc:  # the same rows are read again
                await self.feed.failed(exc, stop)
                continue
            if not read and not marked:
                await self._idle()

    async def _hand_out(self, cursor: int) -> int:
        """Read the next rows and queue each for the subscribers that want it; the highest
        ``seq`` read (0: none)."""
        room = self.settings.window - len(self.ledger)
        if room <= 0:
            return 0
        after = cursor if len(self.ledger) else 0
        rows = await self.feed.unpublished(min(self.settings.batch_size, room), after)
        skip = set(self._unmarked)
        for row in rows:
            if row.seq in self.ledger or row.seq in skip:
                continue
            event = row.event
            if event is None:
                await asyncio.to_thread(bury, self.dead, self.feed.source, row)
                self.ledger.add(row.seq, [])
                continue
            wanting = [ch for ch in self.channels if ch.inbox.subscriber.wants(event.aggregatetype)]
            self.ledger.add(row.seq, [ch.name for ch in wanting])
            for ch in wanting:
                ch.queue.append((row.seq, event))
                ch.wake.set()
        return rows[-1].seq if rows else 0

    async def _mark_done(self) -> int:
        self._unmarked.extend(self.ledger.take_done())
        done = self._unmarked
        await self.feed.mark(done)
        self._unmarked = []
        return len(done)

    async def _idle(self) -> None:
        """Until a subscriber settles something, or the poll interval passed."""
        if not len(self.ledger):  # nothing in flight: nothing to be woken by
            await asyncio.sleep(self.settings.poll_interval)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.progress.wait(), self.settings.poll_interval)

    async def _deliver(self, ch: _Channel, stop: asyncio.Event) -> None:
        """Push ``ch``'s queue in order, batch after batch, until ``stop``."""
        while not stop.is_set():
            if not ch.queue:
                ch.wake.clear()
                await ch.wake.wait()
                continue
            batch = list(islice(ch.queue, self.settings.batch_size))
            try:
                pushed = await self._push(ch, [event for _, event in batch], stop)
            except DeadLetterError as exc:  # the batch stays: pushed again (duplicates)
                self.feed.log(f"{ch.name}: {exc} (retrying)")
                await pause(stop, 1.0)
                continue
            if not pushed:
                return  # stopped while retrying: the rows stay unpublished
            for seq, _ in batch:
                ch.queue.popleft()
                self.ledger.settle(seq, ch.name)
            self.progress.set()

    async def _push(self, ch: _Channel, events: list[Event], stop: asyncio.Event) -> bool:
        """Deliver ``events`` until every one is settled (acked or dead); False if ``stop``
        came first."""
        delivered = 0
        while True:
            delivered += 1
            try:
                results = await ch.watch.push(ch.inbox, events)  # traced, counted
            except DeliveryFailed as exc:
                action = after_failure(
                    exc.reason, delivered=delivered, policy=self.settings.retry,
                    blameless=exc.blameless,  # down or a wrong token: never the events' fault
                )  # fmt: skip
                if isinstance(action, Nak):
                    if delivered == 1:
                        hint = " (check the events token: --token-file)" if exc.refused else ""
                        self.feed.log(f"{exc.reason}{hint} (retrying)")
                    await pause(stop, action.delay)
                    if stop.is_set():
                        return False
                    continue
                assert isinstance(action, DeadLetter)
                for event in events:
                    await self._bury(ch, event, action.reason, delivered)
                return True
            for event, verdict in zip(events, after_results(results), strict=True):
                if isinstance(verdict, DeadLetter):
                    await self._bury(ch, event, verdict.reason, delivered)
            return True

    async def _bury(self, ch: _Channel, event: Event, reason: str, attempts: int) -> None:
        await asyncio.to_thread(
            self.dead.add,
            ch.name,
            event.id,
            event.to_json(),
            reason,
            attempts=attempts,
            url=ch.inbox.subscriber.url,
        )
