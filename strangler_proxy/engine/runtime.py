"""One worker's engine: the ASGI app plus what runs beside it for its lifetime
(``start`` before serving, ``stop`` after the drain), built in one place: ``build_engine``.

Beside the app: the store poller (every ``poll_interval`` it asks the store's ``version()``
and swaps the whole route table and the registry when it moved), active health checks, the
shadow workers and, with several workers, a snapshot file of this worker's counters and
instance health that the admin process merges.

``build_engine`` is the engine's one composition root: every worker (the one in the main
process and each spawned one) is built by it, from the settings, and a test may hand it its
own store, upstream or clock::

    engine = build_engine(settings, store=open_store(url), upstream=PooledUpstream())
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from strangler_proxy.balancing import ServicePools
from strangler_proxy.balancing.health import HealthChecker
from strangler_proxy.engine.accesslog import AccessLog, AccessLogError
from strangler_proxy.engine.app import ProxyApp, TableHolder
from strangler_proxy.engine.evidence import Recorder, ShadowEvidence
from strangler_proxy.engine.identity_post import UpstreamPost
from strangler_proxy.engine.rollback import AutoRollback, Windows
from strangler_proxy.engine.settings import ConfigError, EngineSettings
from strangler_proxy.engine.shadow import ShadowDispatcher
from strangler_proxy.engine.tracing import RequestTracer, process_tracer
from strangler_proxy.engine.upstream import PooledUpstream, Timeouts, Upstream
from strangler_proxy.evidence.rules_file import RulesFile
from strangler_proxy.evidence.store import Retention, default_evidence_url
from strangler_proxy.identity import PhantomTokens
from strangler_proxy.metrics import Metrics
from strangler_proxy.store import FlagStore, TableWatcher, open_store

log = logging.getLogger("strangler.proxy")


def build_engine(
    settings: EngineSettings,
    *,
    store: FlagStore | None = None,
    upstream: Upstream | None = None,
    clock: Callable[[], float] = time.monotonic,
    state_dir: Path | None = None,
    tracing: Callable[[], RequestTracer | None] = process_tracer,
) -> EngineRuntime:
    """The engine of one worker, from its parts; the store is opened from ``settings``
    unless given. ``state_dir``: where this worker writes its snapshot (several workers).
    ``tracing``: this process's tracer, None when off (``OTEL_*``: ``telemetry.setup``)."""
    store = store if store is not None else open_store(settings.store_url)
    watcher = TableWatcher(store)
    pools = ServicePools(clock=clock)
    pools.update({s.name: s.instances for s in watcher.services})
    metrics = Metrics()
    metrics.routes(watcher.table)
    upstream = upstream if upstream is not None else PooledUpstream()
    rules = RulesFile(Path(settings.rules_file) if settings.rules_file else None)
    windows = Windows(int(settings.rollback_window), clock=clock)
    windows.watch(watcher.table)
    evidence = ShadowEvidence(
        rules,
        Recorder(
            settings.evidence_url or default_evidence_url(settings.store_url),
            Retention(settings.evidence_keep, settings.evidence_days * 86400),
        ),
        metrics,
        windows=windows,
    )
    identity = _identity(settings, upstream)
    shadow = ShadowDispatcher(
        upstream,
        pools,
        metrics,
        Timeouts(settings.timeouts.connect, settings.shadow_timeout, settings.shadow_timeout),
        queue_size=settings.shadow_queue,
        workers=settings.shadow_workers,
        capture_bytes=settings.shadow_capture_bytes,
        monolith=settings.monolith,
        compare=evidence.compare,
        identity=identity,
    )
    access_log = _open_access_log(settings.access_log)
    tables = TableHolder(watcher.table)
    app = ProxyApp(
        settings,
        tables,
        pools,
        upstream,
        metrics,
        shadow,
        access_log,
        evidence,
        windows,
        identity,
        tracing(),
    )
    rollback = AutoRollback(windows, store, rules, metrics) if settings.auto_rollback else None
    return EngineRuntime(
        settings=settings,
        store=store,
        watcher=watcher,
        tables=tables,
        pools=pools,
        metrics=metrics,
        upstream=upstream,
        shadow=shadow,
        evidence=evidence,
        rollback=rollback,
        health=HealthChecker(pools, path=settings.health_path, interval=settings.health_interval),
        access_log=access_log,
        app=app,
        state_dir=state_dir,
    )


@dataclass(eq=False)
class EngineRuntime:
    """The parts of one worker (``build_engine`` makes them) and their lifetime: ``start``,
    ``refresh`` (the store poll), ``snapshot``, ``stop``."""

    settings: EngineSettings
    store: FlagStore
    watcher: TableWatcher
    tables: TableHolder
    pools: ServicePools
    metrics: Metrics
    upstream: Upstream
    shadow: ShadowDispatcher
    evidence: ShadowEvidence
    rollback: AutoRollback | None
    health: HealthChecker
    access_log: AccessLog | None
    app: ProxyApp
    state_dir: Path | None = None
    _tasks: list[asyncio.Task[None]] = field(default_factory=list, init=False, repr=False)

    async def refresh(self) -> bool:
        """Swap in the store's table and registry if they changed; True when they did.

        The store is read in a thread: a remote store (PostgreSQL) can take up to its connect
        timeout to answer, and the event loop must go on serving meanwhile. The swap itself
        happens here, on the loop, so a request sees either the old table or the new one."""
        table = await asyncio.to_thread(self.watcher.poll)
        if table is None:
            if self.watcher.last_error is not None:
                log.warning(
                    "flag store unreadable, keeping the last table: %s", self.watcher.last_error
                )
            return False
        self.pools.update({s.name: s.instances for s in self.watcher.services})
        self.tables.table = table
        self.metrics.routes(table)
        if self.app.windows is not None:
            self.app.windows.watch(table)
        return True

    def snapshot(self) -> dict[str, Any]:
        return {
            "pid": os.getpid(),
            "version": self.tables.table.version,
            "metrics": self.metrics.snapshot(),
            "health": self.pools.snapshot(),
            "inflight": self.app.inflight,
            "shadow_queue": self.shadow.queue.qsize(),
        }

    async def start(self) -> None:
        self.shadow.start()
        self._tasks = [asyncio.create_task(self._every(self.settings.poll_interval, self.refresh))]
        self._tasks.append(asyncio.create_task(self.health.run()))
        if self.rollback is not None:
            self._tasks.append(asyncio.create_task(self._every(1.0, self.rollback.check)))
        if self.state_dir is not None:
            self._tasks.append(asyncio.create_task(self._every(1.0, self._write_state)))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.shadow.stop()
        self.evidence.close()
        await self.upstream.aclose()
        if self.app.identity is not None:
            await self.app.identity.aclose()
        if self.state_dir is not None:
            self._state_file().unlink(missing_ok=True)
        if self.access_log is not None:
            self.access_log.close()
        self.store.close()

    async def _every(self, seconds: float, action: Callable[[], object]) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                done = action()
                if inspect.isawaitable(done):
                    await done
            except Exception:
                log.exception("background step %s failed", getattr(action, "__name__", action))

    def _state_file(self) -> Path:
        assert self.state_dir is not None
        return self.state_dir / f"worker-{os.getpid()}.json"

    def _write_state(self) -> None:
        target = self._state_file()
        tmp = target.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.snapshot()))
        tmp.replace(target)


def _identity(settings: EngineSettings, upstream: Upstream) -> PhantomTokens | None:
    """The phantom-token exchange (``--identity-exchange``) over the engine's own client."""
    url = settings.identity_url
    if url is None:
        return None
    t = settings.timeouts
    return PhantomTokens(url, UpstreamPost(upstream, Timeouts(t.connect, t.read, t.read)))


def _open_access_log(where: str | None) -> AccessLog | None:
    if where is None:
        return None
    try:
        return AccessLog.open(where)
    except AccessLogError as exc:
        raise ConfigError(f"--access-log: {exc}") from exc


def read_states(state_dir: Path) -> list[dict[str, Any]]:
    """The latest snapshot of every worker that writes to ``state_dir``."""
    states = []
    for path in sorted(state_dir.glob("worker-*.json")):
        with contextlib.suppress(OSError, ValueError):
            states.append(json.loads(path.read_text()))
    return states
