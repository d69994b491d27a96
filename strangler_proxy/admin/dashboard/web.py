"""The dashboard's pages under ``/dashboard`` on the admin port.

    GET  /dashboard              the page (303 to the login form without a session)
    GET  /dashboard/login        the login form (an admin token)
    POST /dashboard/login        token=... -> session cookie, 303 to the page
    POST /dashboard/logout       ends the session (X-CSRF-Token)
    GET  /dashboard/static/NAME  the page's script and style sheet (no data in them)
    GET  /dashboard/state        the state, JSON (session or token)
    GET  /dashboard/live         the state as server-sent events, each time it changes

The page holds no data: it fetches its state over ``/dashboard/live`` once logged in, so an
anonymous browser gets the login form and nothing else. Flips go through the admin API's
``PATCH /routes/{id}`` like the command line's.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
from functools import cache
from importlib import resources
from urllib.parse import parse_qs

from strangler_proxy.admin.auth import AdminTokens
from strangler_proxy.admin.dashboard.access import Caller, csrf_refusal, origin_refusal
from strangler_proxy.admin.dashboard.live import Feed
from strangler_proxy.admin.dashboard.sessions import Sessions, cookie_of, set_cookie
from strangler_proxy.admin.http import (
    Header,
    Receive,
    Response,
    Scope,
    Send,
    TooLarge,
    error,
    json_response,
    read_body,
    send_response,
)

HEARTBEAT = 15.0
WRONG_TOKEN_DELAY = 0.25  # slows a guessing loop (not a lockout: tokens are 16+ chars)
SESSION_CHECK = 1.0  # a stream ends within a second of its session (logout, expiry)
STATIC = {"dashboard.js": "text/javascript", "dashboard.css": "text/css"}
#: no inline script, nothing from elsewhere, never framed (clickjacking a flip)
SECURITY: tuple[Header, ...] = (
    (b"content-security-policy", b"default-src 'self'; script-src 'self'; style-src 'self'; "
     b"img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
     b"base-uri 'none'"),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),  # no-referrer would make Origin "null"
)  # fmt: skip


@cache
def asset(name: str) -> str:
    return (resources.files(__package__) / "static" / name).read_text(encoding="utf-8")


def page(name: str, status: int = 200, *headers: Header, **values: str) -> Response:
    text = asset(name)
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", html.escape(value))
    return Response(status, text.encode(), "text/html; charset=utf-8", (*SECURITY, *headers))


def see_other(where: str, *headers: Header) -> Response:
    return Response(303, b"", "text/plain", ((b"location", where.encode()), *headers))


class Dashboard:
    def __init__(self, tokens: AdminTokens, sessions: Sessions, feed: Feed) -> None:
        self.tokens = tokens
        self.sessions = sessions
        self.feed = feed

    async def handle(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        rest: tuple[str, ...],
        headers: dict[str, str],
        caller: Caller | None,
    ) -> None:
        """``rest``: the path's segments after ``dashboard``."""
        method, scheme = scope["method"], scope.get("scheme", "http")
        if rest == ("live",) and method == "GET" and caller is not None:
            await self._live(receive, send, caller, headers)
            return
        response = await self._respond(method, scheme, rest, headers, receive, caller)
        await send_response(send, response)

    async def _respond(
        self,
        method: str,
        scheme: str,
        rest: tuple[str, ...],
        headers: dict[str, str],
        receive: Receive,
        caller: Caller | None,
    ) -> Response:
        where = "/".join(rest)
        if where == "" and method == "GET":
            if caller is None:
                return see_other("/dashboard/login")
            csrf = caller.session.csrf if caller.session else ""
            return page("index.html", csrf=csrf, actor=caller.actor)
        if where == "login" and method == "GET":
            return see_other("/dashboard") if caller else page("login.html", error="")
        if where == "login" and method == "POST":
            return await self._login(scheme, headers, receive)
        if where == "logout" and method == "POST":
            if caller is None:
                return error(401, "not logged in")
            refused = csrf_refusal(caller, method, headers, scheme)
            if refused:
                return error(403, refused)
            self.sessions.end(cookie_of(headers.get("cookie")))
            return json_response(200, {"logged_out": True}, set_cookie("", 0))
        if len(rest) == 2 and rest[0] == "static" and rest[1] in STATIC and method == "GET":
            return Response(200, asset(rest[1]).encode(), STATIC[rest[1]], SECURITY)
        if where in ("state", "live") and method == "GET":
            if caller is None:
                return error(401, "log in at /dashboard/login, or send the admin token")
            return json_response(200, await self.feed.current())
        if where in ("", "login", "logout", "state", "live"):
            return error(405, f"method {method} not allowed")
        return error(404, f"no such dashboard page: /dashboard/{where}")

    async def _login(self, scheme: str, headers: dict[str, str], receive: Receive) -> Response:
        wants_html = "text/html" in headers.get("accept", "")
        refused = origin_refusal(headers, scheme)
        if refused:
            return error(403, refused)
        try:
            form = parse_qs((await read_body(receive)).decode("utf-8", "replace"))
        except TooLarge:
            return error(413, "request body too large", "token")
        token = (form.get("token") or [""])[0].strip()
        name = self.tokens.who(f"Bearer {token}") if token else None
        if name is None:
            await asyncio.sleep(WRONG_TOKEN_DELAY)
            message = "wrong admin token" if token else "the admin token is required"
            if wants_html:
                return page("login.html", 401, error=message)
            return error(401, message, "token")
        cookie, _ = self.sessions.start(name)
        return see_other("/dashboard", set_cookie(cookie))

    async def _live(
        self, receive: Receive, send: Send, caller: Caller, headers: dict[str, str]
    ) -> None:
        """Server-sent events: the whole state each time it changes, a comment every 15 s
        so proxies keep the stream open; it ends when the session does."""
        head = [(b"content-type", b"text/event-stream; charset=utf-8"),
                (b"cache-control", b"no-store"), (b"x-accel-buffering", b"no")]  # fmt: skip
        await send({"type": "http.response.start", "status": 200, "headers": head})
        gone = asyncio.Event()

        async def watch() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            gone.set()

        watcher = asyncio.create_task(watch())
        cookie = cookie_of(headers.get("cookie"))
        seen, idle = 0, 0.0
        try:
            async with self.feed.listening():
                await self._chunk(send, b"retry: 1000\n\n")
                await self.feed.current()
                while not gone.is_set():
                    if caller.session is not None and self.sessions.find(cookie) is None:
                        break  # logged out or expired: the page goes back to the login form
                    if self.feed.seq != seen and self.feed.state is not None:
                        seen = self.feed.seq
                        data = json.dumps(self.feed.state, separators=(",", ":"))
                        await self._chunk(
                            send, f"id: {seen}\nevent: state\ndata: {data}\n\n".encode()
                        )
                    elif await _either(self.feed.changed(), gone, SESSION_CHECK):
                        idle = 0.0
                    else:  # looked at the session again; a comment now and then keeps
                        idle += SESSION_CHECK  # proxies in between from closing the stream
                        if idle >= HEARTBEAT:
                            idle = 0.0
                            await self._chunk(send, b": keep-alive\n\n")
        finally:
            watcher.cancel()
            with contextlib.suppress(Exception):
                await send({"type": "http.response.body", "body": b"", "more_body": False})

    @staticmethod
    async def _chunk(send: Send, data: bytes) -> None:
        await send({"type": "http.response.body", "body": data, "more_body": True})


async def _either(a: asyncio.Event, b: asyncio.Event, timeout: float) -> bool:
    """Wait for either event; False on timeout."""
    waits = [asyncio.create_task(a.wait()), asyncio.create_task(b.wait())]
    done, pending = await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    return bool(done)
