"""Delivery from JetStream to a subscriber's inbox: one durable pull consumer per subscriber.

Each round fetches a batch, pushes the events the subscriber wants to its inbox (in stream
order), then per message (``decide``): ack what the inbox holds, dead-letter a ``rejected``
event at once (then ``term``), ``nak`` with a growing delay when the delivery failed, and
dead-letter a message whose delivery count reached ``max_deliver`` (with the last reason).
A 401 or 403 is the deployment's fault (a wrong events token), not the events': the batch
waits at the longest delay, logged as an error, and nothing becomes a dead letter for it.

Choices:

- **One consumer per subscriber on ``events.>``** (or ``events.<topic>`` when it has one
  topic), skipping (acking) the topics it does not want: stream order is kept across
  topics, which foreign keys need (a category before the product in it). nats-server 2.9
  has no multi-subject filter, and a consumer per topic would lose that order.
- **``max_ack_pending`` = the batch size**: while a batch is being retried the server
  hands out nothing newer, so events of one entity reach the inbox in order.
- **The delivery count decides dead letters, not the MAX_DELIVERIES advisory**: the
  server's own ``max_deliver`` stays unlimited and the deliverer dead-letters a message on
  its ``max_deliver``-th failed delivery, writing the letter *before* it terms the message.
  The advisory (``$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.EVENTS.<consumer>``) is a
  plain NATS message sent once: a deliverer that is down (or restarting after ``kill -9``)
  when it is sent never hears it, and the server would have stopped delivering the
  message: lost without a letter. With the count, a deliverer killed between its last
  failure and the letter gets the message again and writes the letter then.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import nats.errors
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import BadRequestError, NotFoundError
from opentelemetry.trace import Tracer

from strangler_proxy.events.deadletters import DeadLetterError, DeadLetterStore
from strangler_proxy.events.decide import (
    Ack,
    Action,
    DeadLetter,
    Nak,
    Retry,
    after_failure,
    after_results,
    not_an_event,
)
from strangler_proxy.events.envelope import Event, InvalidEvent
from strangler_proxy.events.feed import pause
from strangler_proxy.events.instruments import EventMetrics, count_error
from strangler_proxy.events.jetstream import MSG_ID, STREAM, connect, ensure_stream
from strangler_proxy.events.observed import Watch
from strangler_proxy.events.probes import deliverer_gauges
from strangler_proxy.events.push import DeliveryFailed, Inbox
from strangler_proxy.events.subscriber import Subscriber
from strangler_proxy.events.tracing import EventSpans
from strangler_proxy.telemetry.logs import trace_of

log = logging.getLogger("strangler.events.deliver")


@dataclass(frozen=True, slots=True)
class Settings:
    batch: int = 100  # messages per fetch, and the most in flight at once
    ack_wait: float = 30.0  # seconds before JetStream redelivers an unacked message
    fetch_wait: float = 1.0  # seconds a fetch waits for messages
    check_every: float = 5.0  # seconds between two checks, while idle, that the consumer exists
    retry: Retry = field(default_factory=Retry)


def filter_subject(subscriber: Subscriber) -> str:
    """``events.<topic>`` for a one-topic subscriber, else ``events.>``.

    >>> filter_subject(Subscriber("n", "http://x/", ("order",)))
    'events.order'
    >>> filter_subject(Subscriber("c", "http://x/", ("product", "category")))
    'events.>'
    """
    subjects = subscriber.subjects
    return subjects[0] if len(subjects) == 1 else "events.>"


def consumer_config(subscriber: Subscriber, settings: Settings) -> ConsumerConfig:
    return ConsumerConfig(
        durable_name=subscriber.name,
        deliver_policy=DeliverPolicy.ALL,
        ack_policy=AckPolicy.EXPLICIT,
        ack_wait=settings.ack_wait,
        max_deliver=-1,  # the deliverer counts (see the module's notes)
        max_ack_pending=settings.batch,
        filter_subject=filter_subject(subscriber),
    )


class Deliverer:
    """Delivers one subscriber's events until ``stop`` is set."""

    def __init__(
        self,
        nc: NATS,
        subscriber: Subscriber,
        inbox: Inbox,
        dead_letters: DeadLetterStore,
        settings: Settings = Settings(),
        spans: EventSpans | None = None,
        metrics: EventMetrics | None = None,
    ) -> None:
        self.nc, self.js = nc, nc.jetstream()
        self.subscriber, self.inbox = subscriber, inbox
        self.dead_letters, self.settings = dead_letters, settings
        self.watch = Watch(subscriber.name, spans, metrics, "process")
        self._first_failure: dict[str, float] = {}  # event id -> when its delivery first failed
        self._sub: JetStreamContext.PullSubscription | None = None
        self._checked_at = 0.0  # when the consumer was last seen on the broker (monotonic)

    async def bind(self) -> None:
        """Create the subscriber's durable consumer (or use the existing one) and bind."""
        config = consumer_config(self.subscriber, self.settings)
        try:
            await self.js.add_consumer(STREAM, config)
        except BadRequestError as exc:  # it exists with other settings: keep its position
            log.warning("consumer %s exists with other settings (%s)", self.subscriber.name, exc)
        if self._sub is not None:
            with contextlib.suppress(nats.errors.Error):
                await self._sub.unsubscribe()
        self._sub = await self.js.pull_subscribe_bind(durable=self.subscriber.name, stream=STREAM)
        self._checked_at = time.monotonic()

    async def _still_bound(self) -> None:
        """While idle, now and then: is the consumer still there? Someone deleted it, or the
        broker came back without its store: then both are made again (from the start of
        the stream: the inbox turns what it has into duplicates), not a silent stall."""
        if time.monotonic() - self._checked_at < self.settings.check_every:
            return
        self._checked_at, name = time.monotonic(), self.subscriber.name
        try:
            await self.js.consumer_info(STREAM, self.subscriber.name)
        except NotFoundError:
            log.warning("%s: its consumer is gone from the broker: made again", name)
            await ensure_stream(self.js)
            await self.bind()

    async def run(self, stop: asyncio.Event) -> None:
        if self._sub is None:
            await self.bind()
        name, lost = self.subscriber.name, False
        while not stop.is_set():
            if not self.nc.is_connected:  # nats-py reconnects on its own; wait for it
                if not lost:
                    log.warning("%s: lost the broker; waiting for it to come back", name)
                lost = True
                await pause(stop, 0.1)
                continue
            if lost:
                log.warning("%s: the broker is back; delivering again", name)
                lost, self._checked_at = False, 0.0  # it may have come back without its store
            try:
                await self.step()
            except (nats.errors.Error, OSError) as exc:
                if not stop.is_set():
                    count_error(self.watch.metrics, "broker")
                    problem = str(exc) or type(exc).__name__
                    log.warning("%s: broker: %s; trying again", name, problem)
                    await pause(stop, 0.5)

    async def step(self) -> int:
        """One round: fetch, push, settle. The number of messages settled."""
        assert self._sub is not None, "bind() first"
        try:
            msgs = await self._sub.fetch(self.settings.batch, timeout=self.settings.fetch_wait)
        except (nats.errors.TimeoutError, TimeoutError):  # nothing new (nats-py raises either)
            await self._still_bound()
            return 0
        wanted: list[tuple[Msg, Event]] = []
        for msg in msgs:
            try:
                event = Event.from_json(msg.data)
            except InvalidEvent as exc:
                count_error(self.watch.metrics, "decode")
                await self._settle(msg, _msg_id(msg), not_an_event(str(exc)))
                continue
            if self.subscriber.wants(event.aggregatetype):
                wanted.append((msg, event))
            else:
                await msg.ack()
        await self._deliver(wanted)
        await self.nc.flush()
        return len(msgs)

    async def _deliver(self, batch: Sequence[tuple[Msg, Event]]) -> None:
        if not batch:
            return
        try:
            results = await self.watch.push(
                self.inbox,
                [event for _, event in batch],
                [msg.subject for msg, _ in batch],
                [msg.headers for msg, _ in batch],  # the relay's publish span: the parent
            )
        except DeliveryFailed as exc:
            await self._failed(batch, exc)
            return
        for (msg, event), action in zip(batch, after_results(results), strict=True):
            await self._settle(msg, event.id, action)

    async def _failed(self, batch: Sequence[tuple[Msg, Event]], failure: DeliveryFailed) -> None:
        """The whole batch was not delivered: each message again later, or dead."""
        now, delays, reason = time.time(), [], failure.reason
        for msg, event in batch:
            self._first_failure.setdefault(event.id, now)
            action = after_failure(
                reason, delivered=msg.metadata.num_delivered, policy=self.settings.retry,
                blameless=failure.blameless,
            )  # fmt: skip
            if isinstance(action, Nak):
                delays.append(action.delay)
            await self._settle(msg, event.id, action)
        if failure.refused:
            log.error("%s: check the events token (--token-file, EVENTS_TOKEN)", reason)
        if delays:
            log.info("%s; %d event(s) again in %.1f s", reason, len(delays), min(delays))

    async def _settle(self, msg: Msg, event_id: str, action: Action) -> None:
        if isinstance(action, Ack):
            self._first_failure.pop(event_id, None)
            await msg.ack()
        elif isinstance(action, Nak):
            await msg.nak(delay=action.delay)
        else:
            await self._dead(msg, event_id, action)

    async def _dead(self, msg: Msg, event_id: str, action: DeadLetter) -> None:
        """Keep the letter, then ``term`` the message; when the store cannot keep it, the
        message stays in the stream and comes again later (nothing is dropped unwritten)."""
        first = self._first_failure.get(event_id)
        try:
            letter = await asyncio.to_thread(
                self.dead_letters.add, self.subscriber.name, event_id, msg.data, action.reason,
                attempts=msg.metadata.num_delivered, url=self.subscriber.url,
                first_failed_at=first,
            )  # fmt: skip
        except DeadLetterError as exc:
            count_error(self.watch.metrics, "dead_letters")
            delay = self.settings.retry.max_delay
            log.error("cannot keep event %s as a dead letter (%s): again in %.1f s",
                      event_id, exc, delay, extra=trace_of(msg.headers))  # fmt: skip
            await msg.nak(delay=delay)
            return
        self._first_failure.pop(event_id, None)
        log.warning(
            "dead letter %d: event %s for %s: %s", letter.id, event_id, self.subscriber.name,
            action.reason, extra=trace_of(msg.headers),  # the trace of the write that made it
        )  # fmt: skip
        await msg.term()  # after the letter is written: a crash in between redelivers it


async def deliver(
    url: str,
    subscribers: Sequence[Subscriber],
    token: str,
    dead_letters: DeadLetterStore,
    stop: asyncio.Event,
    settings: Settings = Settings(),
    ready: Callable[[], None] = lambda: None,
    *,
    tracer: Tracer | None = None,
    metrics: EventMetrics | None = None,
) -> None:
    """Deliver to every subscriber (one consumer each, one connection) until ``stop``;
    ``ready()`` once every consumer is bound. BrokerUnavailable naming ``url`` when the
    broker cannot be reached at the start (later it reconnects on its own). With a
    ``tracer`` a CONSUMER span per message; with ``metrics`` counted, gauges kept fresh."""
    nc = await connect(url, name="strangler-deliver")
    inboxes = [Inbox(s, token) for s in subscribers]
    spans = None if tracer is None else EventSpans(tracer, "nats")
    try:
        await ensure_stream(nc.jetstream())
        deliverers = [
            Deliverer(nc, i.subscriber, i, dead_letters, settings, spans, metrics) for i in inboxes
        ]
        for deliverer in deliverers:
            await deliverer.bind()
        with deliverer_gauges(metrics, url, subscribers, dead_letters, stop):
            ready()
            await asyncio.gather(*(d.run(stop) for d in deliverers))
    finally:
        for inbox in inboxes:
            await inbox.aclose()
        with contextlib.suppress(Exception):
            await nc.close()


def _msg_id(msg: Msg) -> str:
    """The message's ``Nats-Msg-Id`` (the event id), else its stream sequence."""
    msg_id = (msg.headers or {}).get(MSG_ID)
    return msg_id or f"stream-seq-{msg.metadata.sequence.stream}"
