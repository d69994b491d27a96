"""The proxy's own answers: short JSON bodies, one shape for every status.

>>> error_body(502, "upstream refused")
b'{"error":"upstream refused","status":502}'
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from strangler_proxy.engine.wire import Headers


def error_body(status: int, message: str, request_id: bytes | None = None) -> bytes:
    doc: dict[str, Any] = {"error": message, "status": status}
    if request_id:
        doc["request_id"] = request_id.decode("ascii", "replace")
    return json.dumps(doc, separators=(",", ":")).encode()


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


def error_bytes(status: int, message: str) -> bytes:
    """A whole HTTP/1.1 response, for answers written straight to the socket."""
    body = error_body(status, message)
    head = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}".encode("ascii")]
    head += [name + b": " + value for name, value in error_headers(body, close=True)]
    return b"\r\n".join(head) + b"\r\n\r\n" + body
