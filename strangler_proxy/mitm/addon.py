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
identity exchange are imported here besides mitmproxy.

With tracing on (``OTEL_*``, read once in ``load``: ``mitm.tracing``) each client flow is a
span the upstream request carries as its parent, and each shadow copy a child span ended
with its comparison's verdict (``answered`` for a copy not compared); off, nothing changes.
"""

from __future__ import annotations

import functools
import itertools
import logging
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mitmproxy import connection, ctx, exceptions, http
from mitmproxy.net.http import http1
from mitmproxy.proxy.layers.http import _http1

from strangler_proxy import envelope
from strangler_proxy.evidence.pairs import PairEvidence, Recorder
from strangler_proxy.evidence.rules_file import RulesFile
from strangler_proxy.evidence.store import (
    EvidenceError,
    NoEvidence,
    Retention,
    default_evidence_url,
    open_evidence,
)
from strangler_proxy.identity import DEFAULT_EXCHANGE, ExchangeFailed, PhantomTokens, Refused
from strangler_proxy.mitm import identity, tracing
from strangler_proxy.mitm.attempt import attempt as service_attempt
from strangler_proxy.mitm.attempt import connects, retarget
from strangler_proxy.mitm.copies import SAMPLED, answer_of, copy_answered, send_copies
from strangler_proxy.mitm.router import Plan, Router, internal_headers
from strangler_proxy.mitm.shadow import ShadowPairs
from strangler_proxy.policy import (
    PROXY,
    Action,
    Attempt,
    Failure,
    Tried,
    Verdict,
    judge,
    routing_headers,
    valid_request_id,
)
from strangler_proxy.policy.trace import SHADOW_ERROR, SHADOW_SENT
from strangler_proxy.registry import Origin
from strangler_proxy.store import FlagStore, open_store
from strangler_proxy.telemetry.setup import TelemetryError

logger = logging.getLogger(__name__)

DEFAULT_STORE = "sqlite:///var/flags.sqlite3"
MS_OPTIONS = ("strangler_poll_ms", "strangler_service_timeout_ms")
POSITIVE = (*MS_OPTIONS, "strangler_shadow_capture_bytes", "strangler_evidence_keep",
            "strangler_evidence_days")  # fmt: skip
EVIDENCE_OPTIONS = {"strangler_store", "strangler_rules", "strangler_evidence", *POSITIVE[2:]}
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
        loader.add_option("strangler_store", str, DEFAULT_STORE, "Flag store URL (sqlite:///path).")
        loader.add_option(
            "strangler_poll_ms", int, 500, "Milliseconds between checks of the store's version."
        )
        loader.add_option(
            "strangler_service_timeout_ms",
            int,
            30_000,
            "Milliseconds a service has to answer before the monolith answers instead "
            "(or, for a request that reached it and is not safe to repeat, 504).",
        )
        loader.add_option(
            "strangler_rules", str, "strangler-rules.toml",
            "Comparison rules of shadowed routes (TOML; missing: none; empty: no file).",
        )  # fmt: skip
        loader.add_option(
            "strangler_evidence", str, "",
            "Where shadow comparisons are kept (sqlite:///path or postgresql://...); empty: "
            "beside the flag store.",
        )  # fmt: skip
        loader.add_option(
            "strangler_shadow_capture_bytes", int, 1 << 20,
            "Answers of a shadowed route are compared up to this size (larger: not compared).",
        )  # fmt: skip
        loader.add_option("strangler_evidence_keep", int, 1000, "Samples kept per route.")
        loader.add_option("strangler_evidence_days", float, 7.0, "Samples kept this long.")
        loader.add_option(
            identity.OPTION, str, DEFAULT_EXCHANGE,
            "Where a client's credential is exchanged for the JWT a service gets instead (a "
            "path on the monolith, or a URL); off: services see it as sent.",
        )  # fmt: skip

    def configure(self, updated: set[str]) -> None:
        if ctx.options.connection_strategy != "lazy":
            # eager (mitmproxy's default) connects to the monolith as a client connects, and
            # drops the client, with no answer at all, when the monolith is down: even a
            # request routed to a service would fail
            logger.info("strangler: connection_strategy=lazy (the monolith only when needed)")
            ctx.options.update(connection_strategy="lazy")
        for name in POSITIVE:
            if name in updated and (value := getattr(ctx.options, name)) <= 0:
                raise exceptions.OptionsError(f"{name} must be positive, got {value}")
        if {"strangler_store", "strangler_poll_ms"} & updated:
            self._open_store()
        if EVIDENCE_OPTIONS & updated:
            self._open_evidence()
        if identity.OPTIONS & updated:
            self.identity = identity.from_options(ctx.options)

    def _open_store(self) -> None:
        poll_ms = ctx.options.strangler_poll_ms
        url = ctx.options.strangler_store
        try:
            store = open_store(url)
        except Exception as exc:  # any failure to open the store, named
            # at startup mitmdump exits with this; later, mitmproxy rolls the option back
            # and the current router stays
            raise exceptions.OptionsError(f"strangler_store={url!r}: {exc}") from exc
        try:
            router = Router(store, poll_interval=poll_ms / 1000)
        except Exception as exc:
            store.close()
            raise exceptions.OptionsError(f"strangler_store={url!r}: {exc}") from exc
        previous, self.store, self.router = self.store, store, router
        if previous is not None:
            previous.close()
        logger.info("strangler: %s routes from %s", len(router.table), url)

    def _open_evidence(self) -> None:
        """Shadow evidence: the rules file and the evidence store, both opened when used."""
        options = ctx.options
        url = options.strangler_evidence or default_evidence_url(options.strangler_store)
        try:  # an unusable URL stops mitmdump now, not the first sample later
            open_evidence(url).close()
        except NoEvidence:
            pass  # the first sample makes it
        except (EvidenceError, ImportError) as exc:  # ImportError: no psycopg in .venv-mitm
            raise exceptions.OptionsError(f"strangler_evidence={url!r}: {exc}") from exc
        keep = Retention(options.strangler_evidence_keep, options.strangler_evidence_days * 86400)
        rules = RulesFile(Path(options.strangler_rules) if options.strangler_rules else None)
        previous, self.evidence = self.evidence, PairEvidence(rules, Recorder(url, keep))
        self.pairs = ShadowPairs(self.evidence, options.strangler_shadow_capture_bytes)
        if previous is not None:
            previous.close()

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
        _OWN_ERRORS.pop(flow.client_conn.id, None)  # a new request: no error is pending
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
        verdict = judge(request.method, _failed(flow.error.msg, tried), fallback=False)
        answer = _envelope(verdict, flow.metadata.get(REQUEST_ID), close=True)
        for name, value in routing_headers(verdict.served_by, info["route"], info["fallback"]):
            answer.headers[name] = value
        _OWN_ERRORS[flow.client_conn.id] = bytes(http1.assemble_response(answer))
        if self.tracer is not None:
            shadow = SHADOW_SENT if info["shadow"] else None
            self.tracer.end(flow.id, answer.status_code, verdict.served_by, info["fallback"],
                            shadow, error=verdict.message)  # fmt: skip

    def client_disconnected(self, client: connection.Client) -> None:
        _OWN_ERRORS.pop(client.id, None)  # an error answer mitmproxy never asked for

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
        try:
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
        flow.response = _envelope(verdict, flow.metadata.get(REQUEST_ID))
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


def _envelope(verdict: Verdict, request_id: str | None, close: bool = False) -> http.Response:
    """The proxy's error answer, in the envelope."""
    status = verdict.status or 502
    body = envelope.error_body(status, verdict.message, code=verdict.code, request_id=request_id)
    headers = {"Content-Type": "application/json"}
    if close:
        headers["Connection"] = "close"
    if request_id is not None:
        headers["X-Request-ID"] = request_id
    return http.Response.make(status, body, headers)


def _failed(message: str, tried: Tried | None) -> Attempt:
    """mitmproxy's words for a failed exchange, in the policy's terms."""
    refused = "refused" in message.lower() or "connect call failed" in message.lower()
    return Attempt(failure=Failure.REFUSED if refused else Failure.BROKEN, detail=message,
                   tried=tried)  # fmt: skip


# mitmproxy writes its own error answers (a dead monolith, a malformed request) with an HTML
# body. Both places are replaced (non-public, checked against the pinned 11.0.2): the error
# for a flow goes out as the addon's error hook made it (keyed by the client connection: one
# request at a time on HTTP/1), any other in the envelope (``make_error_response``).
_OWN_ERRORS: dict[str, bytes] = {}  # client connection id -> the whole answer
_mitm_send = _http1.Http1Server.send


def _send_to_client(self: Any, event: Any) -> Any:
    """``Http1Server.send``; an error for a flow goes out as the error hook made it."""
    own = None
    if isinstance(event, _http1.ResponseProtocolError):
        own = _OWN_ERRORS.pop(self.conn.id, None)
    if (
        own is None
        or event.code == _http1.status_codes.NO_RESPONSE
        or self.response
        or not self.conn.state & _http1.ConnectionState.CAN_WRITE
    ):
        yield from _mitm_send(self, event)
        return
    yield _http1.commands.SendData(self.conn, own)
    yield _http1.commands.CloseConnection(self.conn)


def _error_response(status_code: int, message: str = "") -> bytes:
    if status_code == 502:  # not for a flow: no request, so none to fall back with either
        verdict = judge("GET", _failed(message, None), fallback=False)
        message, code = verdict.message, verdict.code
    else:
        code = None
    body = envelope.error_body(status_code, message or "error", code=code)
    headers = {"Content-Type": "application/json", "Connection": "close"}
    return bytes(http1.assemble_response(http.Response.make(status_code, body, headers)))


_http1.Http1Server.send = _send_to_client
_http1.make_error_response = _error_response
addons = [StranglerAddon()]
