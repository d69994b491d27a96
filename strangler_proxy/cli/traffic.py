"""``strangler traffic``: play realistic shop users against a base URL."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import click
from rich.console import Console
from rich.live import Live

from strangler_proxy.cli.tables import Column, Grid, show
from strangler_proxy.traffic.runner import Recorder, TargetUnusable, run_traffic
from strangler_proxy.traffic.spec import SpecError, TrafficSpec
from strangler_proxy.traffic.stats import Summary
from strangler_proxy.traffic.view import LiveView, format_ms, headline


@click.command()
@click.option("--target", required=True, help="Base URL, e.g. http://127.0.0.1:8000 or the proxy.")
@click.option("--duration", type=float, default=30.0, show_default=True, help="Seconds to run.")
@click.option("--rate", type=float, default=10.0, show_default=True, help="Requests per second.")
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same requests.")
@click.option(
    "--users",
    type=int,
    default=10,
    show_default=True,
    help="Virtual users (demo accounts customer0001...).",
)
@click.option(
    "--concurrency", type=int, default=32, show_default=True, help="Most requests in flight."
)
@click.option("--timeout", type=float, default=10.0, show_default=True, help="Seconds per request.")
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the summary as JSON to this file.",
)
@click.option(
    "--fail-on-error", is_flag=True, help="Exit 1 when any request failed or answered unexpectedly."
)
def traffic(
    target: str,
    duration: float,
    rate: float,
    seed: int,
    users: int,
    concurrency: int,
    timeout: float,
    json_path: Path | None,
    fail_on_error: bool,
) -> None:
    """Play seeded shop users (browse, search, review, cart, checkout, cancel) at a fixed rate.

    Requests leave on the clock (open loop): never more than DURATION x RATE of them, none
    after the deadline. Errors are answers with an unexpected status (any 5xx) and requests
    that got no answer.
    """
    try:
        spec = TrafficSpec.parse(
            target=target,
            duration=duration,
            rate=rate,
            seed=seed,
            users=users,
            concurrency=concurrency,
            timeout=timeout,
        )
    except SpecError as exc:
        raise click.BadParameter(exc.message, param_hint=f"'{exc.option}'") from exc
    console = Console()
    record = Recorder(spec.base_url)
    view = LiveView(spec)
    try:
        with Live(
            console=console,
            get_renderable=lambda: view.render(record.summary()),
            refresh_per_second=4,
            transient=True,
        ):
            summary = asyncio.run(run_traffic(spec, record))
    except TargetUnusable as exc:
        _report(console, exc.summary, spec, json_path)
        raise click.ClickException(str(exc)) from exc
    except KeyboardInterrupt:
        console.print("[yellow]interrupted: the summary so far[/]")
        _report(console, record.summary(), spec, json_path)
        raise click.exceptions.Exit(130) from None
    _report(console, summary, spec, json_path)
    if fail_on_error and summary.errors:
        raise click.ClickException(f"{summary.errors} of {summary.issued} requests were errors")


def steps_grid(summary: Summary, title: str) -> Grid:
    """The run's steps as a table that keeps the target URL and step names whole."""
    numbers = ("requests", "errors")
    latency = ("p50 ms", "p95 ms", "p99 ms")
    grid = Grid(
        title,
        (Column("step"), *(Column(n, right=True) for n in numbers),
         Column("statuses", keep=False), *(Column(n, right=True) for n in latency)),
    )  # fmt: skip
    for step in summary.steps:
        statuses = " ".join(f"{code}x{n}" for code, n in sorted(step.statuses.items()))
        grid.add(step.step, str(step.count), str(step.errors), statuses or "-",
                 *(format_ms(v) for v in (step.p50_ms, step.p95_ms, step.p99_ms)))  # fmt: skip
    grid.add("all", str(sum(s.count for s in summary.steps)), str(summary.errors), "", "", "", "")
    return grid


def _report(console: Console, summary: Summary, spec: TrafficSpec, json_path: Path | None) -> None:
    show(steps_grid(summary, f"traffic -> {spec.base_url}, seed {spec.seed}"), console)
    console.print(headline(summary, spec))
    if json_path is not None:
        payload = {
            "seed": spec.seed,
            "rate": spec.rate,
            "duration": spec.duration,
            "max_requests": spec.max_requests,
            "users": spec.users,
            "concurrency": spec.concurrency,
            **summary.to_json(),
        }
        json_path.write_text(json.dumps(payload, indent=2) + "\n")
        console.print(f"summary written to {json_path}", soft_wrap=True, highlight=False)
