"""Automatic rollback: a route in canary or service that spends its budget goes back to the
monolith, flipped by the proxy itself through the flag store (audited: who is the proxy,
why is the figure and its budget).

Each worker keeps, for the routes it sees in canary or service, a sliding window of
per-second buckets: the requests sent to the service, its errors (5xx, or the proxy's own
error on its behalf), the fallbacks, sampled latencies of both sides, and the verdicts of
the sampled comparisons a canary's monolith side keeps making. Once a second it
asks the pure ``evidence.rollback.over_budget``; the flip names the mode it decided on
(``expect_mode``), so of several workers or hosts deciding at once one flips and writes the
one audit row, and the others find the route moved (``StaleFlag``) and leave it.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from strangler_proxy.evidence.rollback import Budget, Window, over_budget
from strangler_proxy.evidence.rules_file import RulesFile
from strangler_proxy.metrics import Metrics
from strangler_proxy.routing import MONOLITH, Mode, RouteTable
from strangler_proxy.store import FlagStore, StaleFlag, StoreError

log = logging.getLogger("strangler.proxy")
ACTOR = "strangler proxy (automatic rollback)"
#: latencies kept per second and side (a sample: enough for a p99 over a window)
KEPT_LATENCIES = 200
WATCHED = frozenset({Mode.CANARY, Mode.SERVICE})


@dataclass
class _Second:
    at: int
    requests: int = 0
    errors: int = 0
    fallbacks: int = 0
    compared: int = 0  # sampled shadow comparisons (a canary's monolith side)
    mismatches: int = 0
    service_ms: list[float] = field(default_factory=list)
    monolith_ms: list[float] = field(default_factory=list)


class Windows:
    """The sliding windows of the watched routes (``watch`` sets them from the table)."""

    def __init__(self, seconds: int = 60, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._routes: dict[str, deque[_Second]] = {}
        self.modes: dict[str, Mode] = {}

    def watch(self, table: RouteTable) -> None:
        modes = {r.id: r.mode for r in table.routes() if r.mode in WATCHED}
        for route_id in list(self._routes):
            if self.modes.get(route_id) != modes.get(route_id):
                del self._routes[route_id]  # a new mode starts a new window
        self.modes = modes
        for route_id in modes:
            self._routes.setdefault(route_id, deque())

    def observe(
        self, route_id: str, served_by: str, status: int, seconds: float, fallback: str | None
    ) -> None:
        buckets = self._routes.get(route_id)
        if buckets is None:
            return  # not in canary or service: nothing to watch
        bucket = self._bucket(buckets)
        if served_by == MONOLITH and fallback is None:
            _keep(bucket.monolith_ms, seconds)
            return
        bucket.requests += 1
        if fallback is not None:
            bucket.fallbacks += 1
        elif status >= 500:
            bucket.errors += 1
        else:
            _keep(bucket.service_ms, seconds)

    def compared(self, route_id: str, mismatch: bool) -> None:
        """A sampled comparison of the route's answers (its verdict: a mismatch or not)."""
        buckets = self._routes.get(route_id)
        if buckets is None:
            return
        bucket = self._bucket(buckets)
        bucket.compared += 1
        bucket.mismatches += mismatch

    def _bucket(self, buckets: deque[_Second]) -> _Second:
        now = int(self._clock())
        if not buckets or buckets[-1].at != now:
            buckets.append(_Second(now))
            while buckets[0].at <= now - self.seconds:
                buckets.popleft()
        return buckets[-1]

    def window(self, route_id: str) -> Window:
        now = int(self._clock())
        buckets = [b for b in self._routes.get(route_id, ()) if b.at > now - self.seconds]
        service = [ms for b in buckets for ms in b.service_ms]
        monolith = [ms for b in buckets for ms in b.monolith_ms]
        return Window(
            requests=sum(b.requests for b in buckets),
            errors=sum(b.errors for b in buckets),
            fallbacks=sum(b.fallbacks for b in buckets),
            service_p99_ms=_p99(service),
            monolith_p99_ms=_p99(monolith),
            compared=sum(b.compared for b in buckets),
            mismatches=sum(b.mismatches for b in buckets),
            service_answers=len(service),
            monolith_answers=len(monolith),
        )

    def forget(self, route_id: str) -> None:
        self._routes.pop(route_id, None)


class AutoRollback:
    """Once a second: every watched route over its budget is flipped back to the monolith."""

    def __init__(
        self, windows: Windows, store: FlagStore, rules: RulesFile, metrics: Metrics
    ) -> None:
        self.windows = windows
        self.store = store
        self.rules = rules
        self.metrics = metrics

    async def check(self) -> list[str]:
        """The routes flipped back by this check (by this worker)."""
        flipped = []
        watched = list(self.windows.modes.items())
        book = self.rules.book()
        budgets = {route_id: Budget(**book.budget_for(route_id)) for route_id, _ in watched}
        self.metrics.budgets({route_id: asdict(b) for route_id, b in budgets.items()})
        for route_id, mode in watched:
            reason = over_budget(self.windows.window(route_id), budgets[route_id])
            if reason is None:
                continue
            self.windows.forget(route_id)  # decided: the next window starts afresh
            if await asyncio.to_thread(self._flip, route_id, mode, reason):
                flipped.append(route_id)
        return flipped

    def _flip(self, route_id: str, mode: Mode, reason: str) -> bool:
        try:
            self.store.set_route(
                route_id, mode=Mode.MONOLITH, expect_mode=mode, actor=ACTOR, reason=reason
            )
        except StaleFlag:
            return False  # another worker or host was first: one decision, one audit row
        except StoreError as exc:
            log.warning("automatic rollback of %s not written: %s", route_id, exc)
            return False
        log.warning("route %s rolled back to the monolith: %s", route_id, reason)
        self.metrics.rollback(route_id)
        return True


def _keep(sample: list[float], seconds: float) -> None:
    if len(sample) < KEPT_LATENCIES:
        sample.append(seconds * 1000)


def _p99(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.99 * len(ordered)) - 1)]
