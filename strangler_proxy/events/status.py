"""``strangler events status``: per stream and subscriber, what is still on its way.

- the outbox backlog of each producer (rows not published yet, read over SQL with the
  relay's ``events.outbox``),
- each subscriber's lag, from its JetStream consumer's info: the count of events not
  applied yet and the age of the oldest of them (``events.lag``),
- its dead letters not replayed yet (``events.deadletters``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import nats.errors
from nats.js import JetStreamContext
from nats.js.api import ConsumerInfo
from nats.js.errors import NotFoundError

from strangler_proxy.events.envelope import Event, InvalidEvent, format_time
from strangler_proxy.events.jetstream import STREAM, connect
from strangler_proxy.events.lag import Lag
from strangler_proxy.events.outbox import OutboxError, open_outbox
from strangler_proxy.events.sources import EMBEDDED, Source

#: the broker "URL" of the embedded relay (no broker)


@dataclass(frozen=True, slots=True)
class Backlog:
    source: str
    unpublished: int | None  # None: the outbox could not be read (``error`` says why)
    error: str = ""


@dataclass(frozen=True, slots=True)
class SubscriberStatus:
    name: str
    filter: str  # the consumer's filter subject ("" without a consumer)
    lag: Lag | None  # None: no consumer on the stream (no deliverer ran for it yet)
    dead_letters: int = 0


@dataclass(frozen=True, slots=True)
class Status:
    stream: str  # "EVENTS", or "embedded" (no broker)
    messages: int  # in the stream
    backlogs: Sequence[Backlog] = ()
    subscribers: Sequence[SubscriberStatus] = ()
    at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def to_json(self) -> dict[str, Any]:
        return {
            "stream": self.stream,
            "messages": self.messages,
            "at": format_time(self.at),
            "backlog": [
                {"source": b.source, "unpublished": b.unpublished, "error": b.error or None}
                for b in self.backlogs
            ],
            "subscribers": [
                {
                    "subscriber": s.name,
                    "filter": s.filter or None,
                    "lag": None if s.lag is None else s.lag.count,
                    "oldest_unapplied": None
                    if s.lag is None or s.lag.oldest is None or not s.lag.count
                    else format_time(s.lag.oldest),
                    "lag_age_seconds": None if s.lag is None else s.lag.age(self.at),
                    "dead_letters": s.dead_letters,
                }
                for s in self.subscribers
            ],
        }


def backlogs(sources: Sequence[Source]) -> list[Backlog]:
    """Each source's unpublished outbox rows (an unreadable one says why, not fails all)."""
    found = []
    for source in sources:
        try:
            with open_outbox(source) as outbox:
                count, _ = outbox.backlog()
            found.append(Backlog(source.name, count))
        except OutboxError as exc:
            found.append(Backlog(source.name, None, str(exc)))
    return found


async def consumer_lags(url: str) -> tuple[int, list[tuple[str, str, Lag]]]:
    """The stream's message count and, per durable consumer, its filter and lag.
    BrokerUnavailable naming ``url`` when nothing answers there."""
    nc = await connect(url, name="strangler-status")
    try:
        js = nc.jetstream()
        try:
            info = await js.stream_info(STREAM)
        except NotFoundError:
            return 0, []  # nothing was ever relayed to this broker
        found = []
        for consumer in await js.consumers_info(STREAM):
            subject = consumer.config.filter_subject or ""
            found.append((consumer.name, subject, await _lag(js, consumer)))
        return int(info.state.messages), sorted(found)
    finally:
        with contextlib.suppress(Exception):
            await nc.close()


async def _lag(js: JetStreamContext, consumer: ConsumerInfo) -> Lag:
    pending, unacked = int(consumer.num_pending or 0), int(consumer.num_ack_pending or 0)
    oldest = None
    if pending + unacked:
        floor = consumer.ack_floor.stream_seq if consumer.ack_floor else 0
        subject = consumer.config.filter_subject or None
        with contextlib.suppress(NotFoundError, nats.errors.Error, InvalidEvent, ValueError):
            msg = await js.get_msg(STREAM, seq=(floor or 0) + 1, next=True, subject=subject)
            oldest = Event.from_json(msg.data or b"").at
    return Lag(pending, unacked, oldest)


def status(url: str, sources: Sequence[Source], dead_letters: dict[str, int]) -> Status:
    """Everything ``strangler events status`` shows (BrokerUnavailable for a dead broker).

    ``url`` ``embedded``: no broker (the relay pushes to the inboxes itself and marks a row
    published once every subscriber took it), so the outbox backlog is the lag."""
    messages, lags = (0, []) if url == EMBEDDED else asyncio.run(consumer_lags(url))
    subscribers = [
        SubscriberStatus(name, subject, lag, dead_letters.get(name, 0))
        for name, subject, lag in lags
    ]
    known = {s.name for s in subscribers}
    subscribers += [
        SubscriberStatus(name, "", None, count)
        for name, count in sorted(dead_letters.items())
        if name not in known
    ]
    return Status(EMBEDDED if url == EMBEDDED else STREAM, messages, backlogs(sources), subscribers)
