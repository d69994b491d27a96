"""The admin app's plain-ASGI plumbing: requests and responses, the error envelope, bodies.

Kept apart from the endpoints (``admin.app``) and the dashboard (``admin.dashboard``), which
both answer with these.

>>> error(404, "no such route x", "route").body[:41]
b'{"error":{"status":404,"code":"not_found"'
>>> split_path(b"/routes/GET%20%2Fapi%2F/history")
('routes', 'GET /api/', 'history')
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from strangler_proxy import envelope

MAX_BODY = 64 * 1024
Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
Header = tuple[bytes, bytes]


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: tuple[Header, ...] = field(default=())


def json_response(status: int, data: object, *headers: Header) -> Response:
    return Response(status, json.dumps(data).encode(), "application/json", headers)


def error(
    status: int,
    message: str,
    field_name: str | None = None,
    *headers: Header,
    code: str | None = None,
) -> Response:
    """The toolkit's one error envelope; ``field_name``: the input at fault (``fields``)."""
    fields = {field_name: [message]} if field_name is not None else None
    if code is None:
        code = "validation_error" if status == 400 and fields else envelope.default_code(status)
    return Response(status, envelope.error_body(status, message, code=code, fields=fields),
                    headers=headers)  # fmt: skip


@dataclass(frozen=True)
class Request:
    method: str
    segments: tuple[str, ...]  # percent-decoded path segments
    query: dict[str, list[str]]
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    actor: str = ""


def split_path(raw_path: bytes) -> tuple[str, ...]:
    """Route ids may hold ``/``: split the raw (still percent-encoded) path, then decode."""
    return tuple(unquote(s) for s in raw_path.decode("latin-1").split("?")[0].strip("/").split("/"))


def header_map(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


async def send_response(send: Send, response: Response) -> None:
    headers = [
        (b"content-type", response.content_type.encode()),
        (b"content-length", str(len(response.body)).encode()),
        (b"cache-control", b"no-store"),
        *response.headers,
    ]
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})


class TooLarge(Exception):
    pass


async def read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
