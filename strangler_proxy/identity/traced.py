"""The exchange's POST joins the request's trace: with tracing on, the request's span is the
current one while its credential is exchanged (the production engine makes it current for
the whole request, the mitmproxy engine around the exchange), and both engines' ``Post``
send ``traceparent_header()``, naming it as the parent, so the monolith's exchange is a
child of the request's span instead of the root of a trace of its own. No current span
(tracing off, or a shadow copy's exchange in a worker): None, the POST goes as before.

>>> traceparent_header() is None
True
>>> from opentelemetry import trace
>>> from opentelemetry.sdk.trace import TracerProvider
>>> span = TracerProvider().get_tracer("doc").start_span("GET svc")
>>> with trace.use_span(span, end_on_exit=True):
...     name, value = traceparent_header()
>>> context = span.get_span_context()
>>> (name, value) == (b"traceparent", b"00-%032x-%016x-01" % (context.trace_id, context.span_id))
True
"""

from __future__ import annotations

from opentelemetry import trace

from strangler_proxy.policy.trace import traceparent


def traceparent_header() -> tuple[bytes, bytes] | None:
    """``traceparent`` naming the current span as the parent, or None when there is none."""
    current = trace.get_current_span().get_span_context()
    if not current.is_valid:
        return None
    value = traceparent(current.trace_id, current.span_id, sampled=current.trace_flags.sampled)
    return b"traceparent", value


__all__ = ["traceparent_header"]
