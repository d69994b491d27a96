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
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from nats.js import JetStreamContext

from strangler_proxy.events.embedded import EmbeddedSource
from strangler_proxy.events.feed import DeadLetters, Feed, bury, pause
from strangler_proxy.events.jetstream import (
    Outgoing,
    acked_prefix,
    connect,
    ensure_stream,
    publish_batch,
    subject_for,
)
from strangler_proxy.events.outbox import OutboxError
from strangler_proxy.events.push import Inbox
from strangler_proxy.events.sources import Row
from strangler_proxy.events.subscriber import Subscriber


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
) -> None:
    """Relay every feed to ``target`` until ``stop`` is set (``BrokerUnavailable`` when the
    broker cannot be reached at the start)."""
    if isinstance(target, EmbeddedTarget):
        sources = [
            EmbeddedSource(feed, [Inbox(s, target.token) for s in target.subscribers], dead)
            for feed in feeds
        ]
        ready()
        await asyncio.gather(*(source.run(stop) for source in sources))
        return
    nc = await connect(target.url)
    try:
        js = nc.jetstream()
        await ensure_stream(js)
        ready()
        await asyncio.gather(*(_publish(feed, js, dead, stop) for feed in feeds))
    finally:
        await nc.close()


async def _publish(
    feed: Feed, js: JetStreamContext, dead: DeadLetters, stop: asyncio.Event
) -> None:
    """Publish one source's rows until ``stop``: read a batch, publish it, mark what the
    broker acknowledged (the acked prefix: a row is never marked before an earlier one)."""
    settings, unacked = feed.settings, 0
    while not stop.is_set():
        try:
            rows = await feed.unpublished(settings.batch_size)
            if not rows:
                await feed.mark([])  # prunes now and then
                await pause(stop, settings.poll_interval)
                continue
            outgoing, poison = _messages(rows)
            for row in poison:
                await asyncio.to_thread(bury, dead, feed.source, row)
            results = await publish_batch(
                js, [m for _, m in outgoing], timeout=settings.publish_timeout
            )
        except OutboxError as exc:
            await feed.failed(exc, stop)
            continue
        acked = acked_prefix(results)
        done = _settled(rows, {seq for seq, _ in outgoing[:acked]} | {r.seq for r in poison})
        try:
            await feed.mark(done)
        except OutboxError as exc:
            await feed.failed(exc, stop)  # published, not marked: the next try is deduped
            continue
        if acked < len(outgoing):
            unacked += 1
            if unacked == 1:
                feed.log(f"the broker did not acknowledge {feed.source.name}'s events: "
                         f"{results[acked]!r} (retrying)")  # fmt: skip
            if "no response from stream" in str(results[acked]).lower():
                await ensure_stream(js)  # the broker lost its stream (a new store)
            await pause(stop, min(2.0, 0.05 * 2 ** min(unacked, 6)))
        elif unacked:
            feed.log(f"the broker acknowledges {feed.source.name}'s events again")
            unacked = 0


def _messages(rows: Sequence[Row]) -> tuple[list[tuple[int, Outgoing]], list[Row]]:
    """The messages of a batch's rows, and the rows that are no event (poison)."""
    outgoing: list[tuple[int, Outgoing]] = []
    poison: list[Row] = []
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
        outgoing.append((row.seq, Outgoing(subject, event.id, event.to_json())))
    return outgoing, poison


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
    feeds: Sequence[Feed], target: Target, *, dead: DeadLetters, ready: Callable[[], None]
) -> None:
    """Relay until SIGINT or SIGTERM, then stop cleanly (the batch in flight is finished)."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await relay(feeds, target, dead=dead, stop=stop, ready=ready)

    try:
        asyncio.run(main())
    finally:
        for feed in feeds:
            feed.close()
