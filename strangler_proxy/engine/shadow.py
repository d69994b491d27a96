"""Shadow copies: the monolith answers, the service gets the same request off the request
path. A bounded queue and a few workers; when the queue is full the copy is dropped (and
counted), so shadowing never slows or fails a client.

Each finished copy becomes a ``ShadowResult`` with both statuses; the last ones are kept in
memory and handed to ``sink`` (the comparison engine's entry point, later).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from strangler_proxy.balancing import ServicePools
from strangler_proxy.engine.upstream import Timeouts, Upstream, UpstreamError
from strangler_proxy.engine.wire import Headers
from strangler_proxy.metrics import Metrics


@dataclass(frozen=True)
class ShadowJob:
    route_id: str
    service: str
    method: str
    target: bytes
    headers: Headers
    body: bytes | None
    monolith_status: int
    request_id: bytes


@dataclass(frozen=True)
class ShadowResult:
    route_id: str
    request_id: str
    monolith_status: int
    service_status: int | None  # None: the service could not be reached or timed out
    service_body_sha256: str | None
    service_seconds: float
    error: str | None = None


class ShadowDispatcher:
    def __init__(
        self,
        upstream: Upstream,
        pools: ServicePools,
        metrics: Metrics,
        timeouts: Timeouts,
        *,
        queue_size: int = 1000,
        workers: int = 8,
        keep: int = 1000,
        sink: Callable[[ShadowResult], None] | None = None,
    ) -> None:
        self.upstream = upstream
        self.pools = pools
        self.metrics = metrics
        self.timeouts = timeouts
        self.queue: asyncio.Queue[ShadowJob] = asyncio.Queue(queue_size)
        self.recent: collections.deque[ShadowResult] = collections.deque(maxlen=keep)
        self.sink = sink
        self._workers = workers
        self._tasks: list[asyncio.Task[None]] = []

    def submit(self, job: ShadowJob) -> None:
        try:
            self.queue.put_nowait(job)
        except asyncio.QueueFull:
            self.metrics.shadow(job.route_id, "dropped")

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._work()) for _ in range(self._workers)]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _work(self) -> None:
        while True:
            job = await self.queue.get()
            try:
                result = await self.send(job)
            except Exception as exc:  # a shadow copy must never take the worker down
                result = ShadowResult(
                    job.route_id,
                    job.request_id.decode(),
                    job.monolith_status,
                    None,
                    None,
                    0.0,
                    f"{type(exc).__name__}: {exc}",
                )
            self._record(result)

    async def send(self, job: ShadowJob) -> ShadowResult:
        rid = job.request_id.decode("ascii", "replace")
        instance = self.pools.pick(job.service)
        if instance is None or instance.origin is None:
            return ShadowResult(
                job.route_id,
                rid,
                job.monolith_status,
                None,
                None,
                0.0,
                f"no available instance of {job.service}",
            )
        start = time.perf_counter()
        instance.inflight += 1
        try:
            response = await self.upstream.request(
                instance.origin,
                job.method,
                job.target,
                job.headers,
                job.body,
                self.timeouts,
            )
            digest = hashlib.sha256()
            async for chunk in response.stream():
                digest.update(chunk)
        except UpstreamError as exc:
            self.pools.report(instance, ok=False)
            return ShadowResult(
                job.route_id,
                rid,
                job.monolith_status,
                None,
                None,
                time.perf_counter() - start,
                str(exc),
            )
        finally:
            instance.inflight -= 1
        self.pools.report(instance, ok=response.status < 500)
        return ShadowResult(
            job.route_id,
            rid,
            job.monolith_status,
            response.status,
            digest.hexdigest(),
            time.perf_counter() - start,
        )

    def _record(self, result: ShadowResult) -> None:
        if result.service_status is None:
            outcome = "error"
        elif result.service_status == result.monolith_status:
            outcome = "same-status"
        else:
            outcome = "different-status"
        self.metrics.shadow(result.route_id, outcome)
        self.recent.append(result)
        if self.sink is not None:
            self.sink(result)
