"""One request and its answer on a client connection of the front (``front.Connection``,
seen here through the ``Connection`` protocol, so this module never imports the front):
the ASGI ``receive``/``send`` callables, the response framing, the app run.

The head is held back and written with the first body bytes (one ``write`` for a small
answer). Without Content-Length or Transfer-Encoding from the app, an HTTP/1.1 answer is
chunked and an HTTP/1.0 one ends with the connection; HEAD, 1xx, 204 and 304 have no body.
An answer the app leaves unfinished (an upstream that broke mid-body) aborts the connection.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from http import HTTPStatus
from typing import Any, Protocol

from strangler_proxy.engine.errors import error_body, error_headers

log = logging.getLogger("strangler.proxy")

Scope = dict[str, Any]
Message = dict[str, Any]
App = Callable[
    [Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
    Awaitable[None],
]

_NO_BODY_STATUS = frozenset({204, 304})
_WATCHED = frozenset({b"content-length", b"transfer-encoding", b"connection"})


class Draining(Protocol):
    @property
    def draining(self) -> bool: ...


class Connection(Protocol):
    """What an exchange needs of its client connection (``front.Connection`` is one): the
    transport and loop, read flow control, the drain of writes, and word of the answer."""

    running: Exchange | None

    @property
    def front(self) -> Draining: ...
    @property
    def loop(self) -> asyncio.AbstractEventLoop: ...
    @property
    def transport(self) -> asyncio.Transport | None: ...
    @property
    def reading(self) -> bool: ...
    @property
    def write_ready(self) -> asyncio.Future[None] | None: ...
    def abort(self) -> None: ...
    def resume_reading(self) -> None: ...
    async def drain(self) -> None: ...
    def answered(self, exchange: Exchange) -> None: ...


def _status_line(code: int) -> bytes:
    try:
        phrase = HTTPStatus(code).phrase
    except ValueError:
        phrase = ""
    return f"HTTP/1.1 {code} {phrase}\r\n".encode("ascii")


STATUS_LINES = {code: _status_line(code) for code in range(100, 600)}
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
#: An ASGI extension of this server (advertised in ``scope["extensions"]``): one message
#: ``{"type": WHOLE_RESPONSE, "status", "headers", "body"}`` sends a whole answer, as
#: ``http.response.start`` then one last ``http.response.body`` would, with one message.
WHOLE_RESPONSE = "strangler.response.whole"
EXTENSIONS: dict[str, dict[str, Any]] = {WHOLE_RESPONSE: {}}


class Exchange:
    """One request and its answer; ``receive``/``send`` are the ASGI callables."""

    __slots__ = (
        "buffered",
        "chunked",
        "chunks",
        "complete",
        "conn",
        "disconnected",
        "expect_continue",
        "head",
        "keep_alive",
        "more_body",
        "no_body",
        "scope",
        "started",
        "waiter",
    )

    def __init__(
        self, conn: Connection, scope: Scope, keep_alive: bool, expect_continue: bool
    ) -> None:
        self.conn = conn
        self.scope = scope
        scope["extensions"] = EXTENSIONS
        self.keep_alive = keep_alive
        self.expect_continue = expect_continue
        self.chunks: list[bytes] = []
        self.buffered = 0
        self.more_body = True
        self.disconnected = False
        self.waiter: asyncio.Future[None] | None = None
        self.started = False
        self.complete = False
        self.head = b""
        self.chunked = False
        self.no_body = False

    def wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def run(self, app: App) -> None:
        try:
            await app(self.scope, self.receive, self.send)
        except Exception:
            log.exception("the proxy app failed on %s %s", self.scope["method"], self.scope["path"])
            if not self.started and not self.disconnected:
                body = error_body(500, "internal error in the proxy")
                await self.send(
                    {
                        "type": "http.response.start",
                        "status": 500,
                        "headers": error_headers(body, close=True),
                    }
                )
                await self.send({"type": "http.response.body", "body": body})
        finally:
            if not self.complete:  # the answer was left unfinished: the connection cannot go on
                self.complete = True
                self.conn.running = None
                self.conn.abort()

    async def receive(self) -> Message:
        conn = self.conn
        if self.expect_continue and not self.started:
            self.expect_continue = False
            if conn.transport is not None and not conn.transport.is_closing():
                conn.transport.write(CONTINUE)
        while not self.chunks and self.more_body and not self.disconnected and not self.complete:
            conn.resume_reading()
            self.waiter = conn.loop.create_future()
            try:
                await self.waiter
            finally:
                self.waiter = None
        if self.disconnected or (self.complete and not self.chunks):
            return {"type": "http.disconnect"}
        body = self.chunks[0] if len(self.chunks) == 1 else b"".join(self.chunks)
        self.chunks = []
        self.buffered = 0
        if not conn.reading:
            conn.resume_reading()
        return {"type": "http.request", "body": body, "more_body": self.more_body}

    async def send(self, message: Message) -> None:
        if self.disconnected:
            return
        kind = message["type"]
        if not self.started:
            if kind == WHOLE_RESPONSE:  # the extension: start and the last body in one
                self._start(message["status"], message["headers"])
                self._write(message["body"], False)
                return
            if kind != "http.response.start":
                raise RuntimeError(f"expected http.response.start, got {kind!r}")
            self._start(message["status"], message.get("headers", ()))
            return
        if self.complete or kind != "http.response.body":
            raise RuntimeError(f"unexpected ASGI message {kind!r}")
        more: bool = message.get("more_body", False)
        self._write(message.get("body", b""), more)
        if more and self.conn.write_ready is not None:
            await self.conn.drain()

    def _write(self, body: bytes, more: bool) -> None:
        """Body bytes out (with the head held back, the first time), framed; the last ones
        end the exchange."""
        out = self.head
        self.head = b""
        if self.no_body:
            pass
        elif self.chunked:
            if body:
                out += b"%x\r\n%s\r\n" % (len(body), body)
            if not more:
                out += b"0\r\n\r\n"
        else:
            out = out + body if out else body
        conn = self.conn
        transport = conn.transport
        if out and transport is not None:
            transport.write(out)
        if not more:
            self.complete = True
            conn.answered(self)

    def _start(self, status: int, headers: Iterable[tuple[bytes, bytes]]) -> None:
        """Hold the head back: it goes out with the first body bytes (one write)."""
        self.started = True
        self.expect_continue = False
        lines = [(STATUS_LINES.get(status) or _status_line(status))[:-2]]  # joined by CRLF
        framed = said_close = False
        bodiless = status < 200 or status == 204  # never framed (RFC 9110 8.6, RFC 9112 6.1)
        for header in headers:
            name = header[0]
            if name in _WATCHED:
                if name == b"connection":
                    if b"close" in header[1].lower():
                        self.keep_alive = False
                        said_close = True
                elif bodiless:  # an upstream's Content-Length or Transfer-Encoding on a 204
                    continue
                else:  # Content-Length or Transfer-Encoding
                    framed = True
            lines.append(b": ".join(header))
        self.no_body = self.scope["method"] == "HEAD" or status in _NO_BODY_STATUS or status < 200
        if not framed and not self.no_body:
            if self.scope["http_version"] == "1.1":
                self.chunked = True
                lines.append(b"transfer-encoding: chunked")
            else:  # an HTTP/1.0 client: the end of the body is the end of the connection
                self.keep_alive = False
        if self.conn.front.draining:
            self.keep_alive = False
        if not self.keep_alive and not said_close:
            lines.append(b"connection: close")
        lines += (b"", b"")
        self.head = b"\r\n".join(lines)


__all__ = [
    "CONTINUE",
    "EXTENSIONS",
    "STATUS_LINES",
    "WHOLE_RESPONSE",
    "App",
    "Connection",
    "Exchange",
    "Message",
    "Scope",
]
