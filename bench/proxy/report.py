"""Benchmark rows and the rich table that shows them (pure: rows in, table out).

Ratios are to rows of the same run: ``vs nginx`` to the row marked ``reference``, ``vs
direct`` to the row marked ``direct`` of the same section; added latency is the row's
p50/p99 minus the direct row's, at the same fixed rate.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.table import Table

from bench.proxy.measure import Latency, Throughput


@dataclass(frozen=True)
class Row:
    section: str  # rows compare to the direct/reference rows of their own section
    name: str
    throughput: Throughput | None = None
    latency: Latency | None = None
    peak_mib: float | None = None
    role: str = ""  # "direct", "reference" or ""
    note: str = ""  # why a row has no figures, or what to know about them


def _ratio(value: float | None, base: float | None) -> str:
    if value is None or not base:
        return "-"
    return f"{100 * value / base:.0f}%"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _added(value: float | None, base: float | None) -> str:
    if value is None or base is None:
        return "-"
    return f"{value - base:+.2f}"


def _first(rows: list[Row], section: str, role: str) -> Row | None:
    return next((r for r in rows if r.section == section and r.role == role), None)


def render(rows: list[Row], *, title: str, caption: str) -> Table:
    """One line per row, sections apart; latencies in ms, ``+`` columns added to direct."""
    table = Table(title=title, caption=caption, caption_justify="left")
    table.add_column("section")
    table.add_column("row")
    for header in (
        "req/s", "vs nginx", "vs direct", "p50", "p99", "+p50", "+p99", "peak MiB", "errors",
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
        base_direct = direct.throughput.requests_per_s if direct and direct.throughput else None
        base_ref = (
            reference.throughput.requests_per_s if reference and reference.throughput else None
        )
        lat, base_lat = row.latency, direct.latency if direct else None
        errors = (row.throughput.errors if row.throughput else 0) + (lat.errors if lat else 0)
        measured = row.throughput is not None or lat is not None
        added = row is not direct
        table.add_row(
            row.section if first_of_section else "",
            row.name,
            "-" if rps is None else f"{rps:,.0f}",
            _ratio(rps, base_ref),
            _ratio(rps, base_direct),
            _ms(lat.p50_ms if lat else None),
            _ms(lat.p99_ms if lat else None),
            _added(lat.p50_ms if lat else None, base_lat.p50_ms if base_lat else None)
            if added
            else "",
            _added(lat.p99_ms if lat else None, base_lat.p99_ms if base_lat else None)
            if added
            else "",
            "-" if row.peak_mib is None else f"{row.peak_mib:.0f}",
            str(errors) if measured else "-",
            row.note,
        )
    return table
