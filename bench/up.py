"""``python -m bench.up``: how long ``strangler up`` takes to be ready, as a user meets it.

The whole command, from launch to its welcome table (every process up and healthy), then
Ctrl-C and the time to stop. Rows, each with its own var dir kept across rounds:

- ``--no-tracing``: no span files (the baseline);
- ``default``: every process traced to ``var/traces`` and serving its metrics;
- ``--prometheus``: the default and a Prometheus server scraping the stack (when installed).

The first round of a row makes its var dir (migrate, seed, analysis, backfill): shown apart
as the cold start. The later rounds start on the data the first one left, the usual case;
rows are interleaved and rotated so the machine's other work moves them alike. Each warm
figure is the median of the rounds with the lowest and highest, and the ratio to the
baseline is taken round by round. Figures, never pass/fail.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bench.proxy.report import spread_text
from strangler_proxy.stack.process import free_port
from strangler_proxy.stack.prometheus import DEBIAN_BINARY

STRANGLER = Path(sys.executable).parent / "strangler"
READY = "strangler traffic --target"  # the welcome table's last line
PORT_OPTIONS = (
    "--monolith-port", "--proxy-port", "--admin-port", "--catalog-port",
    "--notifications-port", "--relay-metrics-port", "--deliverer-metrics-port",
    "--prometheus-port",
)  # fmt: skip


@dataclass
class Row:
    name: str
    options: tuple[str, ...]
    cold: float | None = None
    ready: list[float] = field(default_factory=list)
    stopped: list[float] = field(default_factory=list)


def ports() -> list[str]:
    taken: set[int] = set()
    while len(taken) < len(PORT_OPTIONS):
        taken.add(free_port())
    pairs = zip(PORT_OPTIONS, sorted(taken), strict=True)
    return [arg for option, port in pairs for arg in (option, str(port))]


def start_once(
    var_dir: Path, options: tuple[str, ...], timeout: float = 300
) -> tuple[float, float]:
    """Seconds from launch to the welcome table, and from Ctrl-C to the exit."""
    argv = [str(STRANGLER), "up", "--seed-size", "tiny", "--var-dir", str(var_dir), *ports()]
    began = time.perf_counter()
    up = subprocess.Popen(
        [*argv, *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "250"},
    )
    ready = threading.Event()
    lines: list[str] = []

    def read() -> None:
        assert up.stdout is not None
        for line in up.stdout:
            lines.append(line)
            if READY in line:
                ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        while not ready.wait(0.05):
            if up.poll() is not None or time.perf_counter() - began > timeout:
                raise click.ClickException(
                    f"strangler up {' '.join(options)} was not ready:\n{''.join(lines[-30:])}"
                )
        took = time.perf_counter() - began
        stopping = time.perf_counter()
        up.send_signal(signal.SIGINT)
        up.wait(60)
        return took, time.perf_counter() - stopping
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()
        reader.join(5)


def rows(prometheus: bool) -> list[Row]:
    found = [Row("--no-tracing", ("--no-tracing",)), Row("default (traced)", ())]
    if prometheus and (shutil.which("prometheus") or DEBIAN_BINARY.exists()):
        found.append(Row("--prometheus", ("--prometheus",)))
    return found


@click.command()
@click.option("--rounds", default=5, show_default=True, help="Warm starts per row.")
@click.option("--prometheus/--no-prometheus", default=True, show_default=True,
              help="A row with --prometheus (none when Prometheus is not installed).")  # fmt: skip
def main(rounds: int, prometheus: bool) -> None:
    console = Console()
    table_rows = rows(prometheus)
    with tempfile.TemporaryDirectory(prefix="bench-up-") as work, console.status("") as status:
        for number in range(rounds + 1):
            shift = number % len(table_rows)
            for row in table_rows[shift:] + table_rows[:shift]:
                status.update(f"round {number} of {rounds}: strangler up {row.name}")
                var_dir = Path(work) / row.name.split()[0].strip("-")
                ready, stopped = start_once(var_dir, row.options)
                if number == 0:
                    row.cold = ready
                else:
                    row.ready.append(ready)
                    row.stopped.append(stopped)
    base = table_rows[0]
    table = Table(title=escape(f"strangler up: launch to ready, {rounds} warm starts a row "
                               f"(load {os.getloadavg()[0]:.1f})"))  # fmt: skip
    for column in ("row", "cold start s", "warm start s", "x --no-tracing", "Ctrl-C to exit s"):
        table.add_column(column, justify="left" if column == "row" else "right")
    for row in table_rows:
        ratios = [mine / theirs for mine, theirs in zip(row.ready, base.ready, strict=True)]
        table.add_row(
            row.name,
            f"{row.cold:.1f}" if row.cold is not None else "-",
            escape(spread_text(row.ready, "{:.2f}")),
            escape(spread_text(ratios, "{:.2f}")),
            escape(spread_text(row.stopped, "{:.2f}")),
        )
    console.print(table)


if __name__ == "__main__":
    main()
