"""The table module on its own: what each form keeps whole, at a fixed width."""

from __future__ import annotations

import io
import re

from rich.console import Console

from strangler_proxy.cli.tables import Column, Grid, layout, plain_lines, show

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
TEMPLATE = "/api/inventory/reservations/{pk}/release/"


def grid(title: str = "Routes") -> Grid:
    g = Grid(title, (Column("route"), Column("template"), Column("reason", keep=False)))
    g.add("reservation-release", TEMPLATE, "give back what a cancelled order held in stock")
    g.add("cart", "/api/orders/cart/", "-")
    return g


def on_terminal(g: Grid, width: int) -> list[str]:
    console = Console(file=io.StringIO(), width=width, force_terminal=True)
    show(g, console)
    assert isinstance(console.file, io.StringIO)
    return ANSI.sub("", console.file.getvalue()).splitlines()


def test_piped_rows_are_aligned_and_multi_line_cells_continue_below() -> None:
    g = Grid("Services", (Column("service"), Column("instances")))
    g.add("catalog", "http://127.0.0.1:8101\nhttp://127.0.0.1:8102")
    assert plain_lines(g) == [
        "Services",
        "service  instances",
        "catalog  http://127.0.0.1:8101",
        "         http://127.0.0.1:8102",
    ]


def test_a_table_when_it_fits_free_text_wrapped_between_words() -> None:
    lines = on_terminal(grid(), 80)
    row = next(line for line in lines if "reservation-release" in line)
    assert TEMPLATE in row
    words = " ".join(" ".join(lines).split())
    assert "give back what a cancelled order held in stock" in words
    assert all(len(line) <= 80 for line in lines)


def test_blocks_when_the_kept_columns_alone_are_too_wide() -> None:
    assert layout(grid(), 50) is None
    lines = on_terminal(grid(), 50)
    assert "route:    reservation-release" in lines
    assert f"template: {TEMPLATE}" in lines
    assert "reason:   give back what a cancelled order held in" in lines
    assert "          stock" in lines


def test_the_title_is_never_wrapped_to_the_tables_width() -> None:
    title = "History of shipment-dispatch-shipment-and-a-few-more-words (newest first)"
    g = Grid(title, (Column("v"), Column("who")))
    g.add("1", "alice")
    assert title in on_terminal(g, 40)


def test_a_narrower_grid_is_tried_before_blocks() -> None:
    stacked = Grid("Routes", (Column("route / template"), Column("reason", keep=False)))
    stacked.add(f"reservation-release\n{TEMPLATE}", "give back what a cancelled order held")
    console = Console(file=io.StringIO(), width=60, force_terminal=True)
    show(grid(), console, narrow=stacked)
    assert isinstance(console.file, io.StringIO)
    lines = ANSI.sub("", console.file.getvalue()).splitlines()
    assert lines[1].split() == ["route", "/", "template", "reason"]
    assert any(line.strip().startswith(TEMPLATE) for line in lines)
