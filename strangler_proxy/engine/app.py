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
one, a ``None`` check and nothing else. The steps most requests never take (reading a body,
the proxy's own answers, the shadow hand-off, the span's end) are functions in ``steps``.
"""

from __future__ import annotations

import itertools
import secrets
import time
from collections.abc import Coroutine
from typing import Any

from strangler_proxy.balancing import ServicePools
from strangler_proxy.engine import wire
from strangler_proxy.engine.accesslog import AccessLog
from strangler_proxy.engine.body import ClientError, framing
from strangler_proxy.engine.errors import send_error
from strangler_proxy.engine.evidence import ShadowEvidence
from strangler_proxy.engine.exchange import WHOLE_RESPONSE
from strangler_proxy.engine.relay import relay
from strangler_proxy.engine.rollback import Windows
from strangler_proxy.engine.routing_headers import UNMATCHED_LABEL, RoutingHeaders
from strangler_proxy.engine.settings import EngineSettings
from strangler_proxy.engine.shadow import ShadowDispatcher
from strangler_proxy.engine.steps import (
    Outcome,
    Receive,
    Request,
    Scope,
    Send,
    end_span,
    identity_failed,
    read_body,
    relay_and_shadow,
    send_verdict,
)
from strangler_proxy.engine.tracing import RequestTracer, Span
from strangler_proxy.engine.upstream import (
    RequestBody,
    StreamedBody,
    Upstream,
    UpstreamError,
    UpstreamResponse,
    failure_of,
)
from strangler_proxy.identity import IdentityError, PhantomTokens
from strangler_proxy.metrics import Metrics
from strangler_proxy.policy import PROXY, Action, Attempt, Tried, judge, plan, unavailable
from strangler_proxy.routing import MONOLITH, Decision, RouteTable


class TableHolder:
    """The current route table; swapped whole (one attribute assignment) by the poller."""

    def __init__(self, table: RouteTable | None = None) -> None:
        self.table = table if table is not None else RouteTable.build([])


_UNANSWERED = Outcome(MONOLITH, 500)  # what the counters say if the app itself failed


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
        request: Request | None = None
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
                    body = await read_body(receive, length, buffer, self.settings)
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
            end_span(span, scope, label, outcome, shadow, error, self.tables.table)
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
    ) -> Request:
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
        return Request(
            scope["method"], _target(scope), headers, rid, body, label, cookie, None, whole
        )

    async def _forward(self, request: Request, decision: Decision, send: Send) -> tuple[str, int]:
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
            await send_verdict(send, verdict, request, self._routing_headers)
            return PROXY, verdict.status or 502
        status = response.status
        if decision.shadow and not isinstance(request.body, StreamedBody):
            await relay_and_shadow(self, response, send, request, decision)
            return MONOLITH, status
        if decision.shadow:
            self.metrics.shadow(request.route, "skipped-large-body")
        await self._relay(response, send, request, MONOLITH)
        return MONOLITH, status

    async def _via_service(
        self, request: Request, decision: Decision, send: Send
    ) -> tuple[str, int] | None:
        """Try the service; None means: let the monolith answer (a fallback, counted)."""
        instance = self.pools.pick(decision.primary)
        if instance is None or instance.origin is None:
            verdict = unavailable(decision.primary, fallback=decision.fallback)
            if verdict.action is Action.FALLBACK:
                self._fall_back(request, verdict.reason)
                return None
            await send_verdict(send, verdict, request, self._routing_headers)
            return PROXY, verdict.status or 503
        headers = request.headers  # with the service's JWT in place of the credential
        if self.identity is not None:
            ready = self.identity.ready(headers, decision.primary)  # cached: no coroutine
            try:
                headers = ready or await self.identity.headers_for(
                    headers, decision.primary, request.request_id
                )
            except IdentityError as exc:
                return await identity_failed(send, exc, request, self._routing_headers)
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
            await send_verdict(send, verdict, request, self._routing_headers)
            return decision.primary, verdict.status or 502
        assert response is not None
        await self._relay(response, send, request, decision.primary)
        return decision.primary, response.status

    def _fall_back(self, request: Request, reason: str) -> None:
        request.fallback = reason
        self.metrics.fallback(request.route, reason)

    def _relay(
        self,
        response: UpstreamResponse,
        send: Send,
        request: Request,
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


def _target(scope: Scope) -> bytes:
    """The request target as it came: the raw path, and the query when there is one."""
    query: bytes = scope["query_string"]
    raw_path: bytes = scope["raw_path"]
    return raw_path + b"?" + query if query else raw_path


__all__ = ["Outcome", "ProxyApp", "TableHolder"]
