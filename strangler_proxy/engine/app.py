"""The proxy as an ASGI app: decide who answers, forward, fall back, shadow, count.

Every request: limits (503 over the concurrency limit, 413 body too large), wire rules,
``RouteTable`` decision, then the monolith or a service instance. A service that cannot
answer (refused, circuit open; and for requests safe to repeat also timeout, broken
connection or 5xx) hands the request to the monolith when the decision allows a fallback.
A request whose body may have reached the service is never sent a second time.
An anonymous client meeting a canary gets a ``strangler_client`` cookie, so it stays on
one side. Answers say who answered (``X-Strangler-Served-By``, ``X-Strangler-Route``
and, after a fallback, ``X-Strangler-Fallback``: the reason) unless ``routing_headers`` is
off; the proxy's own errors too (``policy.answer`` says what they name); with an access log,
each request is one line of it. With a tracer (``engine.tracing``), each request is a span
whose context the upstream request (and a shadow copy, in a child span) carries; without
one, a ``None`` check and nothing else.
"""

from __future__ import annotations

import itertools
import secrets
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, NamedTuple

from strangler_proxy.balancing import ServicePools
from strangler_proxy.compare.answers import Answer
from strangler_proxy.engine import wire
from strangler_proxy.engine.accesslog import AccessLog
from strangler_proxy.engine.body import ClientError, framing, receive_body
from strangler_proxy.engine.errors import send_envelope, send_error
from strangler_proxy.engine.evidence import ShadowEvidence
from strangler_proxy.engine.exchange import WHOLE_RESPONSE
from strangler_proxy.engine.relay import relay
from strangler_proxy.engine.rollback import Windows
from strangler_proxy.engine.routing_headers import UNMATCHED_LABEL, RoutingHeaders
from strangler_proxy.engine.settings import EngineSettings
from strangler_proxy.engine.shadow import ShadowDispatcher, ShadowJob
from strangler_proxy.engine.tracing import RequestTracer, Span
from strangler_proxy.engine.upstream import (
    RequestBody,
    StreamedBody,
    Upstream,
    UpstreamError,
    UpstreamResponse,
    failure_of,
)
from strangler_proxy.identity import ExchangeFailed, IdentityError, PhantomTokens, Refused
from strangler_proxy.metrics import Metrics
from strangler_proxy.policy import (
    PROXY,
    Action,
    Attempt,
    Tried,
    Verdict,
    judge,
    plan,
    unavailable,
)
from strangler_proxy.policy.trace import SHADOW_DROPPED, SHADOW_SENT
from strangler_proxy.routing import MONOLITH, Decision, RouteTable

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class TableHolder:
    """The current route table; swapped whole (one attribute assignment) by the poller."""

    def __init__(self, table: RouteTable | None = None) -> None:
        self.table = table if table is not None else RouteTable.build([])


class Outcome(NamedTuple):
    """How a request ended: who answered, the status sent, why the monolith stood in."""

    served_by: str
    status: int
    fallback: str | None = None
    request_id: bytes | None = None


_UNANSWERED = Outcome(MONOLITH, 500)  # what the counters say if the app itself failed


@dataclass(slots=True)
class _Request:
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


class ProxyApp:
    def __init__(
        self,
        settings: EngineSettings,
        tables: TableHolder,
        pools: ServicePools,
        upstream: Upstream,
        metrics: Metrics,
        shadow: ShadowDispatcher,
        access_log: AccessLog | None = None,
        evidence: ShadowEvidence | None = None,
        windows: Windows | None = None,
        identity: PhantomTokens | None = None,
        tracer: RequestTracer | None = None,
    ) -> None:
        self.settings = settings
        self.tables = tables
        self.pools = pools
        self.upstream = upstream
        self.metrics = metrics
        self.shadow = shadow
        self.access_log = access_log
        self.evidence = evidence
        self.windows = windows  # what the automatic rollback watches
        self.identity = identity  # the phantom-token exchange for what services answer
        self.tracer = tracer  # None: tracing off
        self.monolith = settings.monolith
        self.inflight = 0
        self._id_prefix = secrets.token_hex(8).encode("ascii")
        self._ids = itertools.count(1)
        self._routing_headers = RoutingHeaders(enabled=settings.routing_headers)

    def _next_id(self) -> bytes:
        """A request id unique across workers and restarts (random prefix + counter), without
        a random-number syscall per request."""
        return b"%s-%x" % (self._id_prefix, next(self._ids))

    # -- one request ----------------------------------------------------------------------
    # The hot path is flat on purpose: each coroutine level is created, resumed at every
    # wake-up and torn down once per request (see the README's profile).
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """An ASGI ``http`` scope (the engine's front sends no other kind)."""
        start = time.perf_counter()
        tracer = self.tracer
        if self.inflight >= self.settings.max_concurrency:
            routing = self._routing_headers(PROXY, UNMATCHED_LABEL, None)
            await send_error(send, 503, "over the concurrency limit", None,
                              code="over_capacity", extra=routing)  # fmt: skip
            span = None if tracer is None else tracer.start(scope["method"], None, scope["headers"])
            self._done(scope, UNMATCHED_LABEL, Outcome(PROXY, 503), start, span, "over capacity")
            return
        self.inflight += 1
        label, outcome = UNMATCHED_LABEL, _UNANSWERED
        span = token = error = None
        request: _Request | None = None
        try:
            decision, cookie = self._decide(scope)
            label = decision.route_id or UNMATCHED_LABEL
            raw = scope["headers"]
            rid = wire.request_id(raw, self._next_id())
            if tracer is not None:
                span = tracer.start(scope["method"], decision.route_id, raw)
                token = tracer.current(span)
            try:
                length, chunked = framing(raw, scope["http_version"])
                body: RequestBody = None if length is None else b""
                if chunked or length:  # no coroutine for the common bodiless request
                    buffer = decision.to_service or bool(decision.shadow)
                    body = await self._body(receive, length, buffer=buffer)
                request = self._request(scope, rid, body, label, cookie)
                if span is not None:
                    request.span = span
                    RequestTracer.carry(span, request.headers)
                served_by, status = await self._forward(request, decision, send)
                outcome = Outcome(served_by, status, request.fallback, rid)
            except ClientError as exc:  # refused framing, or the body broke a limit mid-stream
                fallback = None if request is None else request.fallback
                routing = self._routing_headers(PROXY, label, fallback)
                await send_error(send, exc.status, str(exc), rid, close=True, extra=routing)
                outcome = Outcome(PROXY, exc.status, fallback, rid)
                error = str(exc)
        finally:
            self.inflight -= 1
            if span is None:
                self._done(scope, label, outcome, start)
            else:
                if request is not None:
                    error = error or request.error
                shadow = None if request is None else request.shadow
                self._done(scope, label, outcome, start, span, error, shadow)
                RequestTracer.leave(token)

    def _end_span(
        self,
        span: Span,
        scope: Scope,
        label: str,
        o: Outcome,
        shadow: str | None,
        error: str | None,
    ) -> None:
        """The request's span ends; its attributes only when it records (sampled)."""
        if span.is_recording():
            route = None if label == UNMATCHED_LABEL else label
            entry = None if route is None else self.tables.table.get(route)
            mode = None if entry is None else entry.mode.value
            request = (scope["method"], scope["path"], route, mode, o.request_id)
            RequestTracer.record(span, request, o.status, o.served_by, o.fallback, shadow, error)
        span.end()

    def _done(
        self,
        scope: Scope,
        label: str,
        outcome: Outcome,
        start: float,
        span: Span | None = None,
        error: str | None = None,
        shadow: str | None = None,
    ) -> None:
        """Count the request, end its span (``error``: the proxy's own answer, why), and log
        it when there is an access log."""
        seconds = time.perf_counter() - start
        trace_id = None
        if span is not None:
            self._end_span(span, scope, label, outcome, shadow, error)
            trace_id = RequestTracer.trace_id(span)
        self.metrics.request(
            label, served_by=outcome.served_by, status=outcome.status, seconds=seconds
        )
        if self.windows is not None:
            self.windows.observe(
                label, outcome.served_by, outcome.status, seconds, outcome.fallback
            )
        if self.access_log is not None:
            self.access_log.record(
                client=self._client_ip(scope),
                method=scope["method"],
                target=_target(scope),
                status=outcome.status,
                served_by=outcome.served_by,
                route=None if label == UNMATCHED_LABEL else label,
                fallback=outcome.fallback,
                request_id=outcome.request_id,
                seconds=seconds,
                trace_id=trace_id,
            )

    def _decide(self, scope: Scope) -> tuple[Decision, bytes | None]:
        """The policy's plan: the decision, and a ``Set-Cookie`` value for an anonymous
        client meeting a canary (``policy.plan``)."""

        def who() -> tuple[dict[str, str], str | None]:
            headers = {n.decode("latin-1"): v.decode("latin-1") for n, v in scope["headers"]}
            return headers, self._client_ip(scope)

        decided = plan(self.tables.table, scope["method"], scope["path"], who)
        cookie = decided.set_cookie
        return decided.decision, None if cookie is None else cookie.encode("latin-1")

    def _client_ip(self, scope: Scope) -> str | None:
        client = scope.get("client")
        peer = client[0] if client else None
        return wire.client_address(peer, scope["headers"], self.settings.trusted_hops)

    def _request(
        self, scope: Scope, rid: bytes, body: RequestBody, label: str, cookie: bytes | None
    ) -> _Request:
        """The request as it goes upstream (wire rules applied to its headers)."""
        raw = scope["headers"]
        headers = wire.request_headers(
            raw if self.settings.preserve_host else [h for h in raw if h[0] != b"host"],
            client_ip=self._client_ip(scope),
            scheme=scope["scheme"],
            request_id=rid,
            trusted_hops=self.settings.trusted_hops,
        )
        whole = WHOLE_RESPONSE in scope.get("extensions", ())
        return _Request(
            scope["method"], _target(scope), headers, rid, body, label, cookie, None, whole
        )

    async def _forward(self, request: _Request, decision: Decision, send: Send) -> tuple[str, int]:
        """The service's answer when it gives one, else the monolith's (or the proxy's
        502/504 when the monolith fails too): who answered, and the status sent."""
        if decision.to_service:
            answered = await self._via_service(request, decision, send)
            if answered is not None:
                return answered
        try:
            response = await self.upstream.request(
                self.monolith,
                request.method,
                request.target,
                request.headers,
                request.body,
                self.settings.timeouts,
            )
        except UpstreamError as exc:
            tried = Tried(MONOLITH, str(self.monolith))
            attempt = Attempt(failure=failure_of(exc), detail=str(exc), tried=tried)
            verdict = judge(request.method, attempt, fallback=False)
            await self._send_verdict(send, verdict, request)
            return PROXY, verdict.status or 502
        status = response.status
        if decision.shadow and not isinstance(request.body, StreamedBody):
            await self._relay_and_shadow(response, send, request, decision)
            return MONOLITH, status
        if decision.shadow:
            self.metrics.shadow(request.route, "skipped-large-body")
        await self._relay(response, send, request, MONOLITH)
        return MONOLITH, status

    async def _relay_and_shadow(
        self, response: UpstreamResponse, send: Send, request: _Request, decision: Decision
    ) -> None:
        """Relay the monolith's answer, then send the service its copy; for a sampled route
        the answer is kept (up to the capture cap) for the comparison. A canary's copies
        (``sampled_only``) go only when compared."""
        assert decision.shadow is not None
        canary = decision.sampled_only
        evidence = self.evidence
        settings = None if evidence is None else evidence.shadowing(request.route, canary=canary)
        if settings is None and canary:
            await self._relay(response, send, request, MONOLITH)
            return
        capture = bytearray() if settings is not None else None
        complete = await self._relay(response, send, request, MONOLITH, capture)
        monolith = None
        if capture is not None and complete and len(capture) <= self.shadow.capture_bytes:
            headers = tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers)
            monolith = Answer(response.status, headers, bytes(capture))
        elif capture is not None:
            self.metrics.shadow(request.route, "not-compared-large-answer")
        body = request.body if isinstance(request.body, bytes) else None
        copied, span = request.headers, None
        if request.span is not None and self.tracer is not None:  # the copy's own span
            span, copied = self.tracer.shadow(request.span, request.route, copied)
        sent = self.shadow.submit(
            ShadowJob(request.route, decision.shadow, request.method, request.target,
                      copied, body, response.status, request.request_id, monolith,
                      noise=settings is not None and settings.noise, span=span)
        )  # fmt: skip
        if span is not None:
            request.shadow = SHADOW_SENT if sent else SHADOW_DROPPED

    async def _via_service(
        self, request: _Request, decision: Decision, send: Send
    ) -> tuple[str, int] | None:
        """Try the service; None means: let the monolith answer (a fallback, counted)."""
        instance = self.pools.pick(decision.primary)
        if instance is None or instance.origin is None:
            verdict = unavailable(decision.primary, fallback=decision.fallback)
            if verdict.action is Action.FALLBACK:
                self._fall_back(request, verdict.reason)
                return None
            await self._send_verdict(send, verdict, request)
            return PROXY, verdict.status or 503
        headers = request.headers  # with the service's JWT in place of the credential
        if self.identity is not None:
            ready = self.identity.ready(headers, decision.primary)  # cached: no coroutine
            try:
                headers = ready or await self.identity.headers_for(
                    headers, decision.primary, request.request_id
                )
            except IdentityError as exc:
                return await self._identity_failed(send, exc, request)
        streamed = isinstance(request.body, StreamedBody)
        instance.inflight += 1
        response: UpstreamResponse | None = None
        try:
            response = await self.upstream.request(
                instance.origin,
                request.method,
                request.target,
                headers,
                request.body,
                self.settings.timeouts,
            )
            attempt = Attempt(status=response.status)
        except UpstreamError as exc:
            tried = Tried(decision.primary, instance.url)
            attempt = Attempt(failure=failure_of(exc), detail=str(exc), tried=tried)
        finally:
            instance.inflight -= 1
        self.pools.report(instance, ok=attempt.failure is None and (attempt.status or 0) < 500)
        verdict = judge(request.method, attempt, fallback=decision.fallback, streamed=streamed)
        if verdict.action is Action.FALLBACK:
            if response is not None:
                response.close()
            self._fall_back(request, verdict.reason)
            return None
        if verdict.action is Action.ERROR:
            await self._send_verdict(send, verdict, request)
            return decision.primary, verdict.status or 502
        assert response is not None
        await self._relay(response, send, request, decision.primary)
        return decision.primary, response.status

    async def _identity_failed(
        self, send: Send, exc: IdentityError, request: _Request
    ) -> tuple[str, int]:
        """The monolith's exchange refused the client's credential (its 401 envelope goes to
        the client) or failed (the policy's 502/504 naming it)."""
        if isinstance(exc, ExchangeFailed):
            await self._send_verdict(send, exc.verdict, request)
            return MONOLITH, exc.verdict.status or 502
        assert isinstance(exc, Refused)
        refused = exc.refusal
        extra = refused.headers + self._routing_headers(MONOLITH, request.route, request.fallback)
        await send_envelope(send, refused.status, refused.body, request.request_id, extra=extra)
        return MONOLITH, refused.status

    def _fall_back(self, request: _Request, reason: str) -> None:
        request.fallback = reason
        self.metrics.fallback(request.route, reason)

    async def _send_verdict(self, send: Send, verdict: Verdict, request: _Request) -> None:
        """The proxy's error, with the routing headers: whose failure it reports
        (``verdict.served_by``), the route, and the fallback that came before, if any."""
        request.error = verdict.message
        routing = self._routing_headers(verdict.served_by, request.route, request.fallback)
        await send_error(send, verdict.status or 502, verdict.message, request.request_id,
                          code=verdict.code, extra=routing)  # fmt: skip

    def _relay(
        self,
        response: UpstreamResponse,
        send: Send,
        request: _Request,
        served_by: str,
        capture: bytearray | None = None,
    ) -> Coroutine[Any, Any, bool]:
        """Send the answer on, with the routing headers and a canary cookie (``relay``: no
        coroutine level of its own on the hot path); True when it went out whole."""
        headers = wire.response_headers(response.headers, request.request_id)
        if self.settings.routing_headers:
            headers += self._routing_headers(served_by, request.route, request.fallback)
        if request.set_cookie is not None:
            headers.append((b"set-cookie", request.set_cookie))
        return relay(response, send, headers, request.whole, capture, self.shadow.capture_bytes)

    async def _body(self, receive: Receive, length: int | None, buffer: bool) -> RequestBody:
        """A body that is there (``length`` > 0, or None for chunked): read whole when
        ``buffer`` and small, else streamed."""
        limit = self.settings.max_body_bytes
        if length is not None and length > limit:
            raise ClientError(413, f"request body larger than {limit} bytes")
        chunks = receive_body(receive, limit)
        if buffer and length is not None and length <= self.settings.buffer_body_bytes:
            return b"".join([c async for c in chunks])
        return StreamedBody(chunks, length)


def _target(scope: Scope) -> bytes:
    """The request target as it came: the raw path, and the query when there is one."""
    query: bytes = scope["query_string"]
    raw_path: bytes = scope["raw_path"]
    return raw_path + b"?" + query if query else raw_path


__all__ = ["Outcome", "ProxyApp", "TableHolder"]
