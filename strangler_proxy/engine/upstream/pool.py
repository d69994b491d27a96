"""The keep-alive pool per origin and the answers read from it (see the package docstring)."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import time
from collections.abc import AsyncIterator

from strangler_proxy.engine.upstream.connection import Connection
from strangler_proxy.engine.upstream.types import (
    ConnectFailed,
    ConnectTimeout,
    Origin,
    RequestBody,
    StreamedBody,
    Timeouts,
    UpstreamBroken,
    UpstreamError,
    UpstreamResponse,
)
from strangler_proxy.engine.wire import Headers
from strangler_proxy.policy import repeatable

_MAX_IDLE_PER_ORIGIN = 256
# Requests per upstream connection before it is closed at a message boundary (nginx's
# keepalive_requests, Envoy's max_requests_per_connection): a server whose workers split
# kept-alive connections between them by chance (gunicorn) gets its split re-drawn.
_MAX_REQUESTS_PER_CONNECTION = 1000
_SWEEP_EVERY = 0.1  # timeout precision, seconds
_WHOLE_BODY = 64 * 1024  # answers up to this size are read whole before they are relayed


class _Response:
    """The answer being read; its connection goes back to the pool once fully read."""

    def __init__(
        self, pool: PooledUpstream, origin: Origin, conn: Connection, deadline: float, read: float
    ) -> None:
        self.status = conn.status
        self.headers = conn.headers
        self._pool = pool
        self._origin = origin
        self._conn: Connection | None = conn
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
        self._idle: dict[Origin, collections.deque[Connection]] = {}
        self._max_idle = max_idle_per_origin
        self._max_requests = max_requests_per_connection
        self._busy: set[Connection] = set()
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
        retry = repeatable(method, streamed=isinstance(body, StreamedBody))
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

    def _pooled(self, origin: Origin) -> Connection | None:
        """An idle pooled connection to ``origin`` that is still open, if there is one."""
        idle = self._idle.get(origin)
        while idle:
            conn = idle.pop()
            if not conn.closed:
                return conn
        return None

    async def _connect(self, origin: Origin, timeouts: Timeouts) -> Connection:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeouts.connect):
                _, conn = await loop.create_connection(
                    lambda: Connection(loop), origin.host, origin.port
                )
        except TimeoutError as exc:
            raise ConnectTimeout(f"connecting to {origin} timed out") from exc
        except OSError as exc:
            raise ConnectFailed(f"cannot connect to {origin}: {exc.strerror or exc}") from exc
        return conn

    def _send_head(
        self,
        conn: Connection,
        origin: Origin,
        method: str,
        target: bytes,
        headers: Headers,
        body: RequestBody,
    ) -> StreamedBody | None:
        """Write the request head (with the whole body when it is bytes: one write); returns
        ``body`` when it is a stream still to send (``_send_stream``), else None."""
        conn.reset(head=method == "HEAD")
        conn.requests += 1
        transport = conn.transport
        assert transport is not None
        lines = [b"%s %s HTTP/1.1" % (method.encode("ascii"), target)]  # joined by CRLF
        has_host = False
        for header in headers:
            if header[0] == b"host":
                has_host = True
            lines.append(b": ".join(header))
        if not has_host:
            lines.append(f"host: {origin.host}:{origin.port}".encode("ascii"))
        if body is None:
            lines += (b"", b"")
            transport.write(b"\r\n".join(lines))
            return None
        if isinstance(body, bytes):
            lines += (b"content-length: %d" % len(body), b"", body)
            transport.write(b"\r\n".join(lines))
            return None
        if body.length is None:
            lines += (b"transfer-encoding: chunked", b"", b"")
        else:
            lines += (b"content-length: %d" % body.length, b"", b"")
        transport.write(b"\r\n".join(lines))
        return body

    async def _send_stream(
        self, conn: Connection, body: StreamedBody, deadline: float, read_timeout: float
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

    def _drop(self, conn: Connection) -> None:
        self._busy.discard(conn)
        conn.abort()

    def _release(self, origin: Origin, conn: Connection) -> None:
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
