"""``python -m bench.proxy``: the proxy benchmark, one command, on loopback, ~2-3 minutes.

Rows: a fast upstream direct, nginx as reverse proxy (the reference), our engine with one
and two workers, the mitmproxy engine; the identity exchange (``identity``: a service route
with a credential, its token cached and uncached, against the same engine and route without
one, the ``direct`` of that section); tracing (``tracing``: the engine with tracing on,
every request sampled and one in ten, against the same engine with it off); then the real
monolith (gunicorn) direct, through nginx, our engine and mitmproxy. Per row: wrk throughput
(-c32), latency at a fixed rate below saturation over 8 connections, CPU per request and
peak memory, measured in interleaved rounds (``runner``); ratios and added latency are taken
round by round and shown as the median with the lowest and highest round, then repeated as
plain lines for notes. It installs nothing: without nginx or wrk (``apt-get install -y nginx
wrk``) or the mitmproxy env (``make mitm``) the rows that need them say so. Figures are
ratios to rows of the same run, never pass/fail.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import click
from rich.console import Console

from bench.proxy.report import render, summary
from bench.proxy.runner import Settings, run


@click.command()
@click.option("--seconds", default=10.0, show_default=True, help="wrk seconds per row, all rounds")
@click.option("--connections", default=32, show_default=True, help="wrk connections")
@click.option("--rate", default=250.0, show_default=True, help="latency run: req/s over 8 conns")
@click.option(
    "--latency-seconds", default=5.0, show_default=True, help="latency-run seconds per row"
)
@click.option("--rounds", default=5, show_default=True, help="interleaved rounds over the rows")
@click.option(
    "--threads",
    default=2,
    show_default=True,
    help="wrk threads; on a small machine they take cores from the servers measured",
)
@click.option(
    "--monolith-path",
    default="/api/catalog/products/1/",
    show_default=True,
    help="monolith endpoint measured (its /health/ if this does not answer 200)",
)
@click.option("--monolith/--no-monolith", default=True, help="also measure the real monolith")
@click.option(
    "--identity/--no-identity",
    default=True,
    help="also measure the identity exchange (cached and uncached) against the same route "
    "without a credential",
)
@click.option(
    "--tracing/--no-tracing",
    default=True,
    help="also measure tracing's cost (span files, sample 1.0 and 0.1) against it off",
)
@click.option(
    "--monolith-layout",
    default="1x8",
    show_default=True,
    help=(
        "gunicorn WORKERSxTHREADS of the monolith. With 2 workers the kernel splits kept-alive "
        "connections between them by chance and direct throughput alone swings 200-570 req/s "
        "between runs; one worker measures the proxies steadily"
    ),
)
def main(
    seconds: float,
    connections: int,
    rate: float,
    latency_seconds: float,
    rounds: int,
    threads: int,
    monolith_path: str,
    monolith: bool,
    monolith_layout: str,
    identity: bool,
    tracing: bool,
) -> None:
    """Throughput, added latency and peak memory of the proxies, as ratios to nginx and direct."""
    try:
        settings = Settings(seconds, connections, rate, latency_seconds, rounds, threads=threads)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    layout = parse_layout(monolith_layout)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-proxy-") as tmp:
        rows = run(
            settings, monolith_path, monolith, Path(tmp), layout,
            with_identity=identity, with_tracing=tracing,
        )  # fmt: skip
    load_after = os.getloadavg()[0]
    caption = (
        f"wrk -t{threads} -c{connections}, {rounds} rounds of {seconds / rounds:g}s per row, "
        "rows interleaved; req/s: median of the rounds; 'vs' and '+' cells: median of the "
        "per-round figures, then the lowest and highest round. Latency in ms at the section's "
        "fixed rate (at most half the monolith's capacity) over 8 keep-alive connections, "
        f"{latency_seconds:g}s per row, send to last byte; + = added to the direct row in the "
        "same round. CPU: the row's process tree, user + system, per request under wrk. nginx: "
        "1 worker, pooled upstream keepalive. Peak: sum of VmHWM over the process tree. 1-min "
        f"load average before/after: {load_before:.1f}/{load_after:.1f} on {os.cpu_count()} "
        "cores (other work on the machine moves req/s; CPU per request moves much less).\n"
        "Identity section: its direct row is the engine on the same service route without a "
        "credential; the ID provider answers as fast as the upstream (no signing).\n"
        "Tracing section: its direct row is the engine with tracing off; on: span files, "
        "parentbased_traceidratio, wrk sends no traceparent (the proxy starts each trace).\n"
        "Targets: engine 1w >= 50% of nginx, added p50 < 0.5 ms, monolith through the engine "
        ">= 90% of direct."
    )
    console = Console() if sys.stdout.isatty() else Console(width=190)
    console.print(render(rows, title="Proxy benchmark (loopback, one run)", caption=caption))
    for line in summary(rows):
        click.echo(line)


def parse_layout(text: str) -> tuple[int, int]:
    """``"1x8"`` -> ``(1, 8)``: gunicorn workers and threads per worker."""
    workers, _, threads = text.lower().partition("x")
    if not (workers.isdigit() and threads.isdigit() and int(workers) > 0 and int(threads) > 0):
        raise click.BadParameter(
            f"{text!r}: expected WORKERSxTHREADS, e.g. 1x8", param_hint="--monolith-layout"
        )
    return int(workers), int(threads)


if __name__ == "__main__":
    main()
