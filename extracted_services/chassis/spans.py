"""The services' own spans and trace headers, on OpenTelemetry's API only (cheap to import;
with tracing off every call here is a flag check or a no-op).

- ``applying(type, id, headers)``: the CONSUMER span ``"{type} apply"`` an inbox runs one
  event in, child of the event's ``headers.traceparent`` (so the apply and its database
  spans join the trace that caused the event).
- ``trace_headers(known)``: an outbox row's headers, ``traceparent``/``tracestate`` of the
  span current at record time when there is one, else the request's own as they came.
- ``current_ids()``: the current span's trace and span ids (hex) for the log lines.

>>> trace_headers({"traceparent": "00-" + "1" * 32 + "-" + "2" * 16 + "-01", "x-request-id": "r"})
{'traceparent': '00-11111111111111111111111111111111-2222222222222222-01', 'x-request-id': 'r'}
>>> current_ids()
(None, None)
>>> with applying("product.upserted", "e1", {}) as span:
...     span is None
True
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.trace import Span, SpanKind

_on = False


def enable() -> None:
    """Tracing is on in this process (``tracing.start_tracing`` calls it)."""
    global _on
    _on = True


def request_hook(span: Span, request: Any) -> None:
    """Django's server span carries the request id: a trace is found by it."""
    if span.is_recording():
        request_id = request.META.get("HTTP_X_REQUEST_ID")
        if request_id:
            span.set_attribute("strangler.request_id", request_id)


@contextmanager
def applying(event_type: str, event_id: Any, headers: Any) -> Iterator[Span | None]:
    """The span of one event's apply (``None`` when off); the caller sets its outcome with
    ``outcome(span, ...)``. Headers without a ``traceparent``: a child of the current span."""
    if not _on:
        yield None
        return
    carrier = headers if isinstance(headers, Mapping) else {}
    parent = propagate.extract(carrier) if "traceparent" in carrier else None
    tracer = trace.get_tracer("extracted_services.chassis")
    attributes = {"messaging.operation.type": "process"}
    if event_id is not None:
        attributes["messaging.message.id"] = str(event_id)
    with tracer.start_as_current_span(
        f"{event_type} apply", context=parent, kind=SpanKind.CONSUMER, attributes=attributes
    ) as span:
        yield span


def outcome(span: Span | None, value: str) -> None:
    if span is not None:
        span.set_attribute("strangler.event.outcome", value)


def trace_headers(known: Mapping[str, str]) -> dict[str, str]:
    headers = dict(known)
    if _on:
        propagate.inject(headers)  # no valid current span: writes nothing
    return headers


def current_ids() -> tuple[str | None, str | None]:
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None, None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")
