"""A push to one subscriber's inbox, traced and counted: what the embedded relay and the
JetStream deliverer share (each part only when it is on: a ``None`` check otherwise).

    watch = Watch("catalog", spans, metrics, "process")
    results = await watch.push(inbox, events, subjects, carriers)  # or DeliveryFailed
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from opentelemetry.trace import Span

from strangler_proxy.events.envelope import Event, Result
from strangler_proxy.events.instruments import EventMetrics
from strangler_proxy.events.push import DeliveryFailed, Inbox
from strangler_proxy.events.tracing import EventSpans, finish


class Watch:
    def __init__(
        self,
        subscriber: str,
        spans: EventSpans | None,
        metrics: EventMetrics | None,
        operation: Literal["publish", "process"],
    ) -> None:
        self.subscriber, self.spans, self.metrics = subscriber, spans, metrics
        self.operation = operation

    async def push(
        self,
        inbox: Inbox,
        events: Sequence[Event],
        destinations: Sequence[str] | None = None,
        carriers: Sequence[Mapping[str, str] | None] | None = None,
    ) -> list[Result]:
        """``inbox.push(events)``, each event in its span (its context in the event pushed:
        ``destinations`` and ``carriers`` per event, see ``begin``), outcomes counted."""
        sent, started = self.begin(events, destinations, carriers)
        try:
            results = await inbox.push(sent)
        except DeliveryFailed as exc:
            self.failed(started, len(events), exc.reason)
            raise
        self.answered(started, results)
        return results

    def begin(
        self,
        events: Sequence[Event],
        destinations: Sequence[str] | None = None,
        carriers: Sequence[Mapping[str, str] | None] | None = None,
    ) -> tuple[Sequence[Event], list[Span]]:
        """The events to push (each carrying its span's context) and their spans; the
        events untouched when tracing is off."""
        spans = self.spans
        if spans is None:
            return events, []
        sent, started = [], []
        for i, event in enumerate(events):
            where = self.subscriber if destinations is None else destinations[i]
            if self.operation == "publish":
                span, event = spans.publish(event, where, self.subscriber)
            else:
                carrier = None if carriers is None else carriers[i]
                span, event = spans.process(event, where, self.subscriber, carrier)
            sent.append(event)
            started.append(span)
        return sent, started

    def answered(self, started: Sequence[Span], results: Sequence[Result]) -> None:
        """The inbox answered: each event's outcome on its span, and counted."""
        for span, result in zip(started, results, strict=False):
            finish(span, result.outcome.value, result.reason)
        if self.metrics is not None:
            for result in results:
                self.metrics.count(self.subscriber, result.outcome.value)

    def failed(self, started: Sequence[Span], count: int, reason: str) -> None:
        """The batch was not delivered (it comes again, or dies): ``failed`` for each."""
        for span in started:
            finish(span, "failed", reason)
        if self.metrics is not None:
            self.metrics.count(self.subscriber, "failed", count)
            self.metrics.error("push")
