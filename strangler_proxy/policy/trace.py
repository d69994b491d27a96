"""What the proxy's span says, in both engines (pure: no OpenTelemetry import here).

One SERVER span per request, named ``"{METHOD} {route}"`` (``"{METHOD} unmatched"``),
and for a shadow copy a CLIENT span ``"shadow {route}"``; the engines make the spans with
the OpenTelemetry SDK (``engine/tracing.py``, ``mitm/tracing.py``) and take the names, the
attributes and the ``traceparent`` they send upstream from here, so both say the same.

>>> span_name("GET", None), shadow_span_name("catalog-list")
('GET unmatched', 'shadow catalog-list')
>>> request_attributes("GET", "/api/x/", "catalog-list", "r-1")["strangler.route"]
'catalog-list'
>>> outcome_attributes(200, "monolith", "refused", SHADOW_SENT)
{'http.response.status_code': 200, 'strangler.served_by': 'monolith', \
'strangler.fallback': 'refused', 'strangler.shadow': 'sent'}
>>> traceparent(0xABC, 0x12, sampled=False)
b'00-00000000000000000000000000000abc-0000000000000012-00'
"""

from __future__ import annotations

#: the route label of a request no route matched, in span names
UNMATCHED = "unmatched"
#: ``strangler.shadow``: a copy went to the service, or the full queue dropped it
SHADOW_SENT, SHADOW_DROPPED = "sent", "dropped"
#: ``strangler.shadow.outcome`` of a copy the proxy could not send or get an answer for
SHADOW_ERROR = "error"

AttributeValue = str | int


def span_name(method: str, route: str | None) -> str:
    return f"{method} {route or UNMATCHED}"


def shadow_span_name(route: str) -> str:
    return f"shadow {route}"


def request_attributes(
    method: str, path: str, route: str | None, request_id: str | None
) -> dict[str, AttributeValue]:
    """What is known when the request's span starts (the mode is added by the engine from
    the route table: ``strangler.mode``)."""
    attributes: dict[str, AttributeValue] = {"http.request.method": method, "url.path": path}
    if route is not None:
        attributes["strangler.route"] = route
    if request_id is not None:
        attributes["strangler.request_id"] = request_id
    return attributes


def outcome_attributes(
    status: int, served_by: str, fallback: str | None, shadow: str | None
) -> dict[str, AttributeValue]:
    """What is known when the answer went out."""
    attributes: dict[str, AttributeValue] = {
        "http.response.status_code": status,
        "strangler.served_by": served_by,
    }
    if fallback is not None:
        attributes["strangler.fallback"] = fallback
    if shadow is not None:
        attributes["strangler.shadow"] = shadow
    return attributes


def traceparent(trace_id: int, span_id: int, *, sampled: bool) -> bytes:
    """The W3C ``traceparent`` naming this span as the parent of the next hop."""
    return b"00-%032x-%016x-%s" % (trace_id, span_id, b"01" if sampled else b"00")


def trace_id_hex(trace_id: int) -> str:
    """A trace id as the access log, the span files and the dashboard spell it."""
    return f"{trace_id:032x}"


__all__ = [
    "SHADOW_DROPPED",
    "SHADOW_ERROR",
    "SHADOW_SENT",
    "UNMATCHED",
    "outcome_attributes",
    "request_attributes",
    "shadow_span_name",
    "span_name",
    "trace_id_hex",
    "traceparent",
]
