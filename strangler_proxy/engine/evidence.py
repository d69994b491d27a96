"""Shadow evidence in the production engine: each sampled pair of answers is compared off
the event loop and kept (``evidence.pairs``, shared with the mitmproxy engine), and its
verdict counted in ``strangler_shadow_total``.

The comparison runs in a separate process (a 1 MB diff costs tens of milliseconds of CPU:
in a thread it would hold the GIL against the clients being served); the rules come from
the rules file (``strangler-rules.toml``), re-read when it changes; samples are written to
the evidence store by a thread, in batches, so SQLite or PostgreSQL never block the loop.
Nothing of this runs for routes that are not shadowed.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from concurrent.futures import Executor

from strangler_proxy.compare.book import Shadowing
from strangler_proxy.compare.outcome import Verdict
from strangler_proxy.engine.rollback import Windows
from strangler_proxy.engine.shadow import ShadowJob, Side
from strangler_proxy.evidence.pairs import PairEvidence, Recorder, Request
from strangler_proxy.evidence.rules_file import RulesFile
from strangler_proxy.metrics import Metrics

__all__ = ["Recorder", "ShadowEvidence"]


class ShadowEvidence:
    """Decides which shadow copies are compared (the route's sample rate), compares them in
    the comparison process, counts the verdicts and hands the samples to the recorder."""

    def __init__(
        self,
        rules: RulesFile,
        recorder: Recorder,
        metrics: Metrics,
        *,
        executor: Executor | None = None,
        chance: Callable[[], float] = random.random,
        windows: Windows | None = None,
    ) -> None:
        self.pairs = PairEvidence(rules, recorder, executor=executor, chance=chance)
        self.rules = rules
        self.recorder = recorder
        self.metrics = metrics
        self.windows = windows  # the rollback's: a canary's mismatches count against it

    def shadowing(self, route_id: str, *, canary: bool = False) -> Shadowing | None:
        """The route's settings when this copy is to be compared, else None (not sampled)."""
        return self.pairs.shadowing(route_id, canary=canary)

    async def compare(self, job: ShadowJob, service: Side, again: Side | None) -> str:
        """Compare and count; the verdict (match, mismatch, noise, error)."""
        assert job.monolith is not None
        headers = tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in job.headers)
        request = Request(job.route_id, job.method, job.target.decode("latin-1"), headers, job.body)
        outcome = await self.pairs.compare(request, job.monolith, service, again)
        self.metrics.shadow(job.route_id, outcome.verdict.value)
        if self.windows is not None:
            self.windows.compared(job.route_id, outcome.verdict is Verdict.MISMATCH)
        return outcome.verdict.value

    def close(self) -> None:
        self.pairs.close()
