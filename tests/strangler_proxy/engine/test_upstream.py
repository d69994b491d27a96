"""The hot-path client against small real servers on loopback (asyncio, in this process):
what each failure becomes, and when a request is tried again."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from strangler_proxy.engine.upstream import (
    ConnectFailed,
    Origin,
    PooledUpstream,
    StreamedBody,
    Timeouts,
    UpstreamBroken,
    UpstreamTimeout,
)
from strangler_proxy.stack.process import free_port

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
FAST = Timeouts(connect=0.5, read=0.5, total=5.0)


@contextlib.asynccontextmanager
async def server(handler: Handler) -> AsyncIterator[tuple[Origin, list[bytes]]]:
    """A server answering with ``handler``; yields its origin and the request heads it read."""
    heads: list[bytes] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            await handler(reader, writer)
        writer.close()

    async def recording(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        original = reader.readuntil

        async def readuntil(separator: Any = b"\n") -> bytes:  # any separator readuntil takes
            data = await original(separator)
            if separator == b"\r\n\r\n":
                heads.append(data)
            return data

        reader.readuntil = readuntil  # type: ignore[method-assign]
        await serve(reader, writer)

    srv = await asyncio.start_server(recording, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    async with srv:
        yield Origin("127.0.0.1", port), heads


async def answer_each(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while True:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(OK)
        await writer.drain()


async def until(check: Callable[[], bool], timeout: float = 5.0) -> None:
    """Let the loop run until ``check()`` holds; TimeoutError after ``timeout`` seconds."""
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.01)


async def read(client: PooledUpstream, origin: Origin, method: str = "GET") -> tuple[int, bytes]:
    response = await client.request(origin, method, b"/", [(b"host", b"x")], None, FAST)
    body = b"".join([chunk async for chunk in response.stream()])
    return response.status, body


async def test_connections_are_reused() -> None:
    async with server(answer_each) as (origin, heads):
        client = PooledUpstream()
        for _ in range(3):
            assert await read(client, origin) == (200, b"ok")
        await client.aclose()
    assert len(heads) == 3
    assert all(head.startswith(b"GET / HTTP/1.1\r\nhost: x\r\n") for head in heads)


async def test_a_connection_is_retired_after_its_request_budget() -> None:
    connections = 0

    async def counting(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await answer_each(reader, writer)

    async with server(counting) as (origin, heads):
        client = PooledUpstream(max_requests_per_connection=3)
        for _ in range(7):
            assert await read(client, origin) == (200, b"ok")
        await client.aclose()
    assert len(heads) == 7
    assert connections == 3  # 3 + 3 + 1 requests: like nginx's keepalive_requests


async def test_a_connection_is_reused_after_a_body_larger_than_the_read_buffer() -> None:
    big = b"b" * (1024 * 1024 + 512 * 1024)  # past the 1 MiB pause threshold

    async def answer_big(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(big), big))
            await writer.drain()

    async with server(answer_big) as (origin, heads):
        client = PooledUpstream()
        for _ in range(3):
            response = await client.request(origin, "GET", b"/", [], None, FAST)
            # 1 MiB is buffered and the client stopped reading: the rest waits in the kernel
            await until(lambda: any(conn.paused for conn in client._busy))
            body = response.body_if_complete()
            if body is None:
                body = b"".join([chunk async for chunk in response.stream()])
            assert body == big
        await client.aclose()
    assert len(heads) == 3


@pytest.mark.parametrize("pause", [0.0, 0.1], ids=["same-packet", "while-idle"])
async def test_an_unasked_for_answer_never_reaches_the_next_request(pause: float) -> None:
    connections = 0
    ended = asyncio.Event()  # the first connection is over (the client closed it)

    async def desync(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(OK)
            await asyncio.sleep(pause)  # the behaviour under test: evil bytes while idle
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nevil!")
            await writer.drain()
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nevil!")
            await writer.drain()
        finally:
            ended.set()

    async with server(desync) as (origin, _):
        client = PooledUpstream()
        assert await read(client, origin) == (200, b"ok")
        await asyncio.wait_for(ended.wait(), 5)  # the client dropped it, having read the rest
        assert await read(client, origin) == (200, b"ok")  # a fresh connection answered
        await client.aclose()
    assert connections == 2


async def test_a_refused_connection_is_connect_failed() -> None:
    client = PooledUpstream()
    with pytest.raises(ConnectFailed) as caught:
        await read(client, Origin("127.0.0.1", free_port()))
    assert caught.value.reached is False


async def test_a_connection_that_is_never_accepted_times_out_as_connect_failed() -> None:
    blackhole = socket.socket()
    blackhole.bind(("127.0.0.1", 0))
    blackhole.listen(0)
    port = blackhole.getsockname()[1]
    fillers = [socket.socket() for _ in range(3)]
    for filler in fillers:  # fill the accept queue: later SYNs are dropped
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect(("127.0.0.1", port))
    client = PooledUpstream()
    try:
        with pytest.raises(ConnectFailed, match="timed out"):
            await read(client, Origin("127.0.0.1", port))
    finally:
        for sock in [*fillers, blackhole]:
            sock.close()


async def test_silence_after_the_request_is_a_read_timeout() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await asyncio.sleep(3)  # the behaviour under test: no answer (FAST reads for 0.5 s)

    async with server(silent) as (origin, _):
        client = PooledUpstream()
        with pytest.raises(UpstreamTimeout):
            await read(client, origin)
        await client.aclose()


def trickling(
    length: int,
) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
    """An upstream answering ``length`` bytes, one every 0.1 s: never silent for 0.5 s."""

    async def trickle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % length)
        for _ in range(100):
            writer.write(b"x")
            await writer.drain()
            await asyncio.sleep(0.1)

    return trickle


async def test_a_trickling_answer_meets_the_total_timeout() -> None:
    async with server(trickling(100_000)) as (origin, _):  # large: relayed as it arrives
        client = PooledUpstream()
        response = await client.request(
            origin, "GET", b"/", [], None, Timeouts(connect=0.5, read=0.5, total=1.0)
        )
        received = b""
        with pytest.raises(UpstreamTimeout):
            async for chunk in response.stream():
                received += chunk
        assert 0 < len(received) < 100
        await client.aclose()


async def test_a_small_trickling_answer_times_out_before_anything_is_relayed() -> None:
    """A small answer is read whole before it is handed on: a total timeout meets it while
    nothing has gone to the client yet (so the client gets a clean 504, not half a body)."""
    async with server(trickling(100)) as (origin, _):
        client = PooledUpstream()
        with pytest.raises(UpstreamTimeout):
            await client.request(
                origin, "GET", b"/", [], None, Timeouts(connect=0.5, read=0.5, total=1.0)
            )
        await client.aclose()


async def test_a_connection_closed_mid_body_is_broken() -> None:
    async def truncated(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
        await writer.drain()

    async with server(truncated) as (origin, _):
        client = PooledUpstream()
        with pytest.raises(UpstreamBroken):
            await read(client, origin)
        await client.aclose()


async def test_a_small_answer_cut_short_fails_before_anything_is_handed_on() -> None:
    """The head arrived, the body never did (the server died between two writes): the
    request itself fails, so the caller can still let someone else answer a GET."""

    async def head_only(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n")
        await writer.drain()
        await asyncio.sleep(0.05)  # the behaviour under test: a close a moment after the head

    async with server(head_only) as (origin, _):
        client = PooledUpstream()
        with pytest.raises(UpstreamBroken):
            await client.request(origin, "GET", b"/", [(b"host", b"x")], None, FAST)
        await client.aclose()


async def test_a_pooled_connection_closed_under_a_request_is_retried_for_get_only() -> None:
    async def one_answer_per_connection(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(OK)  # keep-alive promised...
        await writer.drain()
        await reader.readuntil(b"\r\n\r\n")  # ...but the next request meets a close

    async with server(one_answer_per_connection) as (origin, heads):
        client = PooledUpstream()
        assert await read(client, origin) == (200, b"ok")
        assert await read(client, origin) == (200, b"ok")  # closed under it: tried afresh
        with pytest.raises(UpstreamBroken):  # a POST may have been acted on: never again
            await read(client, origin, "POST")
        await client.aclose()
    assert [head.split(b" ")[0] for head in heads] == [b"GET", b"GET", b"GET", b"POST"]


async def test_streamed_bodies_are_sent_chunked_when_their_length_is_unknown() -> None:
    bodies: list[bytes] = []

    async def echo_length(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        assert b"transfer-encoding: chunked" in head
        body = b""
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                break
            body += chunk[:-2]
        bodies.append(body)
        writer.write(OK)
        await writer.drain()

    async def chunks() -> AsyncIterator[bytes]:
        for part in (b"hello ", b"", b"world"):
            yield part

    async with server(echo_length) as (origin, _):
        client = PooledUpstream()
        body = StreamedBody(chunks(), None)
        response = await client.request(origin, "POST", b"/", [], body, FAST)
        assert response.status == 200
        response.close()
        await client.aclose()
    assert bodies == [b"hello world"]
