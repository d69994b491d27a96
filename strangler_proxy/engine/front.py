"""The server side of the engine: HTTP/1.1 on an asyncio protocol with httptools' request
parser (llhttp, strict), running the ASGI app in one task per connection.

It replaces uvicorn's protocol layer on the hot path (see the README for the profile that
pointed here): the response head is held back and written together with the first body
bytes, so a small answer costs one ``write`` (one syscall) instead of two; a connection's
requests run in one long-lived task instead of a task each; keep-alive timeouts are one
sweep per second instead of a timer per request; the request scope is built from the
parser's results without copies.

What it adds to plain parsing, on the server side:

- a cap on the request line plus headers: past it 431 (414 when the request-target alone
  is past it) and the connection closes (httptools itself has no limit, so a client could
  grow a request head forever);
- what RFC 9112/9110 ask of a server and llhttp leaves to it (README, "HTTP conformance"):
  505 for a major version other than 1, an absolute-form target's host as Host, ``*`` only
  for OPTIONS, ``Max-Forwards`` on OPTIONS/TRACE, trailers kept out of the headers, ``Via``;
- JSON bodies for the errors answered before the app runs: 400 for malformed or ambiguous
  framing, which llhttp refuses in strict mode (CL+TE, differing or empty Content-Length,
  a Transfer-Encoding whose last coding is not chunked, obs-fold); each closes;
- flow control both ways (reading pauses past 64 KiB of unread request body, ``send``
  waits while the client's socket buffer is full), pipelined requests answered in order,
  ``Expect: 100-continue`` answered when the app first reads the body;
- a graceful drain (``Front.drain``): idle connections close, busy ones close after their
  answer, in-flight requests get ``graceful_seconds`` to finish.
"""

from __future__ import annotations

import asyncio
import collections
import re
import time
import urllib.parse
from typing import cast

import httptools

from strangler_proxy.engine import http11
from strangler_proxy.engine.errors import error_bytes
from strangler_proxy.engine.exchange import App, Exchange, Scope

_READ_HIGH_WATER = 64 * 1024  # unread request body before the client socket is paused
_SWEEP_EVERY = 1.0  # seconds between keep-alive sweeps


_ASGI = {"version": "3.0", "spec_version": "2.3"}
_METHOD = re.compile(rb"[-!#$%&'*+.^_`|~0-9A-Za-z]+ ")  # RFC 9110 9.1: token SP
_MALFORMED = (400, "malformed or ambiguous HTTP request")
_UNKNOWN_METHOD = (501, "method not implemented by the proxy")


class _Refused(Exception):
    """The request head is refused before the app runs (the status is on the connection)."""


class Front:
    """What the connections of one worker share: the app, the limits, who is connected."""

    def __init__(self, app: App, *, max_head_bytes: int, keep_alive: float = 5.0) -> None:
        self.app = app
        self.max_head_bytes = max_head_bytes
        self.keep_alive = keep_alive
        self.connections: set[Connection] = set()
        self.draining = False
        self._sweeper: asyncio.Task[None] | None = None

    def protocol(self) -> Connection:
        """The protocol factory for ``loop.create_server``."""
        if self._sweeper is None:
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep())
        return Connection(self)

    async def _sweep(self) -> None:
        """Close connections idle past the keep-alive timeout: one task, no timer per request."""
        while True:
            await asyncio.sleep(_SWEEP_EVERY)
            limit = time.monotonic() - self.keep_alive
            for conn in list(self.connections):
                if conn.running is None and conn.idle_since < limit:
                    conn.close()

    async def drain(self, seconds: float) -> None:
        """Stop keeping connections alive and give in-flight requests ``seconds`` to finish."""
        self.draining = True
        for conn in list(self.connections):
            if conn.running is None:
                conn.close()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and any(c.running for c in self.connections):
            await asyncio.sleep(0.05)
        for conn in list(self.connections):
            conn.abort()
        if self._sweeper is not None:
            self._sweeper.cancel()


class Connection(asyncio.Protocol):
    """One client connection: parses requests and answers them one at a time, in order."""

    def __init__(self, front: Front) -> None:
        self.front = front
        self.loop = asyncio.get_running_loop()
        self.parser = httptools.HttpRequestParser(self)
        # answer a request that says "Connection: close" even if bytes follow it
        # and any version digits: the front answers 505 itself (llhttp's strict check lets
        # HTTP/2.0 through as if it were 1.1, and refuses HTTP/1.2 with a plain 400)
        self.parser.set_dangerous_leniencies(lenient_data_after_close=True, lenient_version=True)
        self.transport: asyncio.Transport | None = None
        self.client: tuple[str, int] | None = None
        self.server: tuple[str, int] | None = None
        self.parsing: Exchange | None = None  # the request whose bytes are arriving
        self.running: Exchange | None = None  # the request being answered
        self.waiting: collections.deque[Exchange] = collections.deque()  # pipelined
        self.idle_since = time.monotonic()
        self.worker: asyncio.Task[None] | None = None  # answers this connection's requests
        self._next: asyncio.Future[None] | None = None  # the idle worker waits on it
        self.reading = True
        self.write_ready: asyncio.Future[None] | None = None
        self._url = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._head_bytes = 0
        self._in_trailers = False
        self._begun = self._completed = 0  # requests whose parsing began / completed
        self._refused: tuple[int, str] | None = None  # why the parser was stopped
        self._expect_continue = False
        self._last_words: bytes | None = None  # an error to send once the running answer is out

    # -- asyncio.Protocol -------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self.client = _address(transport.get_extra_info("peername"))
        self.server = _address(transport.get_extra_info("sockname"))
        self.front.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.front.connections.discard(self)
        for exchange in (self.running, *self.waiting):
            if exchange is not None:
                exchange.disconnected = True
                exchange.wake()
        self.waiting.clear()
        if self.write_ready is not None and not self.write_ready.done():
            self.write_ready.set_result(None)
        self._wake_worker()  # an idle worker ends with its connection

    def data_received(self, data: bytes) -> None:
        begun = self._begun
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            # no upgrades through the proxy (Upgrade is hop-by-hop and stripped): the request
            # is answered as a plain one, then the connection closes
            if self.parsing is not None:
                self.parsing.keep_alive = False
        except httptools.HttpParserInvalidMethodError:
            # RFC 9110 9.1: a method llhttp does not know is 501 when it is a token (the
            # request began these bytes); anything else is a malformed request line
            fresh = self._begun == begun + 1 and begun == self._completed
            unknown = fresh and _METHOD.match(data.lstrip(b"\r\n")) is not None
            self._reply_and_close(*_UNKNOWN_METHOD if unknown else _MALFORMED)
            return
        except httptools.HttpParserError:
            status, message = self._refused or _MALFORMED
            self._reply_and_close(status, message)
            return
        if self.waiting:
            if self.running is None:
                self._start(self.waiting.popleft())
            if self.waiting:  # pipelined: answered in order; stop reading until then
                self._pause_reading()

    def pause_writing(self) -> None:
        self.write_ready = self.loop.create_future()

    def resume_writing(self) -> None:
        ready, self.write_ready = self.write_ready, None
        if ready is not None and not ready.done():
            ready.set_result(None)

    # -- httptools callbacks ----------------------------------------------------------
    def on_message_begin(self) -> None:
        self._begun += 1
        self._url = b""
        self._headers = []
        self._head_bytes = 0
        self._in_trailers = False
        self._expect_continue = False

    def _count(self, size: int, in_target: bool = False) -> None:
        self._head_bytes += size
        if self._head_bytes > self.front.max_head_bytes:
            if in_target:
                self._refuse(414, "request-target too long")  # RFC 9112 3
            self._refuse(431, "request headers too large")

    def _refuse(self, status: int, message: str) -> None:
        self._refused = (status, message)
        raise _Refused(message)

    def on_url(self, url: bytes) -> None:
        self._count(len(url), in_target=True)
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)
        if self._in_trailers:  # RFC 9110 6.5.1: never merged into the header section
            return
        name = name.lower()
        if name == b"expect" and value.lower() == b"100-continue":
            self._expect_continue = True
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        self._in_trailers = True  # any field from now on is a trailer field
        parser = self.parser
        version = parser.get_http_version()
        if version not in ("1.1", "1.0"):
            if not version.startswith("1."):  # RFC 9110 15.6.6 (HTTP/0.9, 2.0, 3.0 ...)
                self._refuse(505, f"HTTP/{version} is not supported, use HTTP/1.1")
            version = "1.1"  # RFC 9110 2.5: a higher minor version is read as the highest known
        method = parser.get_method().decode("ascii")
        url = httptools.parse_url(self._url)
        if url.schema is not None:  # absolute-form: RFC 9112 3.2.2, its host replaces Host
            authority = url.host if url.port is None else b"%s:%d" % (url.host, url.port)
            self._headers = [h for h in self._headers if h[0] != b"host"]
            self._headers.append((b"host", authority))
        elif self._url == b"*" and method != "OPTIONS":  # RFC 9112 3.2.4
            self._refuse(400, "the asterisk form is only for OPTIONS")
        raw_path = url.path or (b"*" if method == "OPTIONS" else b"/")
        path = raw_path.decode("latin-1")
        if "%" in path:
            path = urllib.parse.unquote(path)
        scope: Scope = {
            "type": "http",
            "asgi": _ASGI,
            "http_version": version,
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": raw_path,
            "query_string": url.query or b"",
            "root_path": "",
            "headers": self._headers,
            "client": self.client,
            "server": self.server,
        }
        if method in ("OPTIONS", "TRACE"):  # RFC 9110 7.6.2
            hops, self._headers = http11.max_forwards(self._headers)
            scope["headers"] = self._headers
            if hops == 0:  # the proxy is the final recipient
                scope[http11.OWN_ANSWER] = http11.final_recipient_answer(
                    method, self._url, version, self._headers
                )
        self._headers.append(http11.via(version))  # RFC 9110 7.6.3
        keep_alive = version != "1.0" and parser.should_keep_alive()
        # RFC 9110 10.1.1: an HTTP/1.0 client's 100-continue is ignored (it has no 1xx)
        expect_continue = self._expect_continue and version != "1.0"
        exchange = Exchange(self, scope, keep_alive, expect_continue)
        self.parsing = exchange
        # started once the parser accepted everything fed so far (``data_received``): llhttp
        # refuses some framing only after this callback, and a refused request never runs
        self.waiting.append(exchange)

    def on_body(self, body: bytes) -> None:
        exchange = self.parsing
        if exchange is None or exchange.complete:
            return  # the answer went out already: the rest of the body is read and dropped
        exchange.chunks.append(body)
        exchange.buffered += len(body)
        if exchange.buffered > _READ_HIGH_WATER:
            self._pause_reading()
        exchange.wake()

    def on_message_complete(self) -> None:
        self._completed += 1
        exchange = self.parsing
        if exchange is not None:
            exchange.more_body = False
            exchange.wake()

    # -- answering ----------------------------------------------------------------------
    def _start(self, exchange: Exchange) -> None:
        self.running = exchange
        if self.worker is None:
            self.worker = self.loop.create_task(self._work())
        else:
            self._wake_worker()

    def _wake_worker(self) -> None:
        waiting = self._next
        if waiting is not None and not waiting.done():
            waiting.set_result(None)

    async def _work(self) -> None:
        """One task per connection, not per request: it runs each request's app in turn
        (``answered`` may hand it the next pipelined one) and waits while the connection is
        idle; it ends with the connection."""
        app = self.front.app
        while True:
            exchange = self.running
            if exchange is not None:
                own = http11.OWN_ANSWER in exchange.scope
                await exchange.run(http11.send_own_answer if own else app)
                continue
            if self.transport is None or self.transport.is_closing():
                return
            self._next = self.loop.create_future()
            try:
                await self._next
            finally:
                self._next = None

    def answered(self, exchange: Exchange) -> None:
        """``exchange``'s answer is out: close, or go on with the next request."""
        self.running = None
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        if not exchange.keep_alive:
            if self._last_words is not None:
                transport.write(self._last_words)
            transport.close()
            return
        self.idle_since = time.monotonic()
        if self.waiting:
            self._start(self.waiting.popleft())
        elif not self.reading:
            self.reading = True
            transport.resume_reading()

    def _pause_reading(self) -> None:
        if self.reading and self.transport is not None:
            self.reading = False
            self.transport.pause_reading()

    def resume_reading(self) -> None:
        if not self.reading and not self.waiting and self.transport is not None:
            self.reading = True
            self.transport.resume_reading()

    async def drain(self) -> None:
        ready = self.write_ready
        if ready is not None:
            await ready

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    def _reply_and_close(self, status: int, message: str) -> None:
        """Bad bytes: the requests complete before them are answered, then this error, then
        the connection closes; nothing after the bad bytes is ever read as a request."""
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        broken = self.parsing
        if broken is not None and broken.more_body:  # the bytes broke this request's body
            if broken is self.running:  # it is being answered: it cannot finish
                broken.disconnected = True
                broken.wake()
                transport.abort()
                return
            if broken in self.waiting:
                self.waiting.remove(broken)
        last = self.waiting[-1] if self.waiting else self.running
        if last is None:
            transport.write(error_bytes(status, message))
            transport.close()
            return
        self._pause_reading()
        last.keep_alive = False
        self._last_words = error_bytes(status, message)
        if self.running is None:
            self._start(self.waiting.popleft())


def _address(value: object) -> tuple[str, int] | None:
    if isinstance(value, tuple) and len(value) >= 2:
        return str(value[0]), int(value[1])
    return None


__all__ = ["Connection", "Front"]
