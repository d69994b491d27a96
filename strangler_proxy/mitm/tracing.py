"""The proxy's spans in the mitmproxy engine (issue 11), as the production engine makes
them (``engine/tracing.py``; names and attributes from ``policy.trace``).

No mitmproxy import (tested in the main environment): the addon hands in a flow's id and
its request headers (any mutable mapping of text). A flow's metadata is deep-copied by
``flow.copy()`` and written to flow files, so spans are kept here, by flow id, never in it.
The addon holds a ``FlowTracer`` or None (tracing off: the request goes on untouched).

>>> from opentelemetry import trace
>>> from opentelemetry.sdk.trace import TracerProvider
>>> tracer = FlowTracer(TracerProvider().get_tracer("doc"))
>>> headers = {"traceparent": "00-" + "ab" * 16 + "-" + "cd" * 8 + "-01"}
>>> tracer.start("f1", "GET", "/x", "svc", "service", "r-1", headers)
>>> headers["traceparent"].startswith("00-" + "ab" * 16 + "-")  # the same trace, our span
True
>>> headers["traceparent"][36:52] != "cd" * 8
True
>>> with tracer.current("f1"):  # the identity exchange's POST names it as its parent
...     current = trace.get_current_span().get_span_context()
>>> headers["traceparent"][36:52] == f"{current.span_id:016x}"
True
>>> trace.get_current_span().get_span_context().is_valid  # only meanwhile
False
>>> tracer.end("f1", 200, "catalog", None, None, error=None)
>>> tracer.end("f1", 200, "catalog", None, None, error=None)  # once only: unknown now
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator, MutableMapping
from typing import Any

from opentelemetry import context, trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from strangler_proxy.policy import trace as policy
from strangler_proxy.telemetry.setup import start_tracing

__all__ = ["FlowTracer", "process_tracer"]

_PROPAGATOR = TraceContextTextMapPropagator()
#: spans of flows under way, at most: a flow mitmproxy never ends (no hook) is dropped
MAX_OPEN = 10_000


@functools.cache
def process_tracer() -> FlowTracer | None:
    """mitmdump's tracer (``start_tracing``), or None when tracing is off."""
    tracer = start_tracing("strangler-proxy")
    return None if tracer is None else FlowTracer(tracer)


class FlowTracer:
    def __init__(self, tracer: Tracer) -> None:
        self.tracer = tracer
        # flow id -> its span and the attributes known at its start (None: not recording);
        # a copy's under the copy's id
        self._open: dict[str, tuple[Span, dict[str, Any] | None]] = {}

    def start(
        self,
        flow_id: str,
        method: str,
        path: str,
        route: str | None,
        mode: str | None,
        request_id: str,
        headers: MutableMapping[str, str],
    ) -> None:
        """The client flow's SERVER span; ``headers`` (the request going upstream) name it
        as the parent, the client's ``traceparent`` replaced."""
        carrier = {k: v for k in ("traceparent", "tracestate") if (v := headers.get(k))}
        parent = _PROPAGATOR.extract(carrier) if carrier else None
        # the attributes are set once, at the end (as the production engine does)
        span = self.tracer.start_span(policy.span_name(method, route), parent, SpanKind.SERVER)
        attributes: dict[str, Any] | None = None
        if span.is_recording():
            attributes = dict(policy.request_attributes(method, path, route, request_id))
            if mode is not None:
                attributes["strangler.mode"] = mode
        self._keep(flow_id, span, attributes)
        headers["traceparent"] = _traceparent(span)

    @contextlib.contextmanager
    def current(self, flow_id: str) -> Iterator[None]:
        """The flow's span is the current one meanwhile (nothing when it has none): the
        identity exchange's POST names it as its parent, as in the production engine."""
        kept = self._open.get(flow_id)
        if kept is None:
            yield
            return
        token = context.attach(trace.set_span_in_context(kept[0]))
        try:
            yield
        finally:
            context.detach(token)

    def shadow(
        self, flow_id: str, copy_id: str, route: str, headers: MutableMapping[str, str]
    ) -> None:
        """A copy's CLIENT span, a child of its client flow's; the copy carries it."""
        parent = self._open.get(flow_id)
        if parent is None:
            return
        context = trace.set_span_in_context(parent[0])
        span = self.tracer.start_span(policy.shadow_span_name(route), context, SpanKind.CLIENT)
        recording = span.is_recording()
        self._keep(copy_id, span, {"strangler.route": route} if recording else None)
        headers["traceparent"] = _traceparent(span)

    def shadow_done(self, copy_id: str, outcome: str) -> None:
        kept = self._open.pop(copy_id, None)
        if kept is None:
            return
        span, attributes = kept
        if attributes is not None:
            span.set_attributes({**attributes, "strangler.shadow.outcome": outcome})
            if outcome == policy.SHADOW_ERROR:
                span.set_status(Status(StatusCode.ERROR))
        span.end()

    def end(
        self,
        flow_id: str,
        status: int,
        served_by: str,
        fallback: str | None,
        shadow: str | None,
        *,
        error: str | None,
    ) -> None:
        """The client flow's answer went out (``error``: the proxy's own answer, why)."""
        kept = self._open.pop(flow_id, None)
        if kept is None:
            return
        span, attributes = kept
        if attributes is not None:
            outcome = policy.outcome_attributes(status, served_by, fallback, shadow)
            span.set_attributes({**attributes, **outcome})
            if error is not None or status >= 500:
                span.set_status(Status(StatusCode.ERROR, error))
        span.end()

    def _keep(self, key: str, span: Span, attributes: dict[str, Any] | None) -> None:
        if len(self._open) >= MAX_OPEN:  # the oldest flow never ended: let its span go
            self._open.pop(next(iter(self._open)))
        self._open[key] = (span, attributes)


def _traceparent(span: Span) -> str:
    ctx = span.get_span_context()
    value = policy.traceparent(ctx.trace_id, ctx.span_id, sampled=ctx.trace_flags.sampled)
    return value.decode("ascii")
