"""The engine's server offers one ASGI extension, ``strangler.response.whole``: a whole answer
in one message. Over a real socket it must put exactly the bytes on the wire that
``http.response.start`` followed by one last ``http.response.body`` put there, whatever the
method, version or framing, and an app that does not use it is served as before."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import uvloop

from strangler_proxy.engine.exchange import WHOLE_RESPONSE
from strangler_proxy.engine.front import Front

Headers = list[tuple[bytes, bytes]]


def make_app(whole: bool, headers: Headers, seen: list[dict[str, Any]]) -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(scope.get("extensions", {}))
        body = b'{"ok": true}'
        if whole:
            await send({"type": WHOLE_RESPONSE, "status": 200, "headers": headers, "body": body})
            return
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})

    return app


async def exchange(app: Any, request: bytes) -> bytes:
    """``request`` sent to a front serving ``app`` on a port the kernel picked; every byte
    of the answer until the server closes (each request here ends with Connection: close)."""
    front = Front(app, max_head_bytes=8192)
    server = await asyncio.get_running_loop().create_server(front.protocol, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(request)
        answer = await asyncio.wait_for(reader.read(-1), timeout=5)
        writer.close()
        return answer
    finally:
        server.close()
        await front.drain(0)


LENGTH: Headers = [(b"content-type", b"application/json"), (b"content-length", b"12")]


@pytest.mark.parametrize(
    ("request_bytes", "headers"),
    [
        (b"GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", LENGTH),
        (b"HEAD /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", LENGTH),
        (b"GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", []),  # chunked
        (b"GET /a HTTP/1.0\r\n\r\n", []),  # close-delimited
    ],
    ids=["content-length", "head", "chunked", "http1.0"],
)
def test_a_whole_answer_is_the_same_bytes_as_start_and_body(
    request_bytes: bytes, headers: Headers
) -> None:
    seen: list[dict[str, Any]] = []
    one = uvloop.run(exchange(make_app(True, headers, seen), request_bytes))
    two = uvloop.run(exchange(make_app(False, headers, seen), request_bytes))
    assert one == two
    assert one.startswith(b"HTTP/1.1 200 OK\r\n")
    assert all(WHOLE_RESPONSE in extensions for extensions in seen)


def test_a_whole_answer_after_the_start_is_refused_and_the_connection_ends() -> None:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": LENGTH})
        await send({"type": WHOLE_RESPONSE, "status": 200, "headers": LENGTH, "body": b"x"})

    answer = uvloop.run(exchange(app, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
    assert answer == b""  # the head was held back and the broken answer aborted


@pytest.mark.parametrize("whole", [True, False], ids=["whole", "start-and-body"])
def test_a_204_goes_out_without_framing_headers_whatever_upstream_said(whole: bool) -> None:
    """RFC 9110 8.6 / RFC 9112 6.1: no Content-Length or Transfer-Encoding on a 204 (nginx
    relays an upstream's Content-Length: 0 there)."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        headers = [(b"content-length", b"0"), (b"transfer-encoding", b"chunked")]
        if whole:
            await send({"type": WHOLE_RESPONSE, "status": 204, "headers": headers, "body": b""})
            return
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    answer = uvloop.run(
        exchange(app, b"DELETE /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    )
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 204 ")
    assert b"content-length" not in head.lower() and b"transfer-encoding" not in head.lower()
    assert body == b""
