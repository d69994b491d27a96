"""One pooled upstream connection: an asyncio protocol feeding httptools' response parser.

It serves one exchange at a time and only says what arrived; the pool (``pool.py``) decides
what to send, when to wait and whether the connection can be reused.
"""

from __future__ import annotations

import asyncio
import collections
import math
import time
from typing import cast

import httptools

from strangler_proxy.engine.upstream.types import UpstreamBroken, UpstreamError, UpstreamTimeout
from strangler_proxy.engine.wire import Headers

_READ_HIGH_WATER = 1 << 20  # pause the upstream socket past 1 MiB not yet sent on
_FRAMING = frozenset({b"content-length", b"transfer-encoding"})


class Connection(asyncio.Protocol):
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
        self.reset(head=False)

    # -- one exchange ------------------------------------------------------------------
    def reset(self, head: bool) -> None:
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
        if waiter is not None:
            self._waiter = None
            self.wait_until = math.inf
            if not waiter.done():
                waiter.set_result(None)

    def wait(self, deadline: float, read_timeout: float) -> asyncio.Future[None]:
        """A future (await it) done at the next parser event, failing with UpstreamTimeout
        after ``read_timeout`` of silence or at ``deadline``.

        A future, not a coroutine: no coroutine level is created and resumed per wait. No
        timer per wait either: the pool's sweeper expires overdue waits (see ``_sweep``)."""
        now = time.monotonic()
        if now >= deadline:
            raise UpstreamTimeout("upstream did not answer in time")
        self.wait_until = min(now + read_timeout, deadline)
        waiter = self._waiter = self.loop.create_future()
        return waiter

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
