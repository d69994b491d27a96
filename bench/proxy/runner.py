"""Measure the rows of a section *interleaved*: every server of a section runs at once and
each measurement goes round the rows ``rounds`` times (wrk on each row, then the fixed-rate
latency run on each row), so a change in the machine's other load hits every row alike
instead of skewing whichever row ran at that moment. Every round's figures are kept per row
(``RoundFigures``), so the report compares rows round by round (median and spread of the
per-round ratios); the req/s shown is the median of the rounds, the p50/p99 shown are over
all rounds' samples.
"""

from __future__ import annotations

import contextlib
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from rich.progress import Progress

from bench.proxy import servers
from bench.proxy.measure import (
    NO_CREDENTIAL,
    Credential,
    Latency,
    MeasureError,
    Throughput,
    cpu_seconds,
    paced_samples,
    peak_rss_mib,
    percentile,
    run_wrk,
)
from bench.proxy.report import RoundFigures, Row
from strangler_proxy.stack.process import ProcessFailed


@dataclass(frozen=True)
class Settings:
    seconds: float  # wrk time per row, spread over the rounds
    connections: int  # wrk connections
    rate: float  # fixed rate of the latency run, req/s
    latency_seconds: float  # latency-run time per row, spread over the rounds
    rounds: int = 5
    latency_connections: int = 8
    threads: int = 2  # wrk threads (they share the machine's cores with the servers)

    def __post_init__(self) -> None:
        for option, value in (
            ("--seconds", self.seconds), ("--connections", self.connections),
            ("--rate", self.rate), ("--latency-seconds", self.latency_seconds),
            ("--rounds", self.rounds), ("--threads", self.threads),
        ):  # fmt: skip
            if not value > 0:
                raise ValueError(f"{option} must be positive, got {value}")


@dataclass
class Contender:
    """One row: its server (None when it could not start) and what its rounds collected."""

    name: str
    role: str = ""
    server: servers.Server | None = None
    credential: Credential = NO_CREDENTIAL  # what every request of the row carries
    notes: list[str] = field(default_factory=list)
    throughputs: list[Throughput] = field(default_factory=list)
    samples: list[float] = field(default_factory=list)
    latency_errors: int = 0
    rounds: list[RoundFigures] = field(default_factory=list)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def row(self, section: str, rate: float) -> Row:
        throughput = None
        if self.throughputs:
            throughput = Throughput(
                statistics.median(t.requests_per_s for t in self.throughputs),
                sum(t.requests for t in self.throughputs),
                sum(t.errors for t in self.throughputs),
            )
            if throughput.requests_per_s < 1.5 * rate:
                self.note("rate near capacity: latency includes queueing")
        latency = Latency.of(self.samples, self.latency_errors) if self.samples else None
        pid = self.server.process.pid if self.server else None
        peak = peak_rss_mib(pid) if pid else None
        return Row(
            section, self.name, throughput, latency, peak, self.role, "; ".join(self.notes),
            tuple(self.rounds),
        )  # fmt: skip


def start(name: str, role: str, start_server: Callable[[], servers.Server]) -> Contender:
    """A started contender, or one that says why it has no server."""
    try:
        return Contender(name, role, start_server())
    except servers.Missing as exc:
        return Contender(name, role, notes=[str(exc)])
    except ProcessFailed as exc:
        return Contender(name, role, notes=[f"did not start: {str(exc).splitlines()[0]}"])


def _wrk(contender: Contender, path: str, settings: Settings) -> RoundFigures:
    """One wrk run on ``contender``: its req/s and its process tree's CPU per request."""
    assert contender.server is not None
    url = contender.server.url + path
    pid = contender.server.process.pid
    before = cpu_seconds(pid) if pid else None
    try:
        throughput = run_wrk(
            url,
            connections=settings.connections,
            seconds=settings.seconds / settings.rounds,
            threads=settings.threads,
            credential=contender.credential,
        )
    except MeasureError as exc:
        contender.note(str(exc).splitlines()[0])
        return RoundFigures()
    contender.throughputs.append(throughput)
    cpu_us = None
    if pid and before is not None and throughput.requests:
        cpu_us = (cpu_seconds(pid) - before) / throughput.requests * 1e6
    return RoundFigures(throughput.requests_per_s, cpu_us)


def _paced(contender: Contender, path: str, settings: Settings) -> tuple[float, float] | None:
    """One fixed-rate latency run on ``contender``: its p50 and p99 in ms."""
    assert contender.server is not None
    try:
        samples, errors = paced_samples(
            contender.server.url + path,
            rate=settings.rate,
            seconds=settings.latency_seconds / settings.rounds,
            connections=settings.latency_connections,
            credential=contender.credential,
        )
    except OSError as exc:
        contender.note(f"latency: {exc}")
        return None
    contender.samples.extend(samples)
    contender.latency_errors += errors
    if not samples:
        return None
    return percentile(samples, 0.50) * 1000, percentile(samples, 0.99) * 1000


def measure_rounds(
    contenders: Sequence[Contender], path: str, settings: Settings, advance: Callable[[], None]
) -> None:
    live = [c for c in contenders if c.server is not None]
    for _ in range(settings.rounds):
        wrk: dict[int, RoundFigures] = {}
        for contender in live:
            wrk[id(contender)] = _wrk(contender, path, settings)
            advance()
        time.sleep(0.5)  # let the connections wrk leaves behind close
        for contender in live:
            figures = wrk[id(contender)]
            latency = _paced(contender, path, settings)
            if latency is not None:
                figures = replace(figures, p50_ms=latency[0], p99_ms=latency[1])
            contender.rounds.append(figures)
            advance()


Proxy = tuple[str, str, Callable[[], servers.Server]]  # name, role, how to start it


def section(
    title: str,
    direct: servers.Server,
    proxies: Sequence[Proxy],
    path: str,
    settings: Settings,
    bar: Progress,
) -> list[Row]:
    """The upstream ``direct`` and the ``proxies`` in front of it, measured interleaved."""
    task = bar.add_task(f"{title}: starting", total=None)
    with contextlib.ExitStack() as stack:
        contenders = [Contender(f"direct ({direct.name})", "direct", direct)]
        for name, role, start_server in proxies:
            bar.update(task, description=f"{title}: starting {name}")
            contender = start(name, role, start_server)
            if contender.server is not None:
                stack.callback(contender.server.process.stop)
            contenders.append(contender)
        live = sum(c.server is not None for c in contenders)
        bar.update(task, description=f"{title}: measuring", total=2 * settings.rounds * live)
        measure_rounds(contenders, path, settings, lambda: bar.advance(task))
        rows = [c.row(title, settings.rate) for c in contenders]
    bar.remove_task(task)
    return rows


def below_capacity(url: str, settings: Settings) -> Settings:
    """``settings`` with the fixed rate lowered to half of what ``url`` serves, if needed."""
    try:
        capacity = run_wrk(
            url, connections=settings.connections, seconds=1, threads=settings.threads
        ).requests_per_s
    except MeasureError:
        return settings
    return replace(settings, rate=max(1.0, min(settings.rate, capacity // 2)))


@contextlib.contextmanager
def running(server: servers.Server) -> Iterator[servers.Server]:
    try:
        yield server
    finally:
        server.process.stop()


def run(
    settings: Settings,
    monolith_path: str,
    with_monolith: bool,
    work: Path,
    monolith_layout: tuple[int, int] = (1, 8),
    with_identity: bool = True,
    with_tracing: bool = True,
) -> list[Row]:
    """The sections: the fast upstream, (optionally) the identity exchange's cost and the
    tracing's cost, then (optionally) the real monolith."""
    from bench.proxy import identity, tracing  # they measure with this module's rounds

    store = servers.bench_store(work)

    def proxies(upstream: servers.Server, path: str, workers: Sequence[int]) -> list[Proxy]:
        url, host = upstream.url, upstream.url.removeprefix("http://")
        nginx_dir = work / f"nginx-{upstream.process.pid}"
        nginx = partial(servers.start_nginx, "nginx", nginx_dir, host, path)
        listed: list[Proxy] = [("nginx reverse proxy", "reference", nginx)]
        for n in workers:
            engine = partial(servers.start_engine, work, url, store, n, path)
            listed.append((f"strangler engine, {n}w", "", engine))
        mitm = partial(servers.start_mitm, work, url, store, path)
        listed.append(("mitmproxy engine", "", mitm))
        return listed

    rows: list[Row] = []
    with Progress(transient=True) as bar:
        path = servers.FAST_PATH
        with running(servers.start_fast_upstream(work)) as upstream:
            title = f"fast upstream @{settings.rate:g}/s"
            rows += section(title, upstream, proxies(upstream, path, (1, 2)), path, settings, bar)
        if with_identity:
            rows += identity.section(settings, work, bar)
        if with_tracing:
            rows += tracing.section(settings, work, bar)
        if with_monolith:
            task = bar.add_task("real monolith: migrate, seed, start", total=None)
            with running(servers.start_monolith(work, *monolith_layout)) as monolith:
                bar.remove_task(task)
                path = servers.monolith_path(monolith.url, monolith_path)
                slow = below_capacity(monolith.url + path, settings)
                title = f"real monolith {path} @{slow.rate:g}/s"
                rows += section(title, monolith, proxies(monolith, path, (1,)), path, slow, bar)
    return rows
