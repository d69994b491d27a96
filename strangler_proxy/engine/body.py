"""The request's framing and body, as the app reads them before it forwards anything.

The front's parser (llhttp, strict) refuses most ambiguous framing already; ``framing``
refuses the rest a proxy must not pass on, ``receive_body`` reads the ASGI body messages
within the size limit. Both raise ``ClientError``: the app answers it and closes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from strangler_proxy.engine.http11 import valid_host
from strangler_proxy.engine.wire import Headers

Receive = Callable[[], Awaitable[dict[str, Any]]]


class ClientError(Exception):
    """The request itself is refused (status + message for the JSON body)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def framing(headers: Headers, http_version: str) -> tuple[int | None, bool]:
    """(Content-Length, chunked). The server's parser already refused most ambiguous framing
    (CL+TE, differing or empty Content-Length, a last coding other than chunked); these are
    the cases it lets through and a proxy must not (RFC 9112 3.2 and 6.1)."""
    length: int | None = None
    chunked = False
    hosts = 0
    for name, value in headers:
        if name == b"host":
            hosts += 1
            if hosts > 1:  # RFC 9112 3.2: which one would the upstream believe?
                raise ClientError(400, "more than one Host header")
            if not valid_host(value):
                raise ClientError(400, "invalid Host header")
        elif name == b"content-length":
            if not value.strip().isdigit():
                raise ClientError(400, "invalid Content-Length")
            length = int(value)
        elif name == b"transfer-encoding":
            if http_version == "1.0":  # RFC 9112 6.1: faulty framing in HTTP/1.0
                raise ClientError(400, "Transfer-Encoding in an HTTP/1.0 request")
            if value.strip().lower() != b"chunked":  # e.g. "gzip, chunked": can't re-frame
                raise ClientError(501, "only Transfer-Encoding: chunked is supported")
            chunked = True
    if hosts == 0 and http_version == "1.1":  # RFC 9112 3.2
        raise ClientError(400, "an HTTP/1.1 request needs a Host header")
    if chunked and length is not None:
        raise ClientError(400, "both Content-Length and Transfer-Encoding")
    return length, chunked


async def receive_body(receive: Receive, limit: int) -> AsyncIterator[bytes]:
    seen = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientError(499, "client went away")
        chunk = message.get("body", b"")
        seen += len(chunk)
        if seen > limit:
            raise ClientError(413, f"request body larger than {limit} bytes")
        if chunk:
            yield chunk
        if not message.get("more_body", False):
            return


__all__ = ["ClientError", "framing", "receive_body"]
