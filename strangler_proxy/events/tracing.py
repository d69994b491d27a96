"""Trace context through events (issue 11's DESIGN §3): the spans of the relay and the
deliverer, and the W3C ``traceparent``/``tracestate`` every hop passes on.

An event's ``headers`` carry the context of the span that caused it (the producer's request,
recorded with the outbox row). Each hop opens its span as a child of the context it was
handed and hands on its own, in the event's ``headers`` (and, on NATS, the message's headers
too), so the inbox's apply joins the trace of the request that made the event:

- relay: a PRODUCER span ``"{type} publish"`` per event (JetStream: until the broker acks
  it; embedded: per push to a subscriber, with the inbox's outcome),
- deliverer: a CONSUMER span ``"{type} process"`` per message and delivery.

Only built when tracing is on: with it off the relay and the deliverer hold ``None`` and the
events pass with their headers untouched (DESIGN §3: a None check, nothing more).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from strangler_proxy.events.envelope import Event

#: the attribute holding what became of the event (applied, duplicate, ..., failed)
OUTCOME = "strangler.event.outcome"
#: outcomes that are failures (the span's status is ERROR)
FAILED = frozenset({"rejected", "failed"})
#: the headers of W3C trace context, replaced at every hop
CONTEXT_HEADERS = ("traceparent", "tracestate")

_W3C = TraceContextTextMapPropagator()  # traceparent/tracestate, whatever OTEL_PROPAGATORS says


class EventSpans:
    """The spans of one process's hop; ``system`` is ``nats`` or ``embedded``."""

    def __init__(self, tracer: Tracer, system: str) -> None:
        self.tracer = tracer
        self.system = system

    def publish(self, event: Event, destination: str, subscriber: str = "") -> tuple[Span, Event]:
        """The PRODUCER span of ``event`` (child of its ``headers``' context) and the event
        carrying this span's context."""
        return self._start(event, SpanKind.PRODUCER, "publish", destination, subscriber, None)

    def process(
        self, event: Event, destination: str, subscriber: str, carrier: Mapping[str, str] | None
    ) -> tuple[Span, Event]:
        """The CONSUMER span of a message (child of ``carrier``'s context: the message's
        headers; the event's own when the message has none) and the event to push."""
        return self._start(event, SpanKind.CONSUMER, "process", destination, subscriber, carrier)

    def _start(
        self,
        event: Event,
        kind: SpanKind,
        operation: str,
        destination: str,
        subscriber: str,
        carrier: Mapping[str, str] | None,
    ) -> tuple[Span, Event]:
        if not carrier or "traceparent" not in carrier:
            carrier = event.headers
        attributes = {
            "messaging.system": self.system,
            "messaging.operation.type": operation,
            "messaging.destination.name": destination,
            "messaging.message.id": event.id,
        }
        if subscriber:
            attributes["strangler.subscriber"] = subscriber
        span = self.tracer.start_span(
            f"{event.type} {operation}",
            context=_W3C.extract(carrier),
            kind=kind,
            attributes=attributes,
        )
        return span, carry(event, span)


def carry(event: Event, span: Span) -> Event:
    """``event`` with ``span``'s context in its headers (other headers kept)."""
    headers = {k: v for k, v in event.headers.items() if k not in CONTEXT_HEADERS}
    _W3C.inject(headers, context=trace.set_span_in_context(span))
    return dataclasses.replace(event, headers=headers)


def context_headers(event: Event) -> dict[str, str]:
    """The trace context headers of ``event`` (for the NATS message's own headers)."""
    return {k: str(event.headers[k]) for k in CONTEXT_HEADERS if k in event.headers}


def finish(span: Span, outcome: str = "", error: str = "") -> None:
    """End ``span`` with the event's outcome; ``rejected``/``failed`` (or an ``error``)
    set the status ERROR with the reason."""
    if outcome:
        span.set_attribute(OUTCOME, outcome)
    if outcome in FAILED or error:
        span.set_status(Status(StatusCode.ERROR, error or outcome))
    span.end()
