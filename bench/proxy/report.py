"""Benchmark rows and the rich table that shows them (pure: rows in, table out).

Ratios are to rows of the same run and of the same *round*: every round measures every row
of a section one after the other, so a row's ``vs nginx`` is the median over the rounds of
(its req/s / the reference row's req/s in that round), shown with the lowest and highest
round; ``vs direct`` likewise against the row marked ``direct``. Added latency is the row's
p50/p99 minus the direct row's in the same round at the same fixed rate, again the median
and the spread of the rounds. CPU is the row's process tree CPU time (user + system) per
request during its wrk runs: unlike req/s it hardly moves with the machine's other load.

>>> spread([0.5, 0.4, 0.6])
Spread(median=0.5, low=0.4, high=0.6, n=3)
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from rich.table import Table

from bench.proxy.measure import Latency, Throughput


@dataclass(frozen=True)
class RoundFigures:
    """One row's figures in one round (None: that measurement failed in that round)."""

    requests_per_s: float | None = None
    cpu_us: float | None = None  # process tree CPU per request during wrk, microseconds
    p50_ms: float | None = None
    p99_ms: float | None = None


@dataclass(frozen=True)
class Row:
    section: str  # rows compare to the direct/reference rows of their own section
    name: str
    throughput: Throughput | None = None
    latency: Latency | None = None
    peak_mib: float | None = None
    role: str = ""  # "direct", "reference" or ""
    note: str = ""  # why a row has no figures, or what to know about them
    rounds: tuple[RoundFigures, ...] = ()  # round k of every row of a section ran together


class Spread(NamedTuple):
    median: float
    low: float
    high: float
    n: int


def spread(values: Sequence[float]) -> Spread | None:
    """Median, lowest and highest of ``values`` (None when there are none)."""
    if not values:
        return None
    return Spread(statistics.median(values), min(values), max(values), len(values))


def spread_text(values: Sequence[float], shape: str) -> str:
    """``median [lowest-highest]``, each written with ``shape`` (``"{:.2f}"``)."""
    found = spread(values)
    if found is None:
        return "-"
    return f"{shape.format(found.median)} [{shape.format(found.low)}-{shape.format(found.high)}]"


Pick = Callable[[RoundFigures], float | None]


def per_round(
    row: Row, base: Row | None, pick: Pick, combine: Callable[[float, float], float | None]
) -> Spread | None:
    """``combine(row's figure, base's figure)`` for each round both have, summed up."""
    if base is None:
        return None
    values = []
    for mine, theirs in zip(row.rounds, base.rounds, strict=False):
        a, b = pick(mine), pick(theirs)
        combined = None if a is None or b is None else combine(a, b)
        if combined is not None:
            values.append(combined)
    return spread(values)


def _ratio_of(value: float, base: float) -> float | None:
    return value / base if base else None


def _added_to(value: float, base: float) -> float:
    return value - base


def _rps(r: RoundFigures) -> float | None:
    return r.requests_per_s


def _p50(r: RoundFigures) -> float | None:
    return r.p50_ms


def _p99(r: RoundFigures) -> float | None:
    return r.p99_ms


def ratio_vs(row: Row, base: Row | None) -> Spread | None:
    """The row's req/s as a share of ``base``'s, round by round."""
    return per_round(row, base, _rps, _ratio_of)


def added_p50(row: Row, direct: Row | None) -> Spread | None:
    return per_round(row, direct, _p50, _added_to)


def added_p99(row: Row, direct: Row | None) -> Spread | None:
    return per_round(row, direct, _p99, _added_to)


def cpu_per_request(row: Row) -> Spread | None:
    return spread([r.cpu_us for r in row.rounds if r.cpu_us is not None])


def _percent(s: Spread | None) -> str:
    if s is None:
        return "-"
    if s.n == 1:
        return f"{100 * s.median:.0f}%"
    return f"{100 * s.median:.0f}% {100 * s.low:.0f}-{100 * s.high:.0f}"


def _added_ms(s: Spread | None) -> str:
    if s is None:
        return "-"
    if s.n == 1:
        return f"{s.median:+.2f}"
    return f"{s.median:+.2f} {s.low:+.2f}..{s.high:+.2f}"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _first(rows: Sequence[Row], section: str, role: str) -> Row | None:
    return next((r for r in rows if r.section == section and r.role == role), None)


def render(rows: list[Row], *, title: str, caption: str) -> Table:
    """One line per row, sections apart; latencies in ms; ratio and ``+`` cells are the median
    of the rounds followed by the lowest and highest round."""
    table = Table(title=title, caption=caption, caption_justify="left")
    table.add_column("section")
    table.add_column("row")
    for header in (
        "req/s", "vs nginx", "vs direct", "p50", "p99", "+p50 ms", "+p99 ms", "CPU us/req",
        "peak MiB", "errors",
    ):  # fmt: skip
        table.add_column(header, justify="right")
    table.add_column("note")
    previous = None
    for row in rows:
        if previous is not None and row.section != previous:
            table.add_section()
        first_of_section, previous = row.section != previous, row.section
        direct = _first(rows, row.section, "direct")
        reference = _first(rows, row.section, "reference")
        rps = row.throughput.requests_per_s if row.throughput else None
        lat = row.latency
        errors = (row.throughput.errors if row.throughput else 0) + (lat.errors if lat else 0)
        measured = row.throughput is not None or lat is not None
        added = row is not direct
        cpu = cpu_per_request(row)
        table.add_row(
            row.section if first_of_section else "",
            row.name,
            "-" if rps is None else f"{rps:,.0f}",
            "100%" if row is reference else _percent(ratio_vs(row, reference)),
            "100%" if row is direct else _percent(ratio_vs(row, direct)),
            _ms(lat.p50_ms if lat else None),
            _ms(lat.p99_ms if lat else None),
            _added_ms(added_p50(row, direct)) if added else "",
            _added_ms(added_p99(row, direct)) if added else "",
            "-" if cpu is None else f"{cpu.median:.0f}",
            "-" if row.peak_mib is None else f"{row.peak_mib:.0f}",
            str(errors) if measured else "-",
            row.note,
        )
    return table


def summary(rows: list[Row]) -> list[str]:
    """One plain line per proxy row with the figures a target is judged by (for notes)."""
    lines = []
    for row in rows:
        if row.role == "direct" or not row.rounds:
            continue
        direct = _first(rows, row.section, "direct")
        reference = _first(rows, row.section, "reference")
        parts = [f"{row.section} | {row.name}:"]
        if row.role != "reference":
            parts.append(f"vs nginx {_percent(ratio_vs(row, reference))}")
        parts.append(f"vs direct {_percent(ratio_vs(row, direct))}")
        parts.append(f"+p50 {_added_ms(added_p50(row, direct))} ms")
        parts.append(f"+p99 {_added_ms(added_p99(row, direct))} ms")
        cpu = cpu_per_request(row)
        if cpu is not None:
            parts.append(f"CPU {cpu.median:.0f} us/req ({cpu.low:.0f}-{cpu.high:.0f})")
        parts.append(f"({len(row.rounds)} rounds)")
        lines.append(" ".join(parts))
    return lines
