"""What the engine and an upstream client agree on: where, how long, what body, what failed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from strangler_proxy.engine.wire import Headers
from strangler_proxy.policy import Failure
from strangler_proxy.registry import Origin as Origin  # the one parser of upstream URLs


@dataclass(frozen=True)
class Timeouts:
    connect: float = 2.0
    read: float = 30.0  # longest silence while waiting for upstream bytes
    total: float = 300.0  # whole exchange, from connect to the last body byte


@dataclass(frozen=True)
class StreamedBody:
    """A request body read while it is sent; ``length`` None means chunked."""

    chunks: AsyncIterator[bytes]
    length: int | None


RequestBody = bytes | StreamedBody | None


class UpstreamError(Exception):
    """The exchange with upstream failed."""

    reached = True  # the request may have reached upstream (never repeat it blindly)


class ConnectFailed(UpstreamError):
    """No connection: nothing was sent, so any request is safe to send elsewhere."""

    reached = False


class ConnectTimeout(ConnectFailed):
    """The connection was not accepted in time (nothing was sent either)."""


class UpstreamTimeout(UpstreamError):
    """Upstream did not answer in time."""


class UpstreamBroken(UpstreamError):
    """The connection closed or upstream spoke malformed HTTP."""


class UpstreamResponse(Protocol):
    status: int
    headers: Headers

    def body_if_complete(self) -> bytes | None: ...

    def stream(self) -> AsyncIterator[bytes]: ...

    def close(self) -> None: ...


class Upstream(Protocol):
    """What the engine needs from an HTTP client (tests may plug in a fake)."""

    async def request(
        self,
        origin: Origin,
        method: str,
        target: bytes,
        headers: Headers,
        body: RequestBody,
        timeouts: Timeouts,
    ) -> UpstreamResponse: ...

    async def aclose(self) -> None: ...


def failure_of(exc: UpstreamError) -> Failure:
    """An upstream error in the policy's terms (did the request reach the upstream?)."""
    if isinstance(exc, ConnectTimeout):
        return Failure.CONNECT_TIMEOUT
    if isinstance(exc, ConnectFailed):
        return Failure.REFUSED
    return Failure.TIMEOUT if isinstance(exc, UpstreamTimeout) else Failure.BROKEN
