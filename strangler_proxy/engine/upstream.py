"""The hot-path HTTP/1.1 client: pooled keep-alive connections, httptools' response parser.

Measured on this machine (see the README of the engine), httpx's pool costs ~50x the
proxy's throughput and aiohttp's client ~4x, while a bare asyncio protocol with httptools
keeps most of it. This module is that protocol, with the parts correctness needs: timeouts
(connect, read, total), flow control both ways, streamed bodies, no cookies, no proxy
variables, and errors that tell the caller whether the request can have reached upstream.

>>> client = PooledUpstream()
>>> response = await client.request(Origin.parse("http://127.0.0.1:8000"), "GET", b"/health/",
...                                 [(b"host", b"shop")], None, Timeouts())
>>> async for chunk in response.stream(): ...
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import math
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import NamedTuple, Protocol, cast
from urllib.parse import urlsplit

import httptools

from strangler_proxy.engine.wire import Headers

_READ_HIGH_WATER = 1 << 20  # pause the upstream socket past 1 MiB not yet sent on
_MAX_IDLE_PER_ORIGIN = 256
# Requests per upstream connection before it is closed at a message boundary (nginx's
# keepalive_requests, Envoy's max_requests_per_connection): a server whose workers split
# kept-alive connections between them by chance (gunicorn) gets its split re-drawn.
_MAX_REQUESTS_PER_CONNECTION = 1000
_SWEEP_EVERY = 0.1  # timeout precision, seconds
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_FRAMING = frozenset({b"content-length", b"transfer-encoding"})
_WHOLE_BODY = 64 * 1024  # answers up to this size are read whole before they are relayed


class Origin(NamedTuple):
    """Where a request goes (a tuple: hashed in C, it keys the connection pool)."""

    host: str
    port: int

    @classmethod
    def parse(cls, url: str) -> Origin:
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"upstream URL must be http://host[:port], got {url!r}")
        return cls(parts.hostname, parts.port or 80)

    def __str__(self) -> str:
        return f"http://{self.host}:{self.port}"


@dataclass(frozen=True)
class Timeouts:
    connect: float = 2.0
    read: float = 30.0  # longest silence while waiting for upstream bytes
    total: float = 300.0  # whole exchange, from connect to the last body byte


@dataclass(frozen=True)
class StreamedBody:
    """A request body read while it is sent; ``length`` None means chunked."""

    chunks: AsyncIterator[bytes]
    length: int | None


RequestBody = bytes | StreamedBody | None


class UpstreamError(Exception):
    """The exchange with upstream failed."""

    reached = True  # the request may have reached upstream (never repeat it blindly)


class ConnectFailed(UpstreamError):
    """No connection: nothing was sent, so any request is safe to send elsewhere."""

    reached = False


class ConnectTimeout(ConnectFailed):
    """The connection was not accepted in time (nothing was sent either)."""


class UpstreamTimeout(UpstreamError):
    """Upstream did not answer in time."""


class UpstreamBroken(UpstreamError):
    """The connection closed or upstream spoke malformed HTTP."""


class UpstreamResponse(Protocol):
    status: int
    headers: Headers

    def body_if_complete(self) -> bytes | None: ...

    def stream(self) -> AsyncIterator[bytes]: ...

    def close(self) -> None: ...


class Upstream(Protocol):
    """What the engine needs from an HTTP client (tests may plug in a fake)."""

    async def request(
        self,
        origin: Origin,
        method: str,
        target: bytes,
        headers: Headers,
        body: RequestBody,
        timeouts: Timeouts,
    ) -> UpstreamResponse: ...

    async def aclose(self) -> None: ...


class _Connection(asyncio.Protocol):
    """One upstream connection; serves one exchange at a time."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self._write_ready: asyncio.Future[None] | None = None
        self._waiter: asyncio.Future[None] | None = None
        self.wait_until = math.inf
        # one parser for the connection's life: a connection goes back to the pool only at
        # a message boundary (complete, keep-alive, no error; never after a HEAD answer)
        self.parser = httptools.HttpResponseParser(self)
        self.chunks: collections.deque[bytes] = collections.deque()
        self.requests = 0  # exchanges started on this connection
        self._reset(head=False)

    # -- one exchange ------------------------------------------------------------------
    def _reset(self, head: bool) -> None:
        self.head = head
        self.status = 0
        self.headers: Headers = []
        self.headers_done = False
        self.complete = False
        self.until_close = False
        self.framed = False  # Content-Length or Transfer-Encoding seen
        self.length = -1  # the declared Content-Length, -1 when there is none
        self.keep_alive = False
        self.chunks.clear()
        self.buffered = 0
        self.error: UpstreamError | None = None
        self.paused = False
        self.received_any = False
        self.idle = False

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def wait(self, deadline: float, read_timeout: float) -> None:
        """Wait for the next parser event, at most ``read_timeout`` and until ``deadline``.

        No timer per wait: the pool's sweeper expires overdue waits (see ``_sweep``)."""
        now = time.monotonic()
        if now >= deadline:
            raise UpstreamTimeout("upstream did not answer in time")
        self.wait_until = min(now + read_timeout, deadline)
        waiter = self.loop.create_future()
        self._waiter = waiter
        try:
            await waiter
        finally:
            self._waiter = None
            self.wait_until = math.inf

    def expire_if_overdue(self, now: float) -> None:
        waiter = self._waiter
        if now >= self.wait_until and waiter is not None and not waiter.done():
            waiter.set_exception(UpstreamTimeout("upstream did not answer in time"))

    # -- asyncio.Protocol -------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        if self.idle:  # bytes nobody asked for: never let them answer the next request
            self.abort()
            return
        self.received_any = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(UpstreamBroken(f"malformed response from upstream: {exc}"))
        self._wake()

    def eof_received(self) -> bool | None:
        if self.headers_done and self.until_close and not self.complete:
            self.complete = True
        self.closed = True
        self._wake()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self.complete and self.error is None:
            self.error = UpstreamBroken("upstream closed the connection")
        if self._write_ready is not None and not self._write_ready.done():
            self._write_ready.set_result(None)
        self._wake()

    def pause_writing(self) -> None:
        self._write_ready = self.loop.create_future()

    def resume_writing(self) -> None:
        if self._write_ready is not None and not self._write_ready.done():
            self._write_ready.set_result(None)
        self._write_ready = None

    # -- httptools callbacks ----------------------------------------------------------
    def on_message_begin(self) -> None:
        if self.complete:  # a second answer to one request: the connection is out of step
            raise UpstreamBroken("upstream sent more than one answer")

    def on_header(self, name: bytes, value: bytes) -> None:
        name = name.lower()
        if name in _FRAMING:
            self.framed = True
            if name == b"content-length" and value.isdigit():
                self.length = int(value)
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        status = self.parser.get_status_code()
        if 100 <= status < 200:  # interim response: wait for the real one
            self.headers = []
            self.framed = False
            self.length = -1
            return
        self.status = status
        self.headers_done = True
        self.keep_alive = self.parser.should_keep_alive()
        self.until_close = not self.framed
        if self.head:  # a HEAD answer has no body, whatever its headers say
            self.complete = True
            self.keep_alive = False

    def on_body(self, body: bytes) -> None:
        if self.head:
            return
        self.chunks.append(body)
        self.buffered += len(body)
        if self.buffered > _READ_HIGH_WATER and not self.paused and self.transport:
            self.paused = True
            self.transport.pause_reading()

    def on_message_complete(self) -> None:
        if self.headers_done:
            self.complete = True

    def _fail(self, error: UpstreamError) -> None:
        self.error = error
        self.keep_alive = False
        if self.transport is not None:
            self.transport.close()

    def take(self) -> bytes:
        chunk = self.chunks.popleft()
        self.buffered -= len(chunk)
        if self.paused and self.buffered < _READ_HIGH_WATER // 2:
            self._resume()
        return chunk

    def take_all(self) -> bytes:
        body = b"".join(self.chunks)
        self.chunks.clear()
        self.buffered = 0
        if self.paused:
            self._resume()
        return body

    def _resume(self) -> None:
        self.paused = False
        if self.transport is not None:
            self.transport.resume_reading()

    async def drain(self, deadline: float, read_timeout: float) -> None:
        ready = self._write_ready
        if ready is None:
            return
        timeout = min(read_timeout, deadline - time.monotonic())
        try:
            await asyncio.wait_for(asyncio.shield(ready), max(timeout, 0))
        except TimeoutError as exc:
            raise UpstreamTimeout("upstream did not read the request body in time") from exc

    def abort(self) -> None:
        self.keep_alive = False
        self.closed = True
        if self.transport is not None:
            self.transport.abort()


class _Response:
    """The answer being read; its connection goes back to the pool once fully read."""

    def __init__(
        self, pool: PooledUpstream, origin: Origin, conn: _Connection, deadline: float, read: float
    ) -> None:
        self.status = conn.status
        self.headers = conn.headers
        self._pool = pool
        self._origin = origin
        self._conn: _Connection | None = conn
        self._deadline = deadline
        self._read = read
        if conn.complete and not conn.chunks:
            self._finish()

    def body_if_complete(self) -> bytes | None:
        """The whole body when it has already arrived (the common small answer), else None."""
        conn = self._conn
        if conn is None:
            return b""
        if not conn.complete:
            return None
        body = conn.take_all()
        self._finish()
        return body

    async def stream(self) -> AsyncIterator[bytes]:
        while True:
            conn = self._conn
            if conn is None:
                return
            if conn.chunks:
                yield conn.take()
                continue
            if conn.complete:
                self._finish()
                return
            if conn.error is not None:
                self.close()
                raise conn.error
            try:
                await conn.wait(self._deadline, self._read)
            except UpstreamError:
                self.close()
                raise

    def _finish(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            self._pool._release(self._origin, conn)

    def close(self) -> None:
        """Stop reading: an unfinished answer means the connection cannot be reused."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if conn.complete and not conn.chunks:
            self._pool._release(self._origin, conn)
        else:
            self._pool._drop(conn)


class PooledUpstream:
    """An HTTP/1.1 client with a keep-alive pool per origin; shared by all requests."""

    def __init__(
        self,
        max_idle_per_origin: int = _MAX_IDLE_PER_ORIGIN,
        max_requests_per_connection: int = _MAX_REQUESTS_PER_CONNECTION,
    ) -> None:
        self._idle: dict[Origin, collections.deque[_Connection]] = {}
        self._max_idle = max_idle_per_origin
        self._max_requests = max_requests_per_connection
        self._busy: set[_Connection] = set()
        self._sweeper: asyncio.Task[None] | None = None

    async def _sweep(self) -> None:
        """Expire overdue waits every 0.1 s: one task instead of a timer per request."""
        while True:
            await asyncio.sleep(_SWEEP_EVERY)
            now = time.monotonic()
            for conn in list(self._busy):
                conn.expire_if_overdue(now)

    async def request(
        self,
        origin: Origin,
        method: str,
        target: bytes,
        headers: Headers,
        body: RequestBody,
        timeouts: Timeouts,
    ) -> UpstreamResponse:
        deadline = time.monotonic() + timeouts.total
        if self._sweeper is None:
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep())
        # A pooled connection the server closed a moment ago fails before any answer; a
        # request safe to repeat then gets one more try on a fresh connection.
        retry = method in _SAFE_METHODS and not isinstance(body, StreamedBody)
        while True:
            conn = self._pooled(origin)
            reused = conn is not None
            if conn is None:
                conn = await self._connect(origin, timeouts)
            self._busy.add(conn)
            try:
                stream = self._send_head(conn, origin, method, target, headers, body)
                if stream is not None:
                    await self._send_stream(conn, stream, deadline, timeouts.read)
                while not conn.headers_done:
                    if conn.error is not None:
                        raise conn.error
                    await conn.wait(deadline, timeouts.read)
                # a small answer whose body is on its way (servers often write the head and
                # the body apart): wait for all of it, so it is relayed in one step, or fails
                # before any of it went on (the caller may then still ask someone else)
                if 0 <= conn.length <= _WHOLE_BODY:
                    while not conn.complete and not conn.closed and conn.error is None:
                        await conn.wait(deadline, timeouts.read)
                    if not conn.complete:
                        raise conn.error or UpstreamBroken("upstream closed the connection")
            except UpstreamBroken:
                self._drop(conn)
                if retry and reused and not conn.received_any:
                    retry = False
                    continue
                raise
            except BaseException:
                self._drop(conn)
                raise
            return _Response(self, origin, conn, deadline, timeouts.read)

    def _pooled(self, origin: Origin) -> _Connection | None:
        """An idle pooled connection to ``origin`` that is still open, if there is one."""
        idle = self._idle.get(origin)
        while idle:
            conn = idle.pop()
            if not conn.closed:
                return conn
        return None

    async def _connect(self, origin: Origin, timeouts: Timeouts) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeouts.connect):
                _, conn = await loop.create_connection(
                    lambda: _Connection(loop), origin.host, origin.port
                )
        except TimeoutError as exc:
            raise ConnectTimeout(f"connecting to {origin} timed out") from exc
        except OSError as exc:
            raise ConnectFailed(f"cannot connect to {origin}: {exc.strerror or exc}") from exc
        return conn

    def _send_head(
        self,
        conn: _Connection,
        origin: Origin,
        method: str,
        target: bytes,
        headers: Headers,
        body: RequestBody,
    ) -> StreamedBody | None:
        """Write the request head (with the whole body when it is bytes: one write); returns
        ``body`` when it is a stream still to send (``_send_stream``), else None."""
        conn._reset(head=method == "HEAD")
        conn.requests += 1
        transport = conn.transport
        assert transport is not None
        head = [method.encode("ascii"), b" ", target, b" HTTP/1.1\r\n"]
        has_host = False
        for name, value in headers:
            has_host = has_host or name == b"host"
            head += [name, b": ", value, b"\r\n"]
        if not has_host:
            head.append(f"host: {origin.host}:{origin.port}\r\n".encode("ascii"))
        if body is None:
            head.append(b"\r\n")
            transport.write(b"".join(head))
            return None
        if isinstance(body, bytes):
            head += [b"content-length: ", str(len(body)).encode("ascii"), b"\r\n\r\n", body]
            transport.write(b"".join(head))
            return None
        if body.length is None:
            head.append(b"transfer-encoding: chunked\r\n\r\n")
        else:
            head += [b"content-length: ", str(body.length).encode("ascii"), b"\r\n\r\n"]
        transport.write(b"".join(head))
        return body

    async def _send_stream(
        self, conn: _Connection, body: StreamedBody, deadline: float, read_timeout: float
    ) -> None:
        transport = conn.transport
        assert transport is not None
        chunked = body.length is None
        async for chunk in body.chunks:
            if conn.closed or conn.headers_done:  # upstream answered (or left) early
                conn.keep_alive = False
                return
            if chunk:
                if chunked:
                    transport.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                else:
                    transport.write(chunk)
                await conn.drain(deadline, read_timeout)
        if chunked:
            transport.write(b"0\r\n\r\n")

    def _drop(self, conn: _Connection) -> None:
        self._busy.discard(conn)
        conn.abort()

    def _release(self, origin: Origin, conn: _Connection) -> None:
        self._busy.discard(conn)
        if (
            conn.closed
            or not conn.keep_alive
            or conn.error is not None
            or conn.requests >= self._max_requests
        ):
            conn.abort()
            return
        idle = self._idle.setdefault(origin, collections.deque())
        if len(idle) >= self._max_idle:
            conn.abort()
            return
        conn.idle = True
        idle.append(conn)

    async def aclose(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
        for idle in self._idle.values():
            while idle:
                idle.pop().abort()
        self._idle.clear()
