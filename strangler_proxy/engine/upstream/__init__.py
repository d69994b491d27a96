r"""The hot-path HTTP/1.1 client: pooled keep-alive connections, httptools' response parser.

Measured on this machine (see the README of the engine), httpx's pool costs ~50x the
proxy's throughput and aiohttp's client ~4x, while a bare asyncio protocol with httptools
keeps most of it. This module is that protocol, with the parts correctness needs: timeouts
(connect, read, total), flow control both ways, streamed bodies, no cookies, no proxy
variables, and errors that tell the caller whether the request can have reached upstream.

One exchange with a server on loopback (any HTTP/1.1 server; here a few lines of asyncio):

>>> import asyncio
>>> async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
...     await reader.readuntil(b"\r\n\r\n")
...     writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
>>> async def fetch_health() -> tuple[int, bytes]:
...     server = await asyncio.start_server(answer, "127.0.0.1", 0)
...     origin = Origin.parse(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}")
...     client = PooledUpstream()
...     response = await client.request(
...         origin, "GET", b"/health/", [(b"host", b"shop")], None, Timeouts()
...     )
...     body = b"".join([chunk async for chunk in response.stream()])
...     await client.aclose()
...     server.close()
...     return response.status, body
>>> asyncio.run(fetch_health())
(200, b'ok')
"""

from strangler_proxy.engine.upstream.pool import PooledUpstream
from strangler_proxy.engine.upstream.types import (
    ConnectFailed,
    ConnectTimeout,
    Origin,
    RequestBody,
    StreamedBody,
    Timeouts,
    Upstream,
    UpstreamBroken,
    UpstreamError,
    UpstreamResponse,
    UpstreamTimeout,
    failure_of,
)

__all__ = [
    "ConnectFailed",
    "ConnectTimeout",
    "Origin",
    "PooledUpstream",
    "RequestBody",
    "StreamedBody",
    "Timeouts",
    "Upstream",
    "UpstreamBroken",
    "UpstreamError",
    "UpstreamResponse",
    "UpstreamTimeout",
    "failure_of",
]
