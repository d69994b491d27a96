"""Shadow copies: the monolith answers, the service gets the same request off the request
path. A bounded queue and a few workers; when the queue is full the copy is dropped (and
counted), so shadowing never slows or fails a client.

A copy whose job carries the monolith's answer (``ShadowJob.monolith``: the route is
sampled and the answer fitted the capture cap) is compared: the service's answer is read up
to the same cap and both go to ``compare`` (the evidence, ``engine.evidence``). With
``noise`` the monolith is asked a second time (safe methods only) for Diffy's A/A check.
A copy to a service carries the service's JWT in place of the client's credential
(``identity``), exchanged here in the worker, off the request path; a credential the
monolith refuses is not sent on: the copy's answer is that refusal, as the service's route
would answer it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from strangler_proxy.balancing import ServicePools
from strangler_proxy.compare.answers import Answer
from strangler_proxy.engine.tracing import RequestTracer, Span
from strangler_proxy.engine.upstream import Origin, Timeouts, Upstream, UpstreamError
from strangler_proxy.engine.wire import Headers
from strangler_proxy.identity import ExchangeFailed, PhantomTokens, Refused
from strangler_proxy.metrics import Metrics
from strangler_proxy.policy import SAFE_METHODS

#: an answer as compared: the answer, or why there is none
Side = Answer | str


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
    monolith: Answer | None = None  # the monolith's answer, when this copy is compared
    noise: bool = False  # ask the monolith again too (Diffy's A/A)
    span: Span | None = None  # the copy's span (tracing on): ended with its outcome


#: compares a copy's answers; returns the verdict (``strangler.shadow.outcome``)
Compare = Callable[[ShadowJob, Side, Side | None], Awaitable[str | None]]


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
        capture_bytes: int = 1 << 20,
        monolith: Origin | None = None,
        compare: Compare | None = None,
        identity: PhantomTokens | None = None,
    ) -> None:
        self.upstream = upstream
        self.pools = pools
        self.metrics = metrics
        self.timeouts = timeouts
        self.capture_bytes = capture_bytes
        self.monolith = monolith
        self.compare = compare
        self.identity = identity
        self.queue: asyncio.Queue[ShadowJob] = asyncio.Queue(queue_size)
        self._workers = workers
        self._tasks: list[asyncio.Task[None]] = []

    def submit(self, job: ShadowJob) -> bool:
        """Queue the copy; False when the queue is full (the copy is dropped, counted)."""
        try:
            self.queue.put_nowait(job)
        except asyncio.QueueFull:
            self.metrics.shadow(job.route_id, "dropped")
            if job.span is not None:
                RequestTracer.shadow_done(job.span, "dropped")
            return False
        return True

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
            outcome: str | None = "error"
            try:
                outcome = await self.run(job)
            except Exception as exc:  # a shadow copy must never take the worker down
                self.metrics.shadow(job.route_id, "error")
                if self.compare is not None and job.monolith is not None:
                    await self.compare(job, f"{type(exc).__name__}: {exc}", None)
            finally:
                if job.span is not None:
                    RequestTracer.shadow_done(job.span, outcome or "error")

    async def run(self, job: ShadowJob) -> str | None:
        """Send the copy (and the monolith's second answer, for noise); compare if asked.
        The outcome counted: error, same-status, different-status or the verdict."""
        compared = self.compare is not None and job.monolith is not None
        again: Side | None = None
        if compared and job.noise and job.method in SAFE_METHODS and self.monolith is not None:
            service, again = await asyncio.gather(self.send(job), self._ask_monolith(job))
        else:
            service = await self.send(job)
        outcome = None
        if isinstance(service, str):
            self.metrics.shadow(job.route_id, outcome := "error")
        elif not compared:
            same = service.status == job.monolith_status
            outcome = "same-status" if same else "different-status"
            self.metrics.shadow(job.route_id, outcome)
        if compared and self.compare is not None:
            return await self.compare(job, service, again)
        return outcome

    async def send(self, job: ShadowJob) -> Side:
        """The service's answer to the copy (its body read up to the cap), or why none."""
        instance = self.pools.pick(job.service)
        if instance is None or instance.origin is None:
            return f"no available instance of {job.service}"
        headers = job.headers
        if self.identity is not None:
            try:
                headers = await self.identity.headers_for(headers, job.service, job.request_id)
            except Refused as exc:  # what the service's route answers such a client
                return Answer(exc.refusal.status, exc.refusal.as_text(), exc.refusal.body)
            except ExchangeFailed as exc:
                return f"identity exchange: {exc}"
        instance.inflight += 1
        try:
            answer, healthy = await self._fetch(instance.origin, job, headers)
        finally:
            instance.inflight -= 1
        self.pools.report(instance, ok=healthy)
        return answer

    async def _ask_monolith(self, job: ShadowJob) -> Side:
        assert self.monolith is not None
        answer, _ = await self._fetch(self.monolith, job, job.headers)
        return answer

    async def _fetch(self, origin: Origin, job: ShadowJob, headers: Headers) -> tuple[Side, bool]:
        """The answer (or why none), and whether the upstream looked healthy."""
        try:
            response = await self.upstream.request(
                origin, job.method, job.target, headers, job.body, self.timeouts
            )
            body = bytearray()
            async for chunk in response.stream():
                body += chunk
                if len(body) > self.capture_bytes:
                    response.close()
                    too_big = f"answer larger than the capture cap ({self.capture_bytes} bytes)"
                    return too_big, response.status < 500
        except UpstreamError as exc:
            return str(exc), False
        answered = tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers)
        return Answer(response.status, answered, bytes(body)), response.status < 500
