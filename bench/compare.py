"""``python -m bench.compare``: the diff engine beside deepdiff and a plain compare, one core.

Two workloads shaped like the monolith's product list: a typical ~2 KB pair (one price
changed) compared again and again, and a ~1 MB pair with 52 changed names. Every row parses
both bodies from bytes on each pair, as the proxy and ``strangler compare`` do. Rows:

- ``strangler`` with the rules a route would carry (an ignored timestamp glob, results
  unordered by ``id``, prices as decimal strings) and with none;
- ``deepdiff`` (the maintained library), with the equivalent ``exclude_regex_paths`` and
  ``ignore_order`` where rules are on;
- ``plain``: a bare recursive compare with the standard library's parser, no paths kept
  beyond the differing ones, no rules (the floor a hand-written loop reaches).

Rounds are interleaved so the machine's other work moves every row alike; each figure is
the median of the rounds with the lowest and highest, and the ratio to deepdiff taken round
by round. Figures, never pass/fail.
"""

from __future__ import annotations

import copy
import json
import os
import random
import time
from collections.abc import Callable
from typing import Any

import click
import orjson
from deepdiff import DeepDiff
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bench.proxy.report import spread_text
from strangler_proxy.compare.diff import diff_json
from strangler_proxy.compare.rules import Rules, Unordered

RULES = Rules(
    ignore=("$.results[*].created_at",),
    unordered=(Unordered("$.results", key="id"),),
    numeric_strings=("$..price",),
).compile()
DEEPDIFF_RULES: dict[str, Any] = {
    "exclude_regex_paths": [r"root\['results'\]\[\d+\]\['created_at'\]"],
    "ignore_order": True,
}


def product(n: int) -> dict[str, Any]:
    return {
        "id": n,
        "sku": f"SKU-{n:05d}",
        "name": f"Product {n}",
        "price": f"{n % 100}.50",
        "category": {"id": n % 7, "name": f"Category {n % 7}", "slug": f"category-{n % 7}"},
        "tags": ["new", "sale", "eco"][: n % 4],
        "in_stock": n % 3 != 0,
        "rating": round(3 + (n % 20) / 10, 1),
        "created_at": f"2026-01-{1 + n % 28:02d}T10:00:00Z",
    }


def pair(count: int, changes: int, seed: int = 1) -> tuple[bytes, bytes]:
    page: dict[str, Any] = {
        "count": count,
        "next": None,
        "previous": None,
        "results": [product(n) for n in range(count)],
    }
    other = copy.deepcopy(page)
    for n in random.Random(seed).sample(range(count), changes):
        other["results"][n]["name"] += " (new)"
    return orjson.dumps(page), orjson.dumps(other)


def plain(a: Any, b: Any, path: str = "$", out: list[str] | None = None) -> list[str]:
    out = [] if out is None else out
    if isinstance(a, dict) and isinstance(b, dict):
        for key in a.keys() | b.keys():
            plain(a.get(key), b.get(key), f"{path}.{key}", out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            plain(x, y, f"{path}[{i}]", out)
    elif a != b or type(a) is not type(b):
        out.append(path)
    return out


Row = Callable[[bytes, bytes], object]
ROWS: dict[str, Row] = {
    "strangler, rules": lambda a, b: diff_json(orjson.loads(a), orjson.loads(b), RULES),
    "strangler, no rules": lambda a, b: diff_json(orjson.loads(a), orjson.loads(b)),
    "deepdiff, rules": lambda a, b: DeepDiff(json.loads(a), json.loads(b), **DEEPDIFF_RULES),
    "deepdiff, no rules": lambda a, b: DeepDiff(json.loads(a), json.loads(b)),
    "plain recursive": lambda a, b: plain(json.loads(a), json.loads(b)),
}


def seconds_per_pair(row: Row, a: bytes, b: bytes, budget: float) -> float:
    done, started = 0, time.perf_counter()
    while True:
        row(a, b)
        done += 1
        elapsed = time.perf_counter() - started
        if elapsed >= budget:
            return elapsed / done


@click.command()
@click.option("--rounds", default=5, show_default=True)
@click.option("--budget", default=0.5, show_default=True, help="seconds per row per round")
def main(rounds: int, budget: float) -> None:
    console = Console()
    workloads = {"2 KB pair": pair(8, 1), "1 MB pair, 52 changes": pair(4000, 52)}
    for name, (a, b) in workloads.items():
        console.print(f"{name}: {len(a):,} and {len(b):,} bytes")
    figures: dict[tuple[str, str], list[float]] = {}
    for n in range(rounds):
        console.print(f"round {n + 1}/{rounds}", style="dim")
        for workload, (a, b) in workloads.items():
            for row, run in ROWS.items():
                figures.setdefault((workload, row), []).append(seconds_per_pair(run, a, b, budget))
    for workload in workloads:
        table = Table(title=escape(f"{workload}: median of {rounds} rounds [lowest-highest]"))
        for column in ("row", "pairs/s", "ms per pair", "x deepdiff, rules"):
            table.add_column(column, justify="left" if column == "row" else "right", no_wrap=True)
        baseline = figures[(workload, "deepdiff, rules")]
        for row in ROWS:
            times = figures[(workload, row)]
            speedups = [base / mine for base, mine in zip(baseline, times, strict=True)]
            table.add_row(
                row,
                spread_text([1 / t for t in times], "{:,.1f}"),
                spread_text([t * 1000 for t in times], "{:.2f}"),
                spread_text(speedups, "{:.1f}"),
            )
        console.print(table)
    for workload in workloads:  # the same figures as lines, for notes (never cut)
        baseline = figures[(workload, "deepdiff, rules")]
        for row in ROWS:
            times = figures[(workload, row)]
            speedups = [base / mine for base, mine in zip(baseline, times, strict=True)]
            rate = spread_text([1 / t for t in times], "{:,.1f}")
            ms = spread_text([t * 1000 for t in times], "{:.2f}")
            x = spread_text(speedups, "{:.1f}")
            line = f"{workload} | {row}: {rate} pairs/s, {ms} ms per pair, x{x} deepdiff with rules"
            console.print(escape(line), soft_wrap=True)
    console.print(f"load average {os.getloadavg()[0]:.2f}; one core, parsing included")


if __name__ == "__main__":
    main()
