"""The engine's own answers, in the one envelope every part of the toolkit sends
(``strangler_proxy.envelope``), with the request id the proxy sent upstream and logged.

>>> error_body(502, "upstream refused", b"ab-1")
b'{"error":{"status":502,"code":"bad_gateway","message":"upstream refused","request_id":"ab-1"}}'
>>> error_bytes(400, "bad request").split(b"\\r\\n")[0]
b'HTTP/1.1 400 Bad Request'
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from http import HTTPStatus
from typing import Any

from strangler_proxy import envelope
from strangler_proxy.engine.wire import Headers


def error_body(
    status: int, message: str, request_id: bytes | None = None, code: str | None = None
) -> bytes:
    return envelope.error_body(status, message, code=code, request_id=request_id)


def error_headers(body: bytes, request_id: bytes | None = None, close: bool = False) -> Headers:
    headers: Headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode("ascii")),
    ]
    if request_id:
        headers.append((b"x-request-id", request_id))
    if close:
        headers.append((b"connection", b"close"))
    return headers


def error_bytes(status: int, message: str, code: str | None = None) -> bytes:
    """A whole HTTP/1.1 response, for answers written straight to the socket."""
    body = error_body(status, message, code=code)
    head = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}".encode("ascii")]
    head += [name + b": " + value for name, value in error_headers(body, close=True)]
    return b"\r\n".join(head) + b"\r\n\r\n" + body


async def send_error(
    send: Callable[[dict[str, Any]], Awaitable[None]],
    status: int,
    message: str,
    rid: bytes | None,
    close: bool = False,
    code: str | None = None,
    extra: Sequence[tuple[bytes, bytes]] = (),
) -> None:
    """Answer with the proxy's own error, as ASGI messages (``extra``: more headers)."""
    await send_envelope(send, status, error_body(status, message, rid, code), rid, close, extra)


async def send_envelope(
    send: Callable[[dict[str, Any]], Awaitable[None]],
    status: int,
    body: bytes,
    rid: bytes | None,
    close: bool = False,
    extra: Sequence[tuple[bytes, bytes]] = (),
) -> None:
    """An envelope made elsewhere (the monolith's, refusing a credential), as ASGI messages."""
    headers = [*error_headers(body, rid, close), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})
