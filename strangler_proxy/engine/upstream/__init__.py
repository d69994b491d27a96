"""The hot-path HTTP/1.1 client: pooled keep-alive connections, httptools' response parser.

Measured on this machine (see the README of the engine), httpx's pool costs ~50x the
proxy's throughput and aiohttp's client ~4x, while a bare asyncio protocol with httptools
keeps most of it. This module is that protocol, with the parts correctness needs: timeouts
(connect, read, total), flow control both ways, streamed bodies, no cookies, no proxy
variables, and errors that tell the caller whether the request can have reached upstream.

>>> client = PooledUpstream()
>>> response = await client.request(Origin.parse("http://127.0.0.1:8000"), "GET", b"/health/",
...                                 [(b"host", b"shop")], None, Timeouts())
>>> async for chunk in response.stream(): ...
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
]
