"""The relay: moves each source's outbox rows, in ``seq`` order, to NATS JetStream or (the
embedded default, no broker) straight to the subscribers' inboxes.

A row is marked published only after the broker acknowledged it (embedded: after every
subscriber that wants it answered for it), so a relay killed at any moment loses nothing:
its successor publishes the unmarked rows again, and JetStream drops the copies it already
holds (same ``Nats-Msg-Id`` within the duplicate window; the inboxes dedupe too). One relay
per source, reading in ``seq`` order and publishing each batch in order on one connection,
keeps the events of one entity in order.

    stop = asyncio.Event()
    await relay(feeds, JetStreamTarget("nats://127.0.0.1:4222"), stop=stop, ...)

``run()`` is the command line's entry: SIGINT and SIGTERM stop it cleanly (the batch in
flight is finished and marked).
"""

from __future__ import annotations

import asyncio
import signal
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from nats.js import JetStreamContext
from nats.js.api import PubAck
from opentelemetry.trace import Span, Tracer

from strangler_proxy.events.deadletters import DeadLetterError
from strangler_proxy.events.embedded import EmbeddedSource
from strangler_proxy.events.feed import DeadLetters, Feed, bury, pause
from strangler_proxy.events.instruments import EventMetrics, count_error
from strangler_proxy.events.jetstream import (
    Broker,
    BrokerUnavailable,
    Outgoing,
    acked_prefix,
    acks,
    send,
    subject_for,
)
from strangler_proxy.events.outbox import OutboxError
from strangler_proxy.events.probes import relay_gauges
from strangler_proxy.events.push import Inbox
from strangler_proxy.events.sources import Row
from strangler_proxy.events.subscriber import Subscriber
from strangler_proxy.events.tracing import EventSpans, context_headers, finish


@dataclass(frozen=True, slots=True)
class JetStreamTarget:
    url: str  # nats://host:port


@dataclass(frozen=True, slots=True)
class EmbeddedTarget:
    subscribers: tuple[Subscriber, ...]
    token: str  # the events token the inboxes expect


Target = JetStreamTarget | EmbeddedTarget


async def relay(
    feeds: Sequence[Feed],
    target: Target,
    *,
    dead: DeadLetters,
    stop: asyncio.Event,
    ready: Callable[[], None] = lambda: None,
    tracer: Tracer | None = None,
    metrics: EventMetrics | None = None,
) -> None:
    """Relay every feed to ``target`` until ``stop`` is set (``BrokerUnavailable`` when the
    broker cannot be reached at the start). With a ``tracer``, a PRODUCER span per event
    (its context passed on); with ``metrics``, counted and the gauges kept fresh."""
    for feed in feeds:
        feed.metrics = metrics  # counts what it marks published and its failures
    embedded = isinstance(target, EmbeddedTarget)
    spans = None if tracer is None else EventSpans(tracer, "embedded" if embedded else "nats")
    if isinstance(target, EmbeddedTarget):
        sources = [
            EmbeddedSource(
                feed, [Inbox(s, target.token) for s in target.subscribers], dead, spans, metrics
            )
            for feed in feeds
        ]
        ready()
        with relay_gauges(metrics, [feed.source for feed in feeds], dead, sources, stop):
            await asyncio.gather(*(source.run(stop) for source in sources))
        return
    broker = Broker(target.url)
    try:
        await broker.context()  # BrokerUnavailable now, not after "ready"
        ready()
        with relay_gauges(metrics, [feed.source for feed in feeds], dead, [], stop):
            await asyncio.gather(*(_publish(feed, broker, dead, stop, spans) for feed in feeds))
    finally:
        await broker.close()


#: batches published and not yet acknowledged, at most (the next is read and sent while the
#: broker acks the previous one)
PIPELINE = 2


@dataclass
class _Batch:
    rows: list[Row]
    sent: list[int]  # the seqs of the rows sent as messages, in order
    settled: set[int]  # the seqs settled without the broker (poison rows, dead letters)
    acks: asyncio.Task[list[PubAck | BaseException]]
    js: JetStreamContext  # the connection it went out on
    spans: list[Span]  # per message sent, when tracing: ended when its ack is known


async def _publish(
    feed: Feed, broker: Broker, dead: DeadLetters, stop: asyncio.Event, spans: EventSpans | None
) -> None:
    """Publish one source's rows until ``stop``: read a batch, send it, and while the broker
    acknowledges it read and send the next; mark each batch's acked prefix only (a row is
    never marked before an earlier one). On a failure every batch in flight is dropped and
    read again from the first unmarked row, on a new connection (the stream drops what it
    already holds)."""
    settings, flight = feed.settings, deque[_Batch]()
    cursor = unacked = 0
    try:
        while not stop.is_set():
            try:
                js = await broker.context()
            except BrokerUnavailable as exc:
                unacked += 1
                if unacked == 1:
                    feed.log(f"{exc} (retrying)")
                await pause(stop, min(2.0, 0.05 * 2 ** min(unacked, 6)))
                continue
            try:
                # a batch goes out on the connection of those in flight, or after them: if
                # the last one was lost while the next went out on a new connection, the
                # next would be stored first (out of order)
                if len(flight) < PIPELINE and (not flight or flight[-1].js is js):
                    rows = await feed.unpublished(settings.batch_size, cursor if flight else 0)
                    if rows:
                        flight.append(await _launch(js, rows, feed, dead, spans))
                        cursor = rows[-1].seq
                        continue
                if not flight:
                    await feed.mark([])  # prunes now and then
                    await asyncio.sleep(settings.poll_interval)  # stop is seen at the top
                    continue
                batch = flight.popleft()
                results = await _settle(feed, batch)
            except (OutboxError, DeadLetterError) as exc:
                _drop(flight)
                await feed.failed(exc, stop)
                continue
            failure = next((r for r in results if isinstance(r, BaseException)), None)
            if failure is not None:
                count_error(feed.metrics, "publish")
                _drop(flight)
                await broker.renew(batch.js)
                unacked += 1
                if unacked == 1:
                    feed.log(f"the broker did not acknowledge {feed.source.name}'s events: "
                             f"{failure!r} (retrying)")  # fmt: skip
                await pause(stop, min(2.0, 0.05 * 2 ** min(unacked, 6)))
            elif unacked:
                feed.log(f"the broker acknowledges {feed.source.name}'s events again")
                unacked = 0
    finally:  # a clean stop: what the broker acked is marked, in order
        while flight:
            try:
                results = await _settle(feed, flight.popleft())
            except OutboxError as exc:
                feed.log(f"{exc} (those rows will be published again: deduped)")
                results = [exc]
            if any(isinstance(r, BaseException) for r in results):
                _drop(flight)


async def _launch(
    js: JetStreamContext, rows: list[Row], feed: Feed, dead: DeadLetters, spans: EventSpans | None
) -> _Batch:
    outgoing, poison, started = _messages(rows, spans)
    for row in poison:
        await asyncio.to_thread(bury, dead, feed.source, row)
    sent = await send(js, [message for _, message in outgoing])
    timeout = feed.settings.publish_timeout
    return _Batch(
        rows,
        [seq for seq, _ in outgoing],
        {row.seq for row in poison},
        asyncio.create_task(acks(sent, timeout=timeout)),
        js,
        started,
    )


async def _settle(feed: Feed, batch: _Batch) -> list[PubAck | BaseException]:
    """Wait for the batch's acks and mark its settled prefix; the acks."""
    results = await batch.acks
    for span, result in zip(batch.spans, results, strict=False):
        finish(span, error=repr(result) if isinstance(result, BaseException) else "")
    batch.spans = []
    acked = set(batch.sent[: acked_prefix(results)])
    await feed.mark(_settled(batch.rows, acked | batch.settled))
    return results


def _drop(flight: deque[_Batch]) -> None:
    for batch in flight:
        batch.acks.cancel()
        for span in batch.spans:  # read and published again, under new spans
            finish(span, error="dropped: an earlier message was not acknowledged")
    flight.clear()


def _messages(
    rows: Sequence[Row], spans: EventSpans | None = None
) -> tuple[list[tuple[int, Outgoing]], list[Row], list[Span]]:
    """The messages of a batch's rows, the rows that are no event (poison), and with
    ``spans`` the PRODUCER span of each message (its context in the message)."""
    outgoing: list[tuple[int, Outgoing]] = []
    poison: list[Row] = []
    started: list[Span] = []
    for row in rows:
        event = row.event
        if event is None:
            poison.append(row)
            continue
        try:
            subject = subject_for(event.aggregatetype)
        except ValueError as exc:
            poison.append(Row(row.seq, None, str(exc), event.to_dict()))
            continue
        if spans is None:  # off: the event as the producer wrote it
            outgoing.append((row.seq, Outgoing(subject, event.id, event.to_json())))
            continue
        span, event = spans.publish(event, subject)
        started.append(span)
        message = Outgoing(subject, event.id, event.to_json(), context_headers(event))
        outgoing.append((row.seq, message))
    return outgoing, poison, started


def _settled(rows: Sequence[Row], settled: set[int]) -> list[int]:
    """The rows to mark, in order, up to the first one not settled (acked, or poison).

    >>> rows = [Row(seq, None) for seq in (1, 2, 3, 4)]
    >>> _settled(rows, {1, 2, 4})
    [1, 2]
    """
    done = []
    for row in rows:
        if row.seq in settled:
            done.append(row.seq)
        else:
            break
    return done


def run(
    feeds: Sequence[Feed],
    target: Target,
    *,
    dead: DeadLetters,
    ready: Callable[[], None],
    tracer: Tracer | None = None,
    metrics: EventMetrics | None = None,
) -> None:
    """Relay until SIGINT or SIGTERM, then stop cleanly (the batch in flight is finished)."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await relay(
            feeds, target, dead=dead, stop=stop, ready=ready, tracer=tracer, metrics=metrics
        )

    try:
        asyncio.run(main())
    finally:
        for feed in feeds:
            feed.close()
