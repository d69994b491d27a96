"""Shadow evidence, for either engine: each sampled pair of answers is compared off the event
loop and kept.

The comparison runs in a separate process (a 1 MB diff costs tens of milliseconds of CPU:
in a thread it would hold the GIL against the clients being served); the rules come from
the rules file (``strangler-rules.toml``), re-read when it changes; samples are written to
the evidence store by a thread, in batches, so SQLite or PostgreSQL never block the loop.
Nothing of this runs for routes that are not shadowed.

Both proxies use it (the production engine through ``engine.evidence``, the mitmproxy addon
through ``mitm.shadow``): they differ in how they get the two answers, not in what is done
with them::

    evidence = PairEvidence(RulesFile(Path("strangler-rules.toml")), Recorder(url, Retention()))
    if evidence.shadowing("product-detail") is not None:  # sampled: keep both answers
        outcome = await evidence.compare(Request(...), monolith_answer, service_answer)
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import queue
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

from strangler_proxy.compare.answers import Answer
from strangler_proxy.compare.book import Shadowing
from strangler_proxy.compare.outcome import Outcome, judge
from strangler_proxy.compare.rules import CompiledRules, Rules
from strangler_proxy.evidence.rules_file import RulesFile
from strangler_proxy.evidence.sample import SECRET_FIELDS, Sample, redact_body, redact_headers
from strangler_proxy.evidence.store import EvidenceError, Retention, open_evidence

log = logging.getLogger("strangler.proxy")
#: samples are written at least this often (seconds), or every BATCH samples
FLUSH_EVERY = 0.5
BATCH = 200

#: an answer as compared: the answer, or why there is none
Side = Answer | str


@dataclass(frozen=True, slots=True)
class Request:
    """The request both answers answer (its context is kept with the sample, redacted)."""

    route_id: str
    method: str
    target: str  # path and query, as sent
    headers: tuple[tuple[str, str], ...]
    body: bytes | None


def compare_pair(monolith: Answer, service: Side, again: Side | None, rules: Rules) -> Outcome:
    """One comparison, as the comparison process runs it (its arguments are pickled)."""
    return judge(monolith, service, again, _compiled(rules))


@lru_cache(maxsize=256)
def _compiled(rules: Rules) -> CompiledRules:
    return rules.compile()


class Recorder:
    """Writes samples to the evidence store from a thread, in batches; the store is opened
    (and made, if missing: it is the proxy's output) by the first batch."""

    def __init__(self, url: str, retention: Retention) -> None:
        self.url = url
        self.retention = retention
        self._queue: queue.SimpleQueue[Sample | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def put(self, sample: Sample) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="evidence", daemon=True)
            self._thread.start()
        self._queue.put(sample)

    def close(self, timeout: float = 5.0) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout)

    def _run(self) -> None:
        store = None
        done = False
        while not done:
            batch: list[Sample] = []
            deadline = time.monotonic() + FLUSH_EVERY
            while len(batch) < BATCH:
                try:
                    item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if item is None:
                    done = True
                    break
                batch.append(item)
            if not batch:
                continue
            try:
                if store is None:
                    store = open_evidence(self.url, create=True, retention=self.retention)
                store.record(batch)
            except EvidenceError as exc:
                log.warning("shadow evidence: %d sample(s) not kept: %s", len(batch), exc)
            except Exception:  # the thread must live on, or every later sample piles up here
                log.exception("shadow evidence: %d sample(s) not kept", len(batch))
        if store is not None:
            store.close()


class PairEvidence:
    """Decides which shadow copies are compared (the route's sample rate), compares them in
    the comparison process and hands the samples, redacted, to the recorder."""

    def __init__(
        self,
        rules: RulesFile,
        recorder: Recorder,
        *,
        executor: Executor | None = None,
        chance: Callable[[], float] = random.random,
    ) -> None:
        self.rules = rules
        self.recorder = recorder
        self._executor = executor
        self._chance = chance

    def shadowing(self, route_id: str, *, canary: bool = False) -> Shadowing | None:
        """The route's settings when this copy is to be compared, else None (not sampled);
        ``canary``: a canary's monolith side, sampled at its own rate."""
        settings = self.rules.book().shadowing_for(route_id)
        rate = settings.canary_sample_rate if canary else settings.sample_rate
        return settings if rate >= 1.0 or (rate > 0.0 and self._chance() < rate) else None

    async def compare(
        self, request: Request, monolith: Answer, service: Side, again: Side | None = None
    ) -> Outcome:
        """Compare off the event loop, record the sample; the outcome, for the counters."""
        book = self.rules.book()
        loop = asyncio.get_running_loop()
        rules = book.for_route(request.route_id)
        outcome = await loop.run_in_executor(
            self._pool(), compare_pair, monolith, service, again, rules
        )
        redact = SECRET_FIELDS | book.shadowing_for(request.route_id).redact
        path, _, query = request.target.partition("?")
        self.recorder.put(
            Sample(
                route=request.route_id,
                at=time.time(),
                method=request.method,
                path=path,
                query=query,
                headers=redact_headers(request.headers),
                body=redact_body(request.body or b"", redact),
                verdict=outcome.verdict.value,
                monolith_status=monolith.status,
                service_status=service.status if isinstance(service, Answer) else None,
                differences=outcome.differences,
                noise=tuple(d.path for d in outcome.noise),
                error=outcome.error,
            )
        )
        return outcome

    def _pool(self) -> Executor:
        if self._executor is None:  # made on first use: no process for a proxy that never compares
            context = multiprocessing.get_context("spawn")  # no fork of a running event loop
            self._executor = ProcessPoolExecutor(1, mp_context=context)
        return self._executor

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
        self.recorder.close()
