"""A service's attempt through mitmproxy's own HTTP stack, for the addon (``addon``): the
request goes out before the client's flow goes anywhere, and what came of it is said in the
routing policy's terms (``policy.Attempt``), which the policy then judges."""

from __future__ import annotations

import asyncio
import contextlib

from mitmproxy import connection, ctx, http
from mitmproxy.addons.clientplayback import ReplayHandler
from mitmproxy.proxy import commands, layers

from strangler_proxy.policy import Attempt, Failure, Tried
from strangler_proxy.registry import InstanceAddress


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


async def attempt(flow: http.HTTPFlow, timeout: float, tried: Tried | None) -> Attempt:
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


async def connects(target: InstanceAddress, timeout: float, tried: Tried | None) -> Attempt | None:
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


def retarget(request: http.Request, target: InstanceAddress) -> None:
    """Aim ``request`` at a service instance."""
    request.scheme = "http"
    request.host = target.origin.host  # also rewrites the Host header
    request.port = target.origin.port
