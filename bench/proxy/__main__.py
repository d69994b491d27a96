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
import os
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
        notes.append("rate near capacity: latency includes queueing")
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


def monolith_path(base_url: str, wanted: str) -> str:
    """``wanted`` if the monolith answers it with 200, else its health check."""
    try:
        ok = httpx.get(base_url + wanted, timeout=10, trust_env=False).status_code == 200
    except httpx.HTTPError:
        ok = False
    return wanted if ok else "/health/"


@contextlib.contextmanager
def running(server: servers.Server) -> Iterator[servers.Server]:
    try:
        yield server
    finally:
        server.process.stop()


def below_capacity(url: str, settings: Settings) -> Settings:
    """The settings with the fixed rate lowered to half of what ``url`` serves, if needed."""
    try:
        capacity = run_wrk(url, connections=settings.connections, seconds=1).requests_per_s
    except MeasureError:
        return settings
    return replace(settings, rate=max(1.0, min(settings.rate, capacity // 2)))


def run(settings: Settings, monolith_wanted: str, with_monolith: bool) -> list[Row]:
    rows: list[Row] = []
    steps = 5 + (4 if with_monolith else 0)
    with tempfile.TemporaryDirectory(prefix="bench-proxy-") as tmp, Progress(transient=True) as bar:
        work = Path(tmp)
        task = bar.add_task("flag store", total=steps)
        store = servers.bench_store(work)

        def section(
            label: str,
            upstream: servers.Server,
            path: str,
            opts: Settings,
            workers: tuple[int, ...],
        ) -> None:
            """The upstream direct, then nginx, our engine and mitmproxy in front of it."""
            title = f"{label} @{opts.rate:g}/s"
            nginx_dir = work / f"nginx-{len(rows)}"
            host = upstream.url.removeprefix("http://")
            proxies = [
                (
                    "nginx reverse proxy",
                    partial(servers.start_nginx, "nginx", nginx_dir, host, path),
                )
            ]
            for n in workers:
                engine = partial(servers.start_engine, work, upstream.url, store, n, path)
                proxies.append((f"strangler engine, {n}w", engine))
            proxies.append(
                ("mitmproxy engine", partial(servers.start_mitm, work, upstream.url, store, path))
            )
            bar.update(task, description=f"{label}: direct")
            rows.append(measure(title, f"direct ({upstream.name})", upstream, path, opts, "direct"))
            bar.advance(task)
            for name, start in proxies:
                bar.update(task, description=f"{label}: {name}")
                role = "reference" if name.startswith("nginx") else ""
                rows.append(measure_started(title, name, start, path, opts, role))
                bar.advance(task)

        bar.update(task, description="fast upstream: starting")
        with running(servers.start_fast_upstream(work)) as upstream:
            section("fast upstream", upstream, servers.FAST_PATH, settings, (1, 2))
        if with_monolith:
            bar.update(task, description="real monolith: migrate, seed, start")
            with running(servers.start_monolith(work)) as monolith:
                path = monolith_path(monolith.url, monolith_wanted)
                slow = below_capacity(monolith.url + path, settings)
                section(f"real monolith {path}", monolith, path, slow, (1,))
    return rows


@click.command()
@click.option("--seconds", default=5.0, show_default=True, help="wrk run per row (throughput)")
@click.option("--connections", default=32, show_default=True, help="wrk connections")
@click.option(
    "--rate",
    default=250.0,
    show_default=True,
    help="fixed rate for latency, req/s over 8 connections",
)
@click.option(
    "--latency-seconds", default=3.0, show_default=True, help="length of the fixed-rate run"
)
@click.option(
    "--monolith-path",
    default="/api/catalog/products/1/",
    show_default=True,
    help="monolith endpoint measured (its /health/ if this does not answer 200)",
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
    load_before = os.getloadavg()[0]
    rows = run(settings, monolith_path, monolith)
    caption = (
        f"wrk -t2 -c{connections} -d{seconds:g}s. Latency in ms at the section's fixed rate "
        "(at most half the monolith's capacity) over 8 keep-alive connections for "
        f"{latency_seconds:g}s, send to last byte; + = added to the direct row. "
        "nginx: 1 worker, pooled upstream keepalive. Peak: sum of VmHWM over the process tree. "
        f"1-min load average before the run: {load_before:.1f} on {os.cpu_count()} cores "
        "(other work skews every row).\nIssue 4 targets: engine 1w >= 50% of nginx, "
        "added p50 < 0.5 ms, monolith through the engine >= 90% of direct."
    )
    console = Console() if sys.stdout.isatty() else Console(width=170)
    console.print(render(rows, title="Proxy benchmark (loopback, one run)", caption=caption))


if __name__ == "__main__":
    main()
