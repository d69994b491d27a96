"""The exchange's POST for the mitmproxy engine: asyncio streams and h11, one connection per
exchange (cached tokens make them rare). Its environment (``.venv-mitm``) cannot have httpx
(mitmproxy 11.0 pins h11 <= 0.14, httpx's httpcore needs >= 0.16) nor the production
engine's client (httptools, and the engine is another layer); h11, the sans-io HTTP/1.1
parser mitmproxy itself brings, is in both environments. With tracing on, the POST names the
request's span as its parent (``traced``), as the production engine's does.

>>> import asyncio
>>> async def dead() -> str:
...     try:
...         await H11Post(connect=0.5, read=0.5)("http://127.0.0.1:1/exchange/", [], b"{}")
...     except PostFailed as exc:
...         return f"{exc.failure}: {exc}"
...     return "answered"
>>> asyncio.run(dead())
'refused: connection refused'
"""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit

import h11

from strangler_proxy.identity.credential import Headers
from strangler_proxy.identity.tokens import Answer, PostFailed
from strangler_proxy.identity.traced import traceparent_header
from strangler_proxy.policy import Failure

_MAX_ANSWER = 1 << 20  # an exchange's answer is a few hundred bytes


class H11Post:
    def __init__(self, *, connect: float, read: float) -> None:
        self._connect = connect
        self._read = read

    async def aclose(self) -> None:
        """Nothing to close: each exchange has its own connection."""

    async def __call__(self, url: str, headers: Headers, body: bytes) -> Answer:
        parts = urlsplit(url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(host, port), self._connect
            )
        except TimeoutError as exc:
            raise PostFailed(Failure.CONNECT_TIMEOUT, "not connected in time") from exc
        except OSError as exc:
            raise PostFailed(Failure.REFUSED, "connection refused") from exc
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        head = [(b"host", parts.netloc.encode("ascii")), (b"content-length", b"%d" % len(body)),
                (b"connection", b"close"), *headers]  # fmt: skip
        if (parent := traceparent_header()) is not None:  # the request's span (tracing on)
            head.append(parent)
        try:
            return await asyncio.wait_for(self._exchange(reader, writer, target, head, body),
                                          self._read)  # fmt: skip
        except TimeoutError as exc:
            raise PostFailed(Failure.TIMEOUT, "no answer in time") from exc
        except (OSError, h11.ProtocolError) as exc:
            raise PostFailed(Failure.BROKEN, f"{type(exc).__name__}: {exc}") from exc
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def _exchange(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        target: str,
        head: list[tuple[bytes, bytes]],
        body: bytes,
    ) -> Answer:
        conn = h11.Connection(h11.CLIENT)
        request = h11.Request(method="POST", target=target, headers=head)
        writer.write(conn.send(request) + conn.send(h11.Data(data=body)) +
                     conn.send(h11.EndOfMessage()))  # fmt: skip
        await writer.drain()
        status, answer_headers, answer = 0, [], bytearray()
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(await reader.read(65536))
            elif isinstance(event, h11.Response):
                status, answer_headers = event.status_code, list(event.headers)
            elif isinstance(event, h11.Data):
                answer += event.data
                if len(answer) > _MAX_ANSWER:
                    raise h11.RemoteProtocolError("answer too large for a token")
            elif isinstance(event, h11.EndOfMessage):
                return status, answer_headers, bytes(answer)
            elif isinstance(event, h11.ConnectionClosed):
                raise ConnectionResetError("closed before the answer ended")


__all__ = ["H11Post"]
