"""The app's less-travelled steps (``app.py`` keeps the hot path): the request as it goes
upstream, reading a body that is there, the proxy's own answers (a policy verdict, the
identity exchange's refusal or failure), the shadow hand-off, and the request's span ending.

Each is a plain function of what it uses, called where the app called its own method before:
no extra call level, nothing allocated that was not before.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from strangler_proxy.compare.answers import Answer
from strangler_proxy.engine import wire
from strangler_proxy.engine.body import ClientError, receive_body
from strangler_proxy.engine.errors import send_envelope, send_error
from strangler_proxy.engine.evidence import ShadowEvidence
from strangler_proxy.engine.routing_headers import UNMATCHED_LABEL, RoutingHeaders
from strangler_proxy.engine.settings import EngineSettings
from strangler_proxy.engine.shadow import ShadowDispatcher, ShadowJob
from strangler_proxy.engine.tracing import RequestTracer, Span
from strangler_proxy.engine.upstream import RequestBody, StreamedBody, UpstreamResponse
from strangler_proxy.identity import ExchangeFailed, IdentityError, Refused
from strangler_proxy.metrics import Metrics
from strangler_proxy.policy import Verdict
from strangler_proxy.policy.trace import SHADOW_DROPPED, SHADOW_SENT
from strangler_proxy.routing import MONOLITH, Decision, RouteTable

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class Outcome(NamedTuple):
    """How a request ended: who answered, the status sent, why the monolith stood in."""

    served_by: str
    status: int
    fallback: str | None = None
    request_id: bytes | None = None


@dataclass(slots=True)
class Request:
    """One request as the app carries it upstream, and what happened to it on the way."""

    method: str
    target: bytes
    headers: wire.Headers
    request_id: bytes
    body: RequestBody
    route: str  # the matched route's id, or UNMATCHED_LABEL
    set_cookie: bytes | None = None  # a canary cookie for the answer (anonymous clients)
    fallback: str | None = None  # why the monolith answered instead of the service
    whole: bool = False  # the server takes a whole answer in one message (WHOLE_RESPONSE)
    span: Span | None = None  # this request's span (tracing on)
    shadow: str | None = None  # the copy: policy.trace's SHADOW_SENT or SHADOW_DROPPED
    error: str | None = None  # the proxy answered with its own error: why


class Shadowing(Protocol):
    """What the shadow hand-off uses of the app (``app.ProxyApp``)."""

    shadow: ShadowDispatcher
    evidence: ShadowEvidence | None
    metrics: Metrics
    tracer: RequestTracer | None

    def _relay(
        self,
        response: UpstreamResponse,
        send: Send,
        request: Request,
        served_by: str,
        capture: bytearray | None = None,
    ) -> Coroutine[Any, Any, bool]: ...


async def read_body(
    receive: Receive, length: int | None, buffer: bool, settings: EngineSettings
) -> RequestBody:
    """A body that is there (``length`` > 0, or None for chunked): read whole when
    ``buffer`` and small, else streamed."""
    limit = settings.max_body_bytes
    if length is not None and length > limit:
        raise ClientError(413, f"request body larger than {limit} bytes")
    chunks = receive_body(receive, limit)
    if buffer and length is not None and length <= settings.buffer_body_bytes:
        return b"".join([c async for c in chunks])
    return StreamedBody(chunks, length)


async def send_verdict(
    send: Send, verdict: Verdict, request: Request, routing: RoutingHeaders
) -> None:
    """The proxy's error, with the routing headers: whose failure it reports
    (``verdict.served_by``), the route, and the fallback that came before, if any."""
    request.error = verdict.message
    extra = routing(verdict.served_by, request.route, request.fallback)
    await send_error(send, verdict.status or 502, verdict.message, request.request_id,
                      code=verdict.code, extra=extra)  # fmt: skip


async def identity_failed(
    send: Send, exc: IdentityError, request: Request, routing: RoutingHeaders
) -> tuple[str, int]:
    """The monolith's exchange refused the client's credential (its 401 envelope goes to
    the client) or failed (the policy's 502/504 naming it): who answered, the status."""
    if isinstance(exc, ExchangeFailed):
        await send_verdict(send, exc.verdict, request, routing)
        return MONOLITH, exc.verdict.status or 502
    assert isinstance(exc, Refused)
    refused = exc.refusal
    extra = refused.headers + routing(MONOLITH, request.route, request.fallback)
    await send_envelope(send, refused.status, refused.body, request.request_id, extra=extra)
    return MONOLITH, refused.status


async def relay_and_shadow(
    app: Shadowing, response: UpstreamResponse, send: Send, request: Request, decision: Decision
) -> None:
    """Relay the monolith's answer, then send the service its copy; for a sampled route
    the answer is kept (up to the capture cap) for the comparison. A canary's copies
    (``sampled_only``) go only when compared."""
    assert decision.shadow is not None
    canary = decision.sampled_only
    evidence = app.evidence
    settings = None if evidence is None else evidence.shadowing(request.route, canary=canary)
    if settings is None and canary:
        await app._relay(response, send, request, MONOLITH)
        return
    capture = bytearray() if settings is not None else None
    complete = await app._relay(response, send, request, MONOLITH, capture)
    monolith = None
    if capture is not None and complete and len(capture) <= app.shadow.capture_bytes:
        headers = tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers)
        monolith = Answer(response.status, headers, bytes(capture))
    elif capture is not None:
        app.metrics.shadow(request.route, "not-compared-large-answer")
    body = request.body if isinstance(request.body, bytes) else None
    copied, span = request.headers, None
    if request.span is not None and app.tracer is not None:  # the copy's own span
        span, copied = app.tracer.shadow(request.span, request.route, copied)
    sent = app.shadow.submit(
        ShadowJob(request.route, decision.shadow, request.method, request.target,
                  copied, body, response.status, request.request_id, monolith,
                  noise=settings is not None and settings.noise, span=span)
    )  # fmt: skip
    if span is not None:
        request.shadow = SHADOW_SENT if sent else SHADOW_DROPPED


def end_span(
    span: Span,
    scope: Scope,
    label: str,
    o: Outcome,
    shadow: str | None,
    error: str | None,
    table: RouteTable,
) -> None:
    """The request's span ends; its attributes only when it records (sampled)."""
    if span.is_recording():
        route = None if label == UNMATCHED_LABEL else label
        entry = None if route is None else table.get(route)
        mode = None if entry is None else entry.mode.value
        request = (scope["method"], scope["path"], route, mode, o.request_id)
        RequestTracer.record(span, request, o.status, o.served_by, o.fallback, shadow, error)
    span.end()


__all__ = [
    "Outcome",
    "Request",
    "Shadowing",
    "end_span",
    "identity_failed",
    "read_body",
    "relay_and_shadow",
    "send_verdict",
]
