"""The proxy's spans in the production engine (issue 11), over the OpenTelemetry SDK.

``ProxyApp`` holds a ``RequestTracer`` or None (tracing off: every use is behind one
``is None`` check, and the request's headers go upstream untouched). With one, each request
is a SERVER span continuing the client's ``traceparent`` (or starting a trace); the upstream
gets ``traceparent`` naming this span as its parent (the client's ``tracestate`` passes
through as it came); a shadow copy is a CLIENT span, its child, that the copy carries as
its parent and the shadow worker ends once the copy's outcome is known. The names and
attributes are the policy's (``policy.trace``), the same in the mitmproxy engine.

The sampler is the SDK's (``OTEL_TRACES_SAMPLER``): an unsampled request's span records
nothing, but its ids still go upstream (flags ``00``), so the next hop samples alike.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from opentelemetry import context, trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from strangler_proxy.engine.settings import ConfigError
from strangler_proxy.policy import trace as policy
from strangler_proxy.telemetry.setup import TelemetryError, start_tracing, tracer_provider

_PROPAGATOR = TraceContextTextMapPropagator()
_CARRIED = (b"traceparent", b"tracestate")
Headers = list[tuple[bytes, bytes]]

__all__ = ["RequestTracer", "Span", "check_config", "process_tracer"]
SERVICE = "strangler-proxy"


def check_config() -> None:
    """Stop the command now on a tracing configuration no worker could follow (rather than
    every spawned worker dying on it, again and again): ``ConfigError`` saying why."""
    try:
        provider = tracer_provider(SERVICE)
    except TelemetryError as exc:
        raise ConfigError(f"tracing: {exc}") from exc
    if provider is not None:
        provider.shutdown()


@functools.cache
def process_tracer() -> RequestTracer | None:
    """This process's tracer (``start_tracing``, once per process: each spawned worker
    builds its engine and comes here), or None when tracing is off."""
    try:
        tracer = start_tracing(SERVICE)
    except TelemetryError as exc:
        raise ConfigError(f"tracing: {exc}") from exc
    return None if tracer is None else RequestTracer(tracer)


class RequestTracer:
    def __init__(self, tracer: Tracer) -> None:
        self.tracer = tracer

    def start(self, method: str, route: str | None, raw: Sequence[tuple[bytes, bytes]]) -> Span:
        """The request's span, a child of the client's ``traceparent`` when it sent one.

        Its attributes are set once, at the end, and only when it records: given to
        ``start_span`` they are copied for the sampler and again for the span (sampled,
        ~2x the span's cost; the SDK's samplers do not read them)."""
        carrier = {n.decode("latin-1"): v.decode("latin-1") for n, v in raw if n in _CARRIED}
        parent = _PROPAGATOR.extract(carrier) if carrier else None
        return self.tracer.start_span(policy.span_name(method, route), parent, SpanKind.SERVER)

    @staticmethod
    def current(span: Span) -> object:
        """Make ``span`` the current one (log lines written meanwhile carry its trace id);
        the token for ``context.detach``."""
        return context.attach(trace.set_span_in_context(span))

    @staticmethod
    def leave(token: object) -> None:
        context.detach(token)  # type: ignore[arg-type]  # attach's own token

    @staticmethod
    def carry(span: Span, headers: Headers) -> Headers:
        """``headers`` with ``traceparent`` naming ``span`` as the parent (the client's one
        replaced, in place; ``tracestate`` kept as it came)."""
        ctx = span.get_span_context()
        value = policy.traceparent(ctx.trace_id, ctx.span_id, sampled=ctx.trace_flags.sampled)
        for i, (name, _) in enumerate(headers):
            if name == b"traceparent":
                headers[i] = (name, value)
                return headers
        headers.append((b"traceparent", value))
        return headers

    def shadow(self, parent: Span, route: str, headers: Headers) -> tuple[Span, Headers]:
        """A copy's CLIENT span (a child of the request's) and the copy's headers naming it."""
        context = trace.set_span_in_context(parent)
        span = self.tracer.start_span(policy.shadow_span_name(route), context, SpanKind.CLIENT)
        if span.is_recording():
            span.set_attribute("strangler.route", route)
        return span, self.carry(span, list(headers))

    @staticmethod
    def shadow_done(span: Span, outcome: str) -> None:
        if span.is_recording():
            span.set_attribute("strangler.shadow.outcome", outcome)
            if outcome == policy.SHADOW_ERROR:
                span.set_status(Status(StatusCode.ERROR))
        span.end()

    @staticmethod
    def record(
        span: Span,
        request: tuple[str, str, str | None, str | None, bytes | None],
        status: int,
        served_by: str,
        fallback: str | None,
        shadow: str | None,
        error: str | None,
    ) -> None:
        """Set a recording span's attributes, in one call: ``request`` is (method, path,
        route, mode, request id); ``error``: the proxy answered with its own error (why)."""
        method, path, route, mode, rid = request
        attributes = policy.request_attributes(
            method, path, route, None if rid is None else rid.decode("latin-1")
        )
        if mode is not None:
            attributes["strangler.mode"] = mode
        attributes.update(policy.outcome_attributes(status, served_by, fallback, shadow))
        span.set_attributes(attributes)
        if error is not None or status >= 500:
            span.set_status(Status(StatusCode.ERROR, error))

    @staticmethod
    def trace_id(span: Span) -> str:
        return policy.trace_id_hex(span.get_span_context().trace_id)
