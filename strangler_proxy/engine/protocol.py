"""uvicorn's httptools protocol with the two things the proxy adds on the server side.

- a cap on the request line plus headers: past it the client gets 431 and the connection
  closes (httptools itself has no limit, so a client could grow a request head forever);
- JSON bodies for the errors answered before the app runs (400 for malformed or ambiguous
  framing, which llhttp refuses in strict mode: CL+TE, differing or empty Content-Length,
  a Transfer-Encoding whose last coding is not chunked).

The limit comes from the environment variable ``STRANGLER_MAX_HEADER_BYTES`` because uvicorn
builds this class itself (possibly in a worker process).
"""

from __future__ import annotations

import os
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from strangler_proxy.engine.errors import error_bytes

MAX_HEADER_BYTES_ENV = "STRANGLER_MAX_HEADER_BYTES"
DEFAULT_MAX_HEADER_BYTES = 32 * 1024


class _HeadTooLarge(Exception):
    pass


class ProxyHttpProtocol(HttpToolsProtocol):
    """HttpToolsProtocol + a request-head size limit (431) + JSON error bodies."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_head_bytes = int(os.environ.get(MAX_HEADER_BYTES_ENV, DEFAULT_MAX_HEADER_BYTES))
        self._head_bytes = 0
        self._head_too_large = False

    def on_message_begin(self) -> None:
        self._head_bytes = 0
        super().on_message_begin()

    def _count(self, size: int) -> None:
        self._head_bytes += size
        if self._head_bytes > self.max_head_bytes:
            self._head_too_large = True
            raise _HeadTooLarge

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)
        super().on_header(name, value)

    def data_received(self, data: bytes) -> None:
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            pass  # no upgrades through the proxy: Upgrade is hop-by-hop and is stripped
        except httptools.HttpParserError:
            if self._head_too_large:
                self._reply_and_close(431, "request headers too large")
            else:
                self._reply_and_close(400, "malformed or ambiguous HTTP request")

    def send_400_response(self, msg: str) -> None:
        self._reply_and_close(400, msg)

    def _reply_and_close(self, status: int, message: str) -> None:
        if self.transport.is_closing():
            return
        self.transport.write(error_bytes(status, message))
        self.transport.close()
