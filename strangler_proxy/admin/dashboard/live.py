"""The dashboard's live state: polled from the admin's sources, pushed when it changes.

One ``Feed`` per admin app. While a page listens, it polls the flag store's version every
0.5 s (a flip shows within a second) and reads everything else every second (metrics,
health, the shadow evidence every 2 s, the events status in its own loop since a broker may
be slow to answer); each read runs in a worker thread so the admin's loop never waits on
SQLite or a broker. The state is recomputed by the pure ``model``; listeners wake only when
it differs from the last one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from strangler_proxy.admin.dashboard.figures import Counters, delta, parse, route_figures
from strangler_proxy.admin.dashboard.graph import service_graph
from strangler_proxy.admin.dashboard.model import events_view, route_rows, service_rows
from strangler_proxy.admin.evidence import EvidenceView
from strangler_proxy.evidence.summary import RouteEvidence
from strangler_proxy.store import FlagStore
from strangler_proxy.store.base import route_to_json

log = logging.getLogger(__name__)

STORE_POLL = 0.5
READ_EVERY = 1.0
EVIDENCE_EVERY = 2.0
WINDOW = 60.0  # error rate, latency and budget burn: the rollback's default window
RATE_WINDOW = 5.0  # req/s


@dataclass(frozen=True)
class Sources:
    store: FlagStore
    metrics_snapshot: Callable[[], Mapping[str, Any]] | None = None
    health_snapshot: Callable[[], Mapping[str, Any]] | None = None
    evidence: EvidenceView | None = None
    events_status: Callable[[], Mapping[str, Any]] | None = None
    report: Path | None = None


class Feed:
    def __init__(self, sources: Sources, clock: Callable[[], float] = time.monotonic) -> None:
        self.sources = sources
        self.clock = clock
        self.seq = 0
        self.state: dict[str, Any] | None = None
        self.listeners = 0
        self._changed: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._events_task: asyncio.Task[None] | None = None
        self._window: deque[tuple[float, Counters]] = deque()
        self._evidence: tuple[float, dict[str, RouteEvidence]] = (-1e9, {})
        self._events: Mapping[str, Any] | None = None
        self._report: tuple[float, Any] = (-1.0, None)
        self._compared = ""
        self._lock = asyncio.Lock()  # one refresh at a time (the poller, a /state request)

    def changed(self) -> asyncio.Event:
        if self._changed is None:
            self._changed = asyncio.Event()
        return self._changed

    async def current(self) -> dict[str, Any]:
        """The state now: the poller's latest while a page listens, else computed afresh."""
        if self.state is None or self.listeners == 0:
            await self.refresh()
        assert self.state is not None
        return self.state

    @contextlib.asynccontextmanager
    async def listening(self) -> Any:
        """While a page listens, the feed polls; the last one to leave stops it."""
        self.listeners += 1
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._poll())
        if self.sources.events_status is not None and (
            self._events_task is None or self._events_task.done()
        ):
            self._events_task = asyncio.create_task(self._poll_events())
        try:
            yield self
        finally:
            self.listeners -= 1

    async def _poll(self) -> None:
        version, last_read = None, -1e9
        while self.listeners > 0:
            try:
                now_version = await asyncio.to_thread(self.sources.store.version)
                if now_version != version or self.clock() - last_read >= READ_EVERY:
                    version, last_read = now_version, self.clock()
                    await self.refresh()
            except Exception:  # a busy store or a failing source: shown stale, retried
                log.exception("dashboard refresh failed")
            await asyncio.sleep(STORE_POLL)

    async def _poll_events(self) -> None:
        read = self.sources.events_status
        assert read is not None
        while self.listeners > 0:
            try:
                self._events = dict(await asyncio.to_thread(read))
            except Exception as exc:  # a broker that does not answer: said on the page
                self._events = {"error": f"{type(exc).__name__}: {exc}"}
            await asyncio.sleep(READ_EVERY)

    async def refresh(self) -> None:
        async with self._lock:
            await self._refresh()

    async def _refresh(self) -> None:
        state = await asyncio.to_thread(self._compute)
        compared = json.dumps({k: v for k, v in state.items() if k != "at"}, sort_keys=True)
        if compared != self._compared or self.state is None:
            self._compared = compared
            self.seq += 1
            self.state = {**state, "seq": self.seq}
            event, self._changed = self._changed, asyncio.Event()
            if event is not None:
                event.set()

    def _compute(self) -> dict[str, Any]:
        s = self.sources
        snapshot = s.store.snapshot()
        routes = [route_to_json(r) for r in snapshot.table.routes()]
        now = self.clock()
        figures = self._figures(now)
        evidence = self._read_evidence(now)
        ids = [str(r["id"]) for r in routes]
        bars = {r: s.evidence.bar(r) for r in ids} if s.evidence else {}
        budgets = {r: s.evidence.budget(r) for r in ids} if s.evidence else {}
        health = dict(s.health_snapshot()) if s.health_snapshot else {}
        services = [spec.to_json() for spec in snapshot.services]
        rows = route_rows(routes, figures, evidence, bars, budgets)
        workers = [
            {k: w.get(k) for k in ("pid", "inflight", "shadow_queue")}
            for w in health.get("workers", [])
            if isinstance(w, Mapping)
        ]
        return {
            "version": snapshot.version,
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "window_seconds": WINDOW,
            "routes": rows,
            "services": service_rows(services, health, routes),
            "events": events_view(self._events, watched=s.events_status is not None),
            "graph": service_graph(self._read_report(), routes),
            "workers": workers,
            "totals": {
                "rps": round(sum(r["rps"] for r in rows), 2),
                "routes": len(rows),
                "moved": sum(1 for r in rows if r["mode"] in ("canary", "service")),
            },
        }

    def _figures(self, now: float) -> dict[str, Any]:
        if self.sources.metrics_snapshot is None:
            return {}
        current = parse(self.sources.metrics_snapshot())
        window = self._window
        window.append((now, current))
        while len(window) > 1 and now - window[0][0] > WINDOW:
            window.popleft()
        if len(window) < 2:
            return {}
        start, base = window[0]
        recent = [(t, c) for t, c in window if now - t >= RATE_WINDOW - 0.25]
        rate_start, rate_base = recent[-1] if recent else window[0]
        long = route_figures(delta(current, base), now - start)
        short = route_figures(delta(current, rate_base), now - rate_start)
        return {r: replace(f, rps=short[r].rps if r in short else 0.0) for r, f in long.items()}

    def _read_evidence(self, now: float) -> dict[str, RouteEvidence]:
        view = self.sources.evidence
        if view is None:
            return {}
        at, cached = self._evidence
        if now - at >= EVIDENCE_EVERY:
            cached = {e.route: e for e in view.routes()}
            self._evidence = (now, cached)
        return cached

    def _read_report(self) -> Any:
        """The report, re-read when its file changes; None while there is none (a stack may
        start before its first ``strangler analyze``); a broken one is logged once."""
        path = self.sources.report
        if path is None:
            return None
        try:
            mtime = path.stat().st_mtime
        except OSError:
            return None
        if mtime != self._report[0]:
            try:
                self._report = (mtime, json.loads(path.read_text()))
            except (OSError, ValueError) as exc:
                self._report = (mtime, None)
                log.warning("dashboard: cannot read the report %s: %s", path, exc)
        return self._report[1]
