"""An upstream's answer relayed to the client as ASGI messages: a small answer that has
fully arrived in one message (the front's ``WHOLE_RESPONSE`` extension when it offers it),
a larger one streamed chunk by chunk. ``capture`` gets a copy of the body for a shadow
comparison, a byte past ``capture_bytes`` at most (enough to know it was over).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from strangler_proxy.engine.exchange import WHOLE_RESPONSE
from strangler_proxy.engine.upstream import UpstreamError, UpstreamResponse
from strangler_proxy.engine.wire import Headers


async def relay(
    response: UpstreamResponse,
    send: Callable[[dict[str, Any]], Awaitable[None]],
    headers: Headers,
    whole_extension: bool,
    capture: bytearray | None,
    capture_bytes: int,
) -> bool:
    """Send ``response`` on with ``headers``; True when it went out whole."""
    status = response.status
    whole = response.body_if_complete()
    if whole is not None:  # the common case: a small answer that has fully arrived
        if capture is not None:
            capture += whole[: capture_bytes + 1]
        if whole_extension:
            await send({"type": WHOLE_RESPONSE, "status": status, "headers": headers,
                        "body": whole})  # fmt: skip
            return True
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": whole, "more_body": False})
        return True
    await send({"type": "http.response.start", "status": status, "headers": headers})
    pending: bytes | None = None
    try:
        async for chunk in response.stream():
            if pending is not None:
                await send({"type": "http.response.body", "body": pending, "more_body": True})
            pending = chunk
            if capture is not None and len(capture) <= capture_bytes:
                capture += chunk
    except UpstreamError:
        return False  # the status is out: leaving the answer unfinished closes the connection
    finally:
        response.close()
    await send({"type": "http.response.body", "body": pending or b"", "more_body": False})
    return True


__all__ = ["relay"]
