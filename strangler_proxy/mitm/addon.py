"""The mitmproxy engine: route each request by the flag store's route table.

Runs in its own environment (``make mitm``: mitmproxy pins an h11 the main env cannot have)::

    .venv-mitm/bin/mitmdump -s strangler_proxy/mitm/addon.py \\
        --mode reverse:http://127.0.0.1:8000 \\
        --set strangler_store=sqlite:///var/flags.sqlite3 -w flows.mitm

The reverse target is the monolith. Per request the addon asks the pure routing core who
answers: the monolith (the flow is left alone), or a service instance from the registry
(round-robin, no health checks). A service's answer is fetched first, by mitmproxy's own
HTTP stack, before the client's flow goes anywhere: when the service cannot answer and
the request is safe to repeat (``fallback.judge``: the production engine's rules) the
flow goes on to the monolith untouched; otherwise the service's answer, or the proxy's
JSON 502/504, is the flow's response. In shadow mode the monolith answers and a copy is
replayed to the service through mitmproxy's client replay. Every flow carries
``metadata["strangler"]`` (role, route, served_by, shadow, fallback: why the monolith
answered instead of the service; a shadow copy also ``shadow_of``: the primary flow's
id), so a flow file written with ``-w`` pairs each monolith answer with its service twin
for the comparison tools. Responses carry ``X-Strangler-Served-By``, ``X-Strangler-Route``
and after a fallback ``X-Strangler-Fallback`` (the reason); a canary may also set the
``strangler_client`` cookie.

Only the routing core and the flag store are imported here besides mitmproxy.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from mitmproxy import connection, ctx, exceptions, http
from mitmproxy.addons.clientplayback import ReplayHandler
from mitmproxy.proxy import commands, layers

from strangler_proxy.mitm.fallback import Action, Attempt, Failure, judge
from strangler_proxy.mitm.router import Plan, Router, Upstream, internal_headers
from strangler_proxy.store import FlagStore, open_store

logger = logging.getLogger(__name__)

DEFAULT_STORE = "sqlite:///var/flags.sqlite3"
MS_OPTIONS = ("strangler_poll_ms", "strangler_service_timeout_ms")
#: flow.metadata key of a new canary cookie, until the response hook sets it
SET_COOKIE = "strangler_set_cookie"


class StranglerAddon:
    def __init__(self) -> None:
        # both set by configure(), which mitmproxy calls when it loads the addon
        self.store: FlagStore | None = None
        self.router: Router | None = None

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

    async def request(self, flow: http.HTTPFlow) -> None:
        if flow.is_replay == "request":  # a shadow copy, already aimed at its service
            return
        for name in internal_headers(list(flow.request.headers.keys())):
            del flow.request.headers[name]
        if self.router is None:
            flow.response = _error(503, "the strangler addon has no flag store yet")
            return
        peer = flow.client_conn.peername
        plan = self.router.plan(
            flow.request.method,
            flow.request.path.split("?", 1)[0],
            {k.lower(): v for k, v in flow.request.headers.items()},
            peer[0] if peer else None,
        )
        flow.metadata["strangler"] = plan.metadata()
        if plan.set_cookie:
            flow.metadata[SET_COOKIE] = plan.set_cookie
        if plan.shadow is not None:
            self._send_shadow(flow, plan)
        if plan.target is None:
            return  # the reverse target, the monolith, answers
        if flow.request.stream:  # a streamed body went out already: no second chance
            _retarget(flow.request, plan.target)
            return
        await self._via_service(flow, plan, plan.target)

    async def _via_service(self, flow: http.HTTPFlow, plan: Plan, target: Upstream) -> None:
        """Ask the service; its answer (or the proxy's error) becomes the flow's response,
        or, on a fallback, the flow goes on to the monolith as it came."""
        tried = flow.copy()
        _retarget(tried.request, target)
        timeout = ctx.options.strangler_service_timeout_ms / 1000
        attempt = await _attempt(tried, timeout)
        verdict = judge(flow.request.method, attempt, fallback=plan.decision.fallback)
        if verdict.action is Action.FALLBACK:
            logger.info(
                "strangler: %s %s: %s failed (%s), the monolith answers",
                flow.request.method,
                flow.request.path,
                plan.served_by,
                verdict.reason,
            )
            flow.metadata["strangler"].update(served_by="monolith", fallback=verdict.reason)
            return
        _retarget(flow.request, target)  # the flow records where it went
        if verdict.action is Action.RELAY:
            flow.response = tried.response
        else:
            assert verdict.status is not None
            flow.response = _error(verdict.status, verdict.reason)

    def response(self, flow: http.HTTPFlow) -> None:
        info = flow.metadata.get("strangler")
        if flow.response is None or not info or info.get("role") != "primary":
            return
        flow.response.headers["X-Strangler-Served-By"] = info["served_by"]
        if info.get("route"):
            flow.response.headers["X-Strangler-Route"] = info["route"]
        if info.get("fallback"):
            flow.response.headers["X-Strangler-Fallback"] = info["fallback"]
        if cookie := flow.metadata.get(SET_COOKIE):
            flow.response.headers.add("Set-Cookie", cookie)

    def _send_shadow(self, flow: http.HTTPFlow, plan: Plan) -> None:
        assert plan.shadow is not None
        copy = flow.copy()
        _retarget(copy.request, plan.shadow)
        copy.metadata["strangler"] = {
            "role": "shadow",
            "route": plan.decision.route_id,
            "served_by": plan.decision.shadow,
            "shadow_of": flow.id,
        }
        ctx.master.commands.call("replay.client", [copy])


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


async def _attempt(flow: http.HTTPFlow, timeout: float) -> Attempt:
    """Send ``flow``'s request (aimed at a service) and say how it went."""
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
        return Attempt(failure=failure, detail=f"no answer within {timeout:g} s")
    if flow.response is not None and flow.error is None and not call.crashed:
        return Attempt(status=flow.response.status_code)
    detail = flow.error.msg if flow.error else call.crashed or "no answer"
    if flow.server_conn.timestamp_tcp_setup is None and not call.crashed:
        return Attempt(failure=Failure.REFUSED, detail=detail)
    return Attempt(failure=Failure.BROKEN, detail=detail)


def _retarget(request: http.Request, upstream: Upstream) -> None:
    request.scheme = upstream.scheme
    request.host = upstream.host  # also rewrites the Host header
    request.port = upstream.port
    if upstream.prefix:
        request.path = upstream.prefix + request.path


def _error(status: int, message: str) -> http.Response:
    body = json.dumps({"error": message, "status": status})
    return http.Response.make(status, body, {"Content-Type": "application/json"})


addons = [StranglerAddon()]
