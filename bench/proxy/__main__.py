"""``python -m bench.proxy``: the proxy benchmark, one command, on loopback, ~2 minutes.

Rows: a fast upstream direct, nginx as reverse proxy (the reference), our engine with one
and two workers, the mitmproxy engine; then the real monolith (gunicorn) direct, through
nginx and through our engine. Per row: wrk throughput (-c32), latency at a fixed rate
below saturation over 8 connections, and peak memory. It installs nothing: without nginx
or wrk (``apt-get install -y nginx wrk``) or the mitmproxy env (``make mitm``) the rows that
need them say so. Figures are ratios to rows of the same run, never pass/fail.
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import click
import httpx
from rich.console import Console
from rich.progress import Progress

from bench.proxy import servers
from bench.proxy.measure import MeasureError, paced_latency, peak_rss_mib, run_wrk
from bench.proxy.report import Row, render
from strangler_proxy.stack.process import ProcessFailed


@dataclass(frozen=True)
class Settings:
    seconds: float
    connections: int
    rate: float
    latency_seconds: float
    latency_connections: int = 8


def measure(
    section: str, name: str, server: servers.Server, path: str, settings: Settings, role: str = ""
) -> Row:
    """Throughput, then latency at the fixed rate, then the peak memory so far."""
    notes: list[str] = []
    throughput = latency = None
    url = server.url + path
    try:
        throughput = run_wrk(url, connections=settings.connections, seconds=settings.seconds)
    except MeasureError as exc:
        notes.append(str(exc).splitlines()[0])
    time.sleep(0.5)  # let the connections wrk leaves behind close
    try:
        latency = paced_latency(
            url,
            rate=settings.rate,
            seconds=settings.latency_seconds,
            connections=settings.latency_connections,
        )
    except (MeasureError, OSError) as exc:
        notes.append(f"latency: {exc}")
    if throughput and throughput.requests_per_s < 1.5 * settings.rate:
        notes.append("latency near or past this row's capacity: it includes queueing")
    peak = peak_rss_mib(server.process.pid) if server.process.pid else None
    return Row(section, name, throughput, latency, peak, role, "; ".join(notes))


def measure_started(
    section: str,
    name: str,
    start: Callable[[], servers.Server],
    path: str,
    settings: Settings,
    role: str = "",
) -> Row:
    """Start a server, measure it, stop it; a missing tool or a failed start becomes a note."""
    try:
        server = start()
    except servers.Missing as exc:
        return Row(section, name, role=role, note=str(exc))
    except ProcessFailed as exc:
        return Row(section, name, role=role, note=f"did not start: {str(exc).splitlines()[0]}")
    with running(server):
        return measure(section, name, server, path, settings, role)


def monolith_path(base_url: str, wanted: str) -> tuple[str, str]:
    """``wanted`` if the monolith answers it with 200, else its health check (and why)."""
    try:
        status = httpx.get(base_url + wanted, timeout=10, trust_env=False).status_code
    except httpx.HTTPError as exc:
        status = f"{type(exc).__name__}"  # type: ignore[assignment]
    if status == 200:
        return wanted, ""
    return "/health/", f"{wanted} answered {status}; measured /health/"


@contextlib.contextmanager
def running(server: servers.Server) -> Iterator[servers.Server]:
    try:
        yield server
    finally:
        server.process.stop()


def run(settings: Settings, monolith_wanted: str, with_monolith: bool) -> list[Row]:
    rows: list[Row] = []
    fast, real = "fast upstream", "real monolith"
    steps = 5 + (4 if with_monolith else 0)
    with tempfile.TemporaryDirectory(prefix="bench-proxy-") as tmp, Progress(transient=True) as bar:
        work = Path(tmp)
        task = bar.add_task("flag store", total=steps)
        store = servers.bench_store(work)

        def step(section: str, name: str, start: Callable[[], servers.Server], path: str) -> None:
            bar.update(task, description=f"{section}: {name}")
            rows.append(measure_started(section, name, start, path, settings, role=""))
            bar.advance(task)

        def reference(section: str, upstream: str, path: str) -> None:
            bar.update(task, description=f"{section}: nginx reverse proxy")
            start = partial(
                servers.start_nginx, "nginx proxy", work / f"nginx-{len(rows)}", upstream
            )
            rows.append(
                measure_started(section, "nginx reverse proxy", start, path, settings, "reference")
            )
            bar.advance(task)

        path = servers.FAST_PATH
        bar.update(task, description=f"{fast}: starting")
        with running(servers.start_fast_upstream(work)) as upstream:
            rows.append(
                measure(fast, f"direct ({upstream.name})", upstream, path, settings, "direct")
            )
            bar.advance(task)
            reference(fast, upstream.url.removeprefix("http://"), path)
            for workers in (1, 2):
                start = partial(servers.start_engine, work, upstream.url, store, workers, path)
                step(fast, f"strangler engine, {workers}w", start, path)
            step(
                fast,
                "mitmproxy engine",
                partial(servers.start_mitm, work, upstream.url, store, path),
                path,
            )
        if with_monolith:
            bar.update(task, description=f"{real}: migrate, seed, start")
            with running(servers.start_monolith(work)) as monolith:
                path, why = monolith_path(monolith.url, monolith_wanted)
                rows.append(
                    replace(
                        measure(real, "direct (gunicorn 2x4)", monolith, path, settings, "direct"),
                        note=why,
                    )
                )
                bar.advance(task)
                reference(real, monolith.url.removeprefix("http://"), path)
                step(
                    real,
                    "strangler engine, 1w",
                    partial(servers.start_engine, work, monolith.url, store, 1, path),
                    path,
                )
                step(
                    real,
                    "mitmproxy engine",
                    partial(servers.start_mitm, work, monolith.url, store, path),
                    path,
                )
    return rows


@click.command()
@click.option("--seconds", default=5.0, show_default=True, help="wrk run per row (throughput)")
@click.option("--connections", default=32, show_default=True, help="wrk connections")
@click.option(
    "--rate",
    default=400.0,
    show_default=True,
    help="fixed rate for latency, req/s over 8 connections",
)
@click.option(
    "--latency-seconds", default=3.0, show_default=True, help="length of the fixed-rate run"
)
@click.option(
    "--monolith-path",
    default="/api/catalog/products/",
    show_default=True,
    help="monolith endpoint measured",
)
@click.option(
    "--monolith/--no-monolith",
    default=True,
    show_default=True,
    help="also measure the real monolith",
)
def main(
    seconds: float,
    connections: int,
    rate: float,
    latency_seconds: float,
    monolith_path: str,
    monolith: bool,
) -> None:
    """Throughput, added latency and peak memory of the proxies, as ratios to nginx and direct."""
    if seconds <= 0 or latency_seconds <= 0 or rate <= 0 or connections <= 0:
        raise click.BadParameter(
            "--seconds, --latency-seconds, --rate and --connections must be positive"
        )
    settings = Settings(seconds, connections, rate, latency_seconds)
    rows = run(settings, monolith_path, monolith)
    caption = (
        f"wrk -t2 -c{connections} -d{seconds:g}s. Latency in ms at {rate:g} req/s over 8 "
        f"keep-alive connections for {latency_seconds:g}s, send to last byte; + = added to the "
        "direct row. nginx: 1 worker, pooled upstream keepalive. Peak: sum of VmHWM over the "
        "process tree.\nIssue 4 targets: engine 1w >= 50% of nginx, added p50 < 0.5 ms, "
        "monolith through the engine >= 90% of direct."
    )
    console = Console() if sys.stdout.isatty() else Console(width=170)
    console.print(render(rows, title="Proxy benchmark (loopback, one run)", caption=caption))


if __name__ == "__main__":
    main()
