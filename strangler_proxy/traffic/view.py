"""Rich rendering of a traffic summary: the live view during a run and the final table."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from strangler_proxy.traffic.spec import TrafficSpec
from strangler_proxy.traffic.stats import Summary

_CLASS_STYLE = {"2xx": "green", "3xx": "cyan", "4xx": "yellow", "5xx": "red", "failed": "red"}


def format_ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def headline(summary: Summary, spec: TrafficSpec) -> Table:
    grid = Table.grid(padding=(0, 2))
    classes = "  ".join(
        f"[{_CLASS_STYLE.get(name, 'dim')}]{name} {count}[/]"
        for name, count in summary.status_classes.items()
    )
    error_style = "bold red" if summary.errors else "green"
    grid.add_row(
        f"[bold]{summary.issued}[/] requests (max {spec.max_requests})",
        f"[bold]{summary.achieved_rate:.1f}[/]/s of {spec.rate:g}/s",
        classes or "[dim]no answers yet[/]",
        f"[{error_style}]{summary.errors} errors[/]",
    )
    for message, count in summary.error_messages.items():
        grid.add_row("", "", f"[red]{count} x {message}[/]", "")
    return grid


def steps_table(summary: Summary, title: str | None = None) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("step", no_wrap=True)
    table.add_column("requests", justify="right")
    table.add_column("errors", justify="right")
    table.add_column("statuses", overflow="fold")
    for name in ("p50 ms", "p95 ms", "p99 ms"):
        table.add_column(name, justify="right")
    for step in summary.steps:
        statuses = " ".join(f"{code}x{n}" for code, n in sorted(step.statuses.items()))
        table.add_row(
            step.step,
            str(step.count),
            f"[red]{step.errors}[/]" if step.errors else "0",
            statuses or "-",
            format_ms(step.p50_ms),
            format_ms(step.p95_ms),
            format_ms(step.p99_ms),
        )
    total = sum(s.count for s in summary.steps)
    table.add_section()
    table.add_row("[bold]all[/]", f"[bold]{total}[/]", f"[bold]{summary.errors}[/]", "", "", "", "")
    return table


class LiveView:
    """What ``rich.live.Live`` redraws: a clock bar, the headline and the per-step table."""

    def __init__(self, spec: TrafficSpec) -> None:
        self.spec = spec
        self.progress = Progress(
            TextColumn("[bold]traffic[/] -> " + spec.base_url),
            BarColumn(),
            TextColumn("{task.completed:.0f}/{task.total:.0f} s"),
            TimeElapsedColumn(),
        )
        self.clock = self.progress.add_task("run", total=spec.duration)

    def render(self, summary: Summary) -> RenderableType:
        self.progress.update(self.clock, completed=min(summary.elapsed, self.spec.duration))
        return Group(self.progress, headline(summary, self.spec), steps_table(summary))
