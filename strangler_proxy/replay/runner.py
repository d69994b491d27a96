"""Replay requests against the monolith and the service at once (httpx), and judge each pair.

The transports are a seam: tests and callers may hand in ``httpx`` transports (an ASGI app,
a mock) instead of real sockets. Requests that write (POST, PUT, PATCH, DELETE) are sent
only with ``allow_writes`` (both targets disposable); otherwise they are skipped and listed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import httpx

from strangler_proxy.compare.answers import Answer
from strangler_proxy.compare.outcome import Outcome, judge
from strangler_proxy.compare.rules import CompiledRules
from strangler_proxy.policy import SAFE_METHODS
from strangler_proxy.replay.sources import Request

#: an answer larger than this is an error, not a comparison
MAX_BODY = 16 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Targets:
    monolith: str
    service: str
    timeout: float = 10.0
    concurrency: int = 8
    noise: bool = False  # ask the monolith twice
    allow_writes: bool = False
    transports: dict[str, httpx.AsyncBaseTransport] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Replayed:
    request: Request
    outcome: Outcome


@dataclass
class Run:
    replayed: list[Replayed] = field(default_factory=list)
    skipped: list[Request] = field(default_factory=list)


Progress = Callable[[int], None]


async def replay(
    requests: Sequence[Request],
    targets: Targets,
    rules: Callable[[Request], CompiledRules],
    progress: Progress = lambda done: None,
) -> Run:
    run = Run()
    todo, run.skipped = replayable(requests, allow_writes=targets.allow_writes)
    gate = asyncio.Semaphore(targets.concurrency)
    results: list[Replayed | None] = [None] * len(todo)
    done = 0
    async with _client(targets, "monolith") as monolith, _client(targets, "service") as service:

        async def one(n: int, request: Request) -> None:
            nonlocal done
            async with gate:
                sides = [_fetch(monolith, request), _fetch(service, request)]
                if targets.noise:
                    sides.append(_fetch(monolith, request))
                answers = await asyncio.gather(*sides)
                again = answers[2] if targets.noise else None
                outcome = judge(answers[0], answers[1], again, rules(request))
                results[n] = Replayed(request, outcome)
            done += 1
            progress(done)

        await asyncio.gather(*(one(n, r) for n, r in enumerate(todo)))
    run.replayed = [r for r in results if r is not None]
    return run


def replayable(
    requests: Sequence[Request], *, allow_writes: bool
) -> tuple[list[Request], list[Request]]:
    """(sent, skipped): a request that writes is sent only to disposable targets."""
    sent = [r for r in requests if allow_writes or r.method in SAFE_METHODS]
    return sent, [r for r in requests if not (allow_writes or r.method in SAFE_METHODS)]


def _client(targets: Targets, side: str) -> httpx.AsyncClient:
    base = targets.monolith if side == "monolith" else targets.service
    return httpx.AsyncClient(
        base_url=base,
        timeout=targets.timeout,
        transport=targets.transports.get(side),
        limits=httpx.Limits(max_connections=targets.concurrency),
        follow_redirects=False,
    )


async def _fetch(client: httpx.AsyncClient, request: Request) -> Answer | str:
    """The answer, or why there is none."""
    try:
        async with client.stream(
            request.method,
            request.path,
            headers=list(request.headers),
            content=request.body or None,
        ) as response:
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_BODY:
                    return f"answer larger than {MAX_BODY // (1024 * 1024)} MB"
            headers = tuple(
                (k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers.raw
            )
            return Answer(response.status_code, headers, bytes(body))
    except httpx.TimeoutException:
        return f"no answer within {client.timeout.read}s"
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc or 'no detail'} ({client.base_url})"
