"""The phantom-token exchange, the async half: ask the monolith for a service's JWT in place
of the client's credential, cache it, and say what went wrong in the policy's terms.

``PhantomTokens.headers_for(headers, audience)`` is all an engine calls, for a request a
service answers (or a shadow copy to one): the headers to send it. One exchange per
(credential, audience) while its token is fresh (``answer.MARGIN``); requests arriving while
one is under way wait for it (single flight: a task of its own, so a client that goes away
does not cancel it for the others). Failures are translated here, at the edge:

- the monolith refuses an ``Authorization`` header (401): ``Refused``, whose answer (the
  monolith's envelope) goes to the client; a session cookie it refuses is forwarded
  anonymous instead, as Django itself treats a session it does not know;
- the exchange cannot be reached, times out or answers something else: ``ExchangeFailed``,
  whose ``verdict`` is the policy's 502/504 naming the monolith and the exchange's URL.

The HTTP call itself is a ``Post``: ``engine.identity_post.UpstreamPost`` (the production
engine's own pooled client) or ``h11_post.H11Post`` (the mitmproxy engine's).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Protocol

from strangler_proxy.identity.answer import MARGIN, BadAnswer, Grant, Refusal, read_answer
from strangler_proxy.identity.credential import CacheKey, Credential, Headers, credential_of
from strangler_proxy.identity.credential import rewrite as _rewrite
from strangler_proxy.policy import Attempt, Failure, Tried, Verdict, judge
from strangler_proxy.routing import MONOLITH

Answer = tuple[int, list[tuple[bytes, bytes]], bytes]  # status, headers, body


class PostFailed(Exception):
    """No answer from the exchange: how it failed (the policy's word) and the detail."""

    def __init__(self, failure: Failure, detail: str) -> None:
        super().__init__(detail)
        self.failure = failure


class Post(Protocol):
    """One POST to the exchange (raises ``PostFailed`` when there is no answer)."""

    async def __call__(self, url: str, headers: Headers, body: bytes) -> Answer: ...
    async def aclose(self) -> None: ...


class IdentityError(Exception):
    """The request cannot go to the service: the engine answers instead."""


class Refused(IdentityError):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__("the monolith refused the credential")
        self.refusal = refusal


class ExchangeFailed(IdentityError):
    def __init__(self, verdict: Verdict) -> None:
        super().__init__(verdict.message)
        self.verdict = verdict


class PhantomTokens:
    def __init__(
        self,
        url: str,
        post: Post,
        *,
        clock: Callable[[], float] = time.monotonic,
        margin: float = MARGIN,
        max_entries: int = 10_000,
    ) -> None:
        self.url = url
        self._post = post
        self._clock = clock
        self._margin = margin
        self._max = max_entries
        self._cache: dict[CacheKey, Grant] = {}
        self._flights: dict[CacheKey, asyncio.Task[str]] = {}
        self.exchanges = 0  # calls made to the exchange
        self.hits = 0  # tokens served from the cache

    def ready(
        self, headers: list[tuple[bytes, bytes]], audience: str
    ) -> list[tuple[bytes, bytes]] | None:
        """``headers_for`` without waiting: the headers when no exchange is needed (no
        credential, or its token cached and fresh), else None. The engines' hot path calls
        it first: a cached request creates no coroutine."""
        credential = credential_of(headers)
        if credential is None:
            return headers
        grant = self._cache.get(credential.key(audience))
        if grant is not None and self._clock() < grant.fresh_until:
            self.hits += 1
            return _rewrite(headers, grant.token)
        return None

    async def headers_for(
        self, headers: list[tuple[bytes, bytes]], audience: str, request_id: bytes | None = None
    ) -> list[tuple[bytes, bytes]]:
        """The headers a service gets: the client's credential exchanged for a JWT whose
        audience is the service (``headers`` themselves when there is no credential)."""
        credential = credential_of(headers)
        if credential is None:
            return headers
        try:
            token = await self.token(credential, audience, request_id)
        except Refused:
            if not credential.is_session:
                raise
            return _rewrite(headers, None)
        return _rewrite(headers, token)

    async def token(
        self, credential: Credential, audience: str, request_id: bytes | None = None
    ) -> str:
        key = credential.key(audience)
        grant = self._cache.get(key)
        if grant is not None and self._clock() < grant.fresh_until:
            self.hits += 1
            return grant.token
        flight = self._flights.get(key)
        if flight is None:
            flight = asyncio.get_running_loop().create_task(
                self._exchange(key, credential, audience, request_id)
            )
            flight.add_done_callback(_retrieved)
            self._flights[key] = flight
        return await asyncio.shield(flight)

    async def _exchange(
        self, key: CacheKey, credential: Credential, audience: str, request_id: bytes | None
    ) -> str:
        try:
            self.exchanges += 1
            headers = [(b"content-type", b"application/json"), credential.header]
            if request_id:
                headers.append((b"x-request-id", request_id))
            body = json.dumps({"audience": audience}).encode()
            try:
                status, answer_headers, answer = await self._post(self.url, headers, body)
                read = read_answer(
                    status, answer_headers, answer, now=self._clock(), margin=self._margin
                )
            except PostFailed as exc:
                raise ExchangeFailed(self._verdict(exc.failure, str(exc))) from exc
            except BadAnswer as exc:
                raise ExchangeFailed(self._verdict(Failure.BROKEN, str(exc))) from exc
            if isinstance(read, Refusal):
                raise Refused(read)
            self._keep(key, read)
            return read.token
        finally:
            self._flights.pop(key, None)

    def _verdict(self, failure: Failure, detail: str) -> Verdict:
        """The policy's error naming the exchange (a POST: never repeated, never a fallback)."""
        attempt = Attempt(failure=failure, detail=detail, tried=Tried(MONOLITH, self.url))
        return judge("POST", attempt, fallback=False)

    def _keep(self, key: CacheKey, grant: Grant) -> None:
        """Cache ``grant``; when full, the oldest entry goes (O(1): a dict keeps insertion
        order, and as every token lives as long, the oldest is the first to go stale)."""
        cache = self._cache
        cache.pop(key, None)
        if len(cache) >= self._max:
            del cache[next(iter(cache))]
        cache[key] = grant

    async def aclose(self) -> None:
        await self._post.aclose()


def _retrieved(task: asyncio.Task[str]) -> None:
    """A flight whose waiters all went away still has its failure read (no asyncio warning)."""
    if not task.cancelled():
        task.exception()


__all__ = ["Answer", "ExchangeFailed", "IdentityError", "PhantomTokens", "Post", "PostFailed",
           "Refused"]  # fmt: skip
