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
service. Every flow carries ``metadata["strangler"]`` (role, route, served_by, shadow,
fallback; a shadow copy also ``shadow_of``), so a flow file written with ``-w`` pairs each
monolith answer with its service twin. Answers carry ``X-Request-ID`` and the routing
headers (``X-Strangler-Served-By``, ``-Route``, ``-Fallback``); a canary may set the
``strangler_client`` cookie. Every error the proxy sends, mitmproxy's own included (a
dead monolith, a malformed request), is the toolkit's one JSON envelope, and names the
upstream that failed; an error about a request (a dead monolith's 502 too) carries its
``X-Request-ID`` and the routing headers, as the production engine's errors do.

Only the policy, the routing core, the registry and the flag store are imported here
besides mitmproxy.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import secrets
from typing import Any

from mitmproxy import connection, ctx, exceptions, http
from mitmproxy.addons.clientplayback import ReplayHandler
from mitmproxy.net.http import http1
from mitmproxy.proxy import commands, layers
from mitmproxy.proxy.layers.http import _http1

from strangler_proxy import envelope
from strangler_proxy.mitm.router import Plan, Router, internal_headers
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
from strangler_proxy.registry import InstanceAddress, Origin
from strangler_proxy.store import FlagStore, open_store

logger = logging.getLogger(__name__)

DEFAULT_STORE = "sqlite:///var/flags.sqlite3"
MS_OPTIONS = ("strangler_poll_ms", "strangler_service_timeout_ms")
#: flow.metadata keys of this addon besides "strangler" (the flow file's record)
SET_COOKIE, REQUEST_ID = "strangler_set_cookie", "strangler_request_id"
ROUTED, OWN_ANSWER = "strangler_routed", "strangler_own"


class StranglerAddon:
    def __init__(self) -> None:
        # both set by configure(), which mitmproxy calls when it loads the addon
        self.store: FlagStore | None = None
        self.router: Router | None = None
        self._id_prefix = secrets.token_hex(8)
        self._ids = itertools.count(1)

    def load(self, loader: Any) -> None:
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

    def configure(self, updated: set[str]) -> None:
        if ctx.options.connection_strategy != "lazy":
            # eager (mitmproxy's default) connects to the monolith as a client connects, and
            # drops the client, with no answer at all, when the monolith is down: even a
            # request routed to a service would fail
            logger.info("strangler: connection_strategy=lazy (the monolith only when needed)")
            ctx.options.update(connection_strategy="lazy")
        for name in MS_OPTIONS:
            if name in updated and (value := getattr(ctx.options, name)) <= 0:
                raise exceptions.OptionsError(f"{name} must be positive, got {value}")
        if not {"strangler_store", "strangler_poll_ms"} & updated:
            return
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
        attempt = await _connects(plan.target, timeout, plan.tried)
        if attempt is not None:  # nothing reached the service: the policy may fall back
            verdict = judge(flow.request.method, attempt, fallback=plan.decision.fallback)
            if verdict.action is Action.FALLBACK:
                _fell_back(flow, plan, verdict.reason)
            else:
                self._answer_error(flow, verdict)
            return
        _retarget(flow.request, plan.target)  # mitmproxy streams the body to the service

    async def request(self, flow: http.HTTPFlow) -> None:
        if flow.is_replay == "request" or flow.metadata.get(ROUTED):
            return  # a shadow copy (already aimed), or routed when its headers came
        plan = self._route(flow)
        if plan is None or plan.target is None:
            return
        tried = flow.copy()
        _retarget(tried.request, plan.target)
        timeout = ctx.options.strangler_service_timeout_ms / 1000
        attempt = await _attempt(tried, timeout, plan.tried)
        verdict = judge(flow.request.method, attempt, fallback=plan.decision.fallback)
        if verdict.action is Action.FALLBACK:
            _fell_back(flow, plan, verdict.reason)
            return
        _retarget(flow.request, plan.target)  # the flow records where it went
        if verdict.action is Action.RELAY:
            flow.response = tried.response
        else:  # the service failed it: the answer still says whose attempt it was
            self._answer_error(flow, verdict)

    def response(self, flow: http.HTTPFlow) -> None:
        info = flow.metadata.get("strangler")
        if flow.response is None or not info or info.get("role") != "primary":
            return
        headers = flow.response.headers
        if "x-request-id" not in headers:
            headers["X-Request-ID"] = flow.metadata[REQUEST_ID]
        for name, value in routing_headers(info["served_by"], info["route"], info["fallback"]):
            headers[name] = value
        cookie = flow.metadata.get(SET_COOKIE)
        if cookie and not flow.metadata.get(OWN_ANSWER):  # no cookie on errors (as the engine)
            headers.add("Set-Cookie", cookie)

    def error(self, flow: http.HTTPFlow) -> None:
        """mitmproxy failed the flow's exchange (a dead monolith): the error answer it writes
        next is made here, with the request id and routing headers (``_send_to_client``)."""
        info = flow.metadata.get("strangler")
        if flow.response is not None or flow.error is None or not info:
            return
        if info.get("role") != "primary":
            return
        request = flow.request
        tried = Tried(info["served_by"], str(Origin(request.host, request.port)))
        verdict = judge(request.method, _failed(flow.error.msg, tried), fallback=False)
        answer = _envelope(verdict, flow.metadata.get(REQUEST_ID), close=True)
        for name, value in routing_headers(verdict.served_by, info["route"], info["fallback"]):
            answer.headers[name] = value
        _OWN_ERRORS[flow.client_conn.id] = bytes(http1.assemble_response(answer))

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
        if plan.set_cookie:
            flow.metadata[SET_COOKIE] = plan.set_cookie
        if plan.shadow is not None:
            self._send_shadow(flow, plan, plan.shadow)
        if plan.unavailable is not None and plan.unavailable.action is Action.ERROR:
            self._answer_error(flow, plan.unavailable)
            return None
        return plan

    def _next_id(self) -> str:
        return f"{self._id_prefix}-{next(self._ids):x}"

    def _answer_error(self, flow: http.HTTPFlow, verdict: Verdict) -> None:
        """The proxy's error in the envelope; the response hook adds the routing headers,
        ``X-Strangler-Served-By`` saying whose failure it reports (``verdict.served_by``)."""
        flow.request.stream = False  # mitmproxy streams no body to a flow that has its answer
        flow.response = _envelope(verdict, flow.metadata.get(REQUEST_ID))
        flow.metadata["strangler"]["served_by"] = verdict.served_by
        flow.metadata[OWN_ANSWER] = True

    def _send_shadow(self, flow: http.HTTPFlow, plan: Plan, target: InstanceAddress) -> None:
        copy = flow.copy()
        _retarget(copy.request, target)
        copy.metadata["strangler"] = {
            "role": "shadow",
            "route": plan.decision.route_id,
            "served_by": plan.decision.shadow,
            "shadow_of": flow.id,
        }
        ctx.master.commands.call("replay.client", [copy])


def _fell_back(flow: http.HTTPFlow, plan: Plan, reason: str) -> None:
    logger.info(
        "strangler: %s %s: %s failed (%s), the monolith answers",
        flow.request.method,
        flow.request.path,
        plan.decision.primary,
        reason,
    )
    flow.metadata["strangler"].update(served_by="monolith", fallback=reason)


class _ServiceCall(ReplayHandler):  # type: ignore[misc]  # mitmproxy: another env
    """One request through mitmproxy's own HTTP stack (a client replay that no addon sees:
    it is not a flow of its own, the client's flow records its answer)."""

    crashed = ""  # why the connection's task died without an error hook, if it did

    async def handle_hook(self, hook: commands.StartHook) -> None:
        if isinstance(hook, layers.http.HttpResponseHook | layers.http.HttpErrorHook):
            await self.close()
            self.done.set()

    async def open_connection(self, command: commands.OpenConnection) -> None:
        try:
            await super().open_connection(command)
        except Exception as exc:
            # e.g. a service dying between connect and getpeername(): mitmproxy asserts,
            # the task dies and no hook would ever end this call
            self.crashed = f"connection failed: {exc!r}"
            self.done.set()

    async def close(self) -> None:
        handlers = [io.handler for io in self.transports.values() if io.handler]
        for handler in handlers:
            handler.cancel()
        if handlers:
            await asyncio.wait(handlers)


async def _attempt(flow: http.HTTPFlow, timeout: float, tried: Tried | None) -> Attempt:
    """Send ``flow``'s request (aimed at the service ``tried``) and say how it went."""
    # a fresh server connection: its tcp setup time tells whether the request went out
    flow.server_conn = connection.Server(address=(flow.request.host, flow.request.port))
    call = _ServiceCall(flow, ctx.options)
    try:
        await asyncio.wait_for(call.replay(), timeout)
    except TimeoutError:
        connected = any(
            isinstance(conn, connection.Server) and conn.timestamp_tcp_setup
            for conn in call.transports
        )
        await call.close()
        failure = Failure.TIMEOUT if connected else Failure.CONNECT_TIMEOUT
        return Attempt(failure=failure, detail=f"no answer within {timeout:g} s", tried=tried)
    if flow.response is not None and flow.error is None and not call.crashed:
        return Attempt(status=flow.response.status_code)
    detail = flow.error.msg if flow.error else call.crashed or "no answer"
    if flow.server_conn.timestamp_tcp_setup is None and not call.crashed:
        return Attempt(failure=Failure.REFUSED, detail=detail, tried=tried)
    return Attempt(failure=Failure.BROKEN, detail=detail, tried=tried)


async def _connects(target: InstanceAddress, timeout: float, tried: Tried | None) -> Attempt | None:
    """None when ``target`` accepts a connection; else the failed attempt (nothing sent)."""
    try:
        _, writer = await asyncio.wait_for(
            asyncio.open_connection(target.origin.host, target.origin.port), timeout
        )
    except TimeoutError:
        detail = f"not connected in {timeout:g} s"
        return Attempt(failure=Failure.CONNECT_TIMEOUT, detail=detail, tried=tried)
    except OSError as exc:
        return Attempt(failure=Failure.REFUSED, detail=str(exc), tried=tried)
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return None


def _retarget(request: http.Request, target: InstanceAddress) -> None:
    request.scheme = "http"
    request.host = target.origin.host  # also rewrites the Host header
    request.port = target.origin.port


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
