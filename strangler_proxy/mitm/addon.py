"""The mitmproxy engine: route each request by the flag store's route table.

Runs in its own environment (``make mitm``: mitmproxy pins an h11 the main env cannot have)::

    .venv-mitm/bin/mitmdump -s strangler_proxy/mitm/addon.py \\
        --mode reverse:http://127.0.0.1:8000 --listen-host 127.0.0.1 --listen-port 8090 \\
        --set strangler_store=sqlite:///var/flags.sqlite3 -w flows.mitm

The reverse target is the monolith. Every decision is the routing policy's
(``strangler_proxy.policy``), the one the production engine follows; this module only does
mitmproxy's I/O around it. A service's answer is fetched first, by mitmproxy's own HTTP
stack, before the client's flow goes anywhere, and ``policy.judge`` says what to do with
it: relay it, let the flow go on to the monolith untouched (a fallback), or answer the
proxy's error. A body mitmproxy streams (``stream_large_bodies``) is routed when its
headers arrive: the service is tried only if it accepts a connection, otherwise the
monolith answers (``refused``), as in the production engine; once streaming, a failure
cannot fall back. In shadow mode the monolith answers and a copy is replayed to the
service (``copies``); for a route the rules file samples, both answers are compared off the
event loop and kept as evidence, as the production engine does (``shadow``, and
``evidence.pairs`` shared by both engines). Every flow carries ``metadata["strangler"]``
(role, route, served_by, shadow, fallback; a copy also ``shadow_of``), so a flow file
written with ``-w`` pairs each monolith answer with its service twin. Answers carry
``X-Request-ID`` and the routing headers (``X-Strangler-Served-By``, ``-Route``,
``-Fallback``); a canary may set the ``strangler_client`` cookie. Every error the proxy
sends, mitmproxy's own included (a dead monolith, a malformed request), is the toolkit's
one JSON envelope, and names the upstream that failed; an error about a request (a dead
monolith's 502 too) carries its ``X-Request-ID`` and the routing headers, as the
production engine's errors do.

A request a service answers (and a shadow copy to one) carries the service's JWT in place
of the client's credential, exchanged at the monolith (``identity``, option
``strangler_identity_exchange``: a path on the monolith, a URL, or ``off``); the monolith's
refusal (401) is the client's answer, an exchange that fails a 502/504 naming it.

Only the policy, the routing core, the registry, the flag store, the evidence and the
identity exchange are imported here besides mitmproxy. The options and what they open (the
store, the evidence) are ``options``'s; the proxy's error answers, mitmproxy's own included,
``errors``'s, with its small addon (``OwnErrors``) loaded before this one.

With tracing on (``OTEL_*``, read once in ``load``: ``mitm.tracing``) each client flow is a
span the upstream request carries as its parent, and each shadow copy a child span ended
with its comparison's verdict (``answered`` for a copy not compared), and the identity
exchange's POST names the flow's span as its parent; off, nothing changes.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import logging
import secrets
from collections.abc import Callable
from typing import Any

from mitmproxy import ctx, exceptions, http

from strangler_proxy.evidence.pairs import PairEvidence
from strangler_proxy.identity import ExchangeFailed, PhantomTokens, Refused
from strangler_proxy.mitm import errors, identity, options, tracing
from strangler_proxy.mitm.attempt import attempt as service_attempt
from strangler_proxy.mitm.attempt import connects, retarget
from strangler_proxy.mitm.copies import SAMPLED, answer_of, copy_answered, send_copies
from strangler_proxy.mitm.router import Plan, Router, internal_headers
from strangler_proxy.mitm.shadow import ShadowPairs
from strangler_proxy.policy import (
    PROXY,
    Action,
    Tried,
    Verdict,
    judge,
    routing_headers,
    valid_request_id,
)
from strangler_proxy.policy.trace import SHADOW_ERROR, SHADOW_SENT
from strangler_proxy.registry import Origin
from strangler_proxy.store import FlagStore
from strangler_proxy.telemetry.setup import TelemetryError

logger = logging.getLogger(__name__)

#: flow.metadata keys of this addon besides "strangler" (the flow file's record)
SET_COOKIE, REQUEST_ID = "strangler_set_cookie", "strangler_request_id"
ROUTED, OWN_ANSWER = "strangler_routed", "strangler_own"
PROXY_ERROR = "strangler_error"  # the proxy's own error answer: why (the span's status)


class StranglerAddon:
    def __init__(self) -> None:
        # both set by configure(), which mitmproxy calls when it loads the addon
        self.store: FlagStore | None = None
        self.router: Router | None = None
        self.evidence: PairEvidence | None = None
        self.pairs: ShadowPairs | None = None
        self.identity: PhantomTokens | None = None
        self.tracer: tracing.FlowTracer | None = None
        self._id_prefix = secrets.token_hex(8)
        self._ids = itertools.count(1)

    def load(self, loader: Any) -> None:
        try:
            self.tracer = tracing.process_tracer()
        except TelemetryError as exc:
            raise exceptions.OptionsError(f"tracing: {exc}") from exc
        options.declare(loader)

    def configure(self, updated: set[str]) -> None:
        options.check(ctx.options, updated)
        if options.STORE_OPTIONS & updated:
            previous = self.store
            self.store, self.router = options.store_and_router(ctx.options)
            if previous is not None:
                previous.close()
        if options.EVIDENCE_OPTIONS & updated:
            was = self.evidence
            self.evidence, self.pairs = options.evidence(ctx.options)
            if was is not None:
                was.close()
        if identity.OPTIONS & updated:
            self.identity = identity.from_options(ctx.options)

    async def done(self) -> None:
        """mitmproxy stops: the comparisons under way are finished and kept."""
        if self.pairs is not None:
            await self.pairs.drain()
        if self.evidence is not None:
            self.evidence.close()

    # -- hooks ----------------------------------------------------------------------------
    async def requestheaders(self, flow: http.HTTPFlow) -> None:
        """A body mitmproxy will stream is routed now, before it goes anywhere."""
        if flow.is_replay == "request":
            return  # a shadow copy
        if not flow.request.stream:
            return
        plan = self._route(flow)
        if plan is None or plan.target is None:
            return
        timeout = ctx.options.strangler_service_timeout_ms / 1000
        attempt = await connects(plan.target, timeout, plan.tried)
        if attempt is not None:  # nothing reached the service: the policy may fall back
            verdict = judge(flow.request.method, attempt, fallback=plan.decision.fallback)
            if verdict.action is Action.FALLBACK:
                _fell_back(flow, plan, verdict.reason)
            else:
                self._answer_error(flow, verdict)
            return
        if not await self._exchanged(flow, flow.request, plan):
            return
        retarget(flow.request, plan.target)  # mitmproxy streams the body to the service

    async def request(self, flow: http.HTTPFlow) -> None:
        if flow.is_replay == "request" or flow.metadata.get(ROUTED):
            return  # a shadow copy (already aimed), or routed when its headers came
        plan = self._route(flow)
        if plan is None or plan.target is None:
            return
        tried = flow.copy()
        if not await self._exchanged(flow, tried.request, plan):
            return
        retarget(tried.request, plan.target)
        timeout = ctx.options.strangler_service_timeout_ms / 1000
        attempt = await service_attempt(tried, timeout, plan.tried)
        verdict = judge(flow.request.method, attempt, fallback=plan.decision.fallback)
        if verdict.action is Action.FALLBACK:
            _fell_back(flow, plan, verdict.reason)
            return
        retarget(flow.request, plan.target)  # the flow records where it went
        if verdict.action is Action.RELAY:
            flow.response = tried.response
        else:  # the service failed it: the answer still says whose attempt it was
            self._answer_error(flow, verdict)

    def response(self, flow: http.HTTPFlow) -> None:
        info = flow.metadata.get("strangler")
        if flow.response is None or not info:
            return
        if info.get("role") != "primary":
            copy_answered(flow, self.pairs)
            if self.tracer is not None and not info.get("compared"):
                self.tracer.shadow_done(flow.id, "answered")
            return
        if flow.metadata.get(SAMPLED) and self.pairs is not None:
            own = bool(flow.metadata.get(OWN_ANSWER))
            self.pairs.monolith(flow.id, answer_of(flow, self.pairs, own))
        headers = flow.response.headers
        if "x-request-id" not in headers:
            headers["X-Request-ID"] = flow.metadata[REQUEST_ID]
        for name, value in routing_headers(info["served_by"], info["route"], info["fallback"]):
            headers[name] = value
        cookie = flow.metadata.get(SET_COOKIE)
        if cookie and not flow.metadata.get(OWN_ANSWER):  # no cookie on errors (as the engine)
            headers.add("Set-Cookie", cookie)
        if self.tracer is not None:
            shadow = SHADOW_SENT if info["shadow"] else None
            error = flow.metadata.get(PROXY_ERROR)
            status = flow.response.status_code
            self.tracer.end(
                flow.id, status, info["served_by"], info["fallback"], shadow, error=error
            )

    def error(self, flow: http.HTTPFlow) -> None:
        """mitmproxy failed the flow's exchange (a dead monolith): the error answer it writes
        next is made here, with the request id and routing headers (``_send_to_client``)."""
        info = flow.metadata.get("strangler")
        if flow.response is not None or flow.error is None or not info:
            return
        if info.get("role") != "primary":
            copy_answered(flow, self.pairs)
            if self.tracer is not None and not info.get("compared"):
                self.tracer.shadow_done(flow.id, SHADOW_ERROR)
            return
        if self.pairs is not None:
            self.pairs.forget(flow.id)  # no answer to compare
        request = flow.request
        tried = Tried(info["served_by"], str(Origin(request.host, request.port)))
        verdict = judge(request.method, errors.failed(flow.error.msg, tried), fallback=False)
        answer = errors.answer(verdict, flow.metadata.get(REQUEST_ID), close=True)
        for name, value in routing_headers(verdict.served_by, info["route"], info["fallback"]):
            answer.headers[name] = value
        errors.answer_instead(flow.client_conn.id, answer)
        if self.tracer is not None:
            shadow = SHADOW_SENT if info["shadow"] else None
            self.tracer.end(flow.id, answer.status_code, verdict.served_by, info["fallback"],
                            shadow, error=verdict.message)  # fmt: skip

    # -- steps ----------------------------------------------------------------------------
    def _route(self, flow: http.HTTPFlow) -> Plan | None:
        """Strip the client's internal headers, give the request its id, ask the policy.
        None when the addon has no store (the flow gets a 503)."""
        flow.metadata[ROUTED] = True
        request = flow.request
        for name in internal_headers(list(request.headers.keys())):
            del request.headers[name]
        given = request.headers.get("x-request-id", "")
        valid = given.isascii() and valid_request_id(given.encode("ascii"))
        rid = given if valid else self._next_id()
        request.headers["X-Request-ID"] = rid
        flow.metadata[REQUEST_ID] = rid
        if self.router is None:
            flow.metadata["strangler"] = {"role": "primary", "route": None, "served_by": PROXY,
                                          "shadow": None, "fallback": None}  # fmt: skip
            self._trace(flow, None)
            self._answer_error(flow, Verdict(Action.ERROR, "the proxy has no flag store", 503))
            return None
        peer = flow.client_conn.peername
        plan = self.router.plan(
            request.method,
            request.path.split("?", 1)[0],
            {k.lower(): v for k, v in request.headers.items()},
            peer[0] if peer else None,
        )
        flow.metadata["strangler"] = plan.metadata()
        self._trace(flow, plan.decision.route_id)
        if plan.set_cookie:
            flow.metadata[SET_COOKIE] = plan.set_cookie
        route, shadow = plan.decision.route_id, plan.decision.shadow
        if plan.shadow is not None and route and shadow:
            only = plan.decision.sampled_only  # a canary's monolith side: if compared
            if not send_copies(flow, route, shadow, plan.shadow, self.evidence, self.pairs,
                               sampled_only=only, identity=self.identity,
                               traced=self._traced_copy(flow, route)):  # fmt: skip
                flow.metadata["strangler"]["shadow"] = None  # the flow file says no copy went
        if plan.unavailable is not None and plan.unavailable.action is Action.ERROR:
            self._answer_error(flow, plan.unavailable)
            return None
        return plan

    async def _exchanged(self, flow: http.HTTPFlow, request: http.Request, plan: Plan) -> bool:
        """``request`` (to the service) with the service's JWT in place of the client's
        credential; False when the flow got the proxy's answer instead (the monolith's 401,
        or the policy's 502/504 naming the exchange)."""
        if self.identity is None:
            return True
        span = contextlib.nullcontext() if self.tracer is None else self.tracer.current(flow.id)
        try:
            with span:  # the exchange's POST names the flow's span as its parent
                await identity.exchange(request, self.identity, plan.decision.primary)
        except ExchangeFailed as exc:
            self._answer_error(flow, exc.verdict)
            return False
        except Refused as exc:  # the monolith's own answer, as it would give it
            flow.request.stream = False
            flow.response = identity.refusal(exc.refusal, flow.metadata.get(REQUEST_ID))
            flow.metadata["strangler"]["served_by"] = "monolith"
            flow.metadata[OWN_ANSWER] = True
            return False
        return True

    def _trace(self, flow: http.HTTPFlow, route: str | None) -> None:
        """The flow's span (tracing on): the request goes upstream naming it as the parent."""
        if self.tracer is None:
            return
        known = None if route is None or self.router is None else self.router.table.get(route)
        mode = None if known is None else known.mode.value
        request = flow.request
        path = request.path.split("?", 1)[0]
        self.tracer.start(flow.id, request.method, path, route, mode,
                          flow.metadata[REQUEST_ID], request.headers)  # fmt: skip

    def _traced_copy(
        self, flow: http.HTTPFlow, route: str
    ) -> Callable[[http.HTTPFlow], Callable[[str], None]] | None:
        """What starts a copy's span (a child of the flow's) and ends it with a verdict."""
        tracer = self.tracer
        if tracer is None:
            return None

        def traced(copy: http.HTTPFlow) -> Callable[[str], None]:
            tracer.shadow(flow.id, copy.id, route, copy.request.headers)
            return functools.partial(tracer.shadow_done, copy.id)

        return traced

    def _next_id(self) -> str:
        return f"{self._id_prefix}-{next(self._ids):x}"

    def _answer_error(self, flow: http.HTTPFlow, verdict: Verdict) -> None:
        """The proxy's error in the envelope; the response hook adds the routing headers,
        ``X-Strangler-Served-By`` saying whose failure it reports (``verdict.served_by``)."""
        flow.request.stream = False  # mitmproxy streams no body to a flow that has its answer
        flow.response = errors.answer(verdict, flow.metadata.get(REQUEST_ID))
        flow.metadata[PROXY_ERROR] = verdict.message
        flow.metadata["strangler"]["served_by"] = verdict.served_by
        flow.metadata[OWN_ANSWER] = True


def _fell_back(flow: http.HTTPFlow, plan: Plan, reason: str) -> None:
    logger.info(
        "strangler: %s %s: %s failed (%s), the monolith answers",
        flow.request.method,
        flow.request.path,
        plan.decision.primary,
        reason,
    )
    flow.metadata["strangler"].update(served_by="monolith", fallback=reason)


# the error answers first: a new request forgets an error answer still pending
addons = [errors.OwnErrors(), StranglerAddon()]
