"""Every table the CLI prints: identifiers, URLs, templates, dates and commands stay whole.

A ``Column`` is either *kept* (the default: never cut, never wrapped, so it can be copied
and typed next) or free text (``keep=False``: reasons and notes wrap between words, never
inside one). ``show`` prints:

- to a pipe or a file: plain aligned text (columns padded with spaces, no box drawing, no
  width limit), one line per row (a cell with several lines gets several);
- to a terminal: a rich table, its column widths computed here (``layout``: kept columns
  at their widest line, free ones at least their longest word) and checked by rendering it
  off screen; if it cannot fit, the caller's narrower grid (``narrow``: e.g. a template
  under its route id), then one record per block (``header: value`` lines, soft-wrapped so
  a long URL stays one line for copy and paste).

``TTY_COMPATIBLE=1`` and ``COLUMNS=80`` in the environment make rich treat any output as an
80-column terminal: that is how the tests see what a user sees.

>>> grid = Grid("Routes", (Column("route"), Column("reason", keep=False)))
>>> grid.add("product-detail", "first 5%")
>>> print("\\n".join(plain_lines(grid)))
Routes
route           reason
product-detail  first 5%
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

#: Free-text columns are never narrower than this, their longest word or their text.
FREE_MIN_WIDTH = 10
#: Spaces between two columns of the terminal table.
GAP = 2


@dataclass(frozen=True)
class Column:
    header: str
    keep: bool = True  # False: free text that may wrap (reasons, notes)
    right: bool = False  # right-aligned (numbers)
    styles: Mapping[str, str] = field(default_factory=dict)  # first word -> rich style
    style: str = ""  # every cell of the column (terminal only)


@dataclass
class Grid:
    """A table as data: a title, columns and rows of plain strings ("\\n" separates lines)."""

    title: str
    columns: Sequence[Column]
    rows: list[tuple[str, ...]] = field(default_factory=list)
    show_header: bool = True

    def add(self, *cells: str) -> None:
        if len(cells) != len(self.columns):
            raise ValueError(f"{len(cells)} cells for {len(self.columns)} columns")
        self.rows.append(cells)


def show(grid: Grid, console: Console | None = None, *, narrow: Grid | None = None) -> None:
    """Print ``grid`` on ``console`` (default: stdout) in the form that suits it; on a
    terminal too narrow for it, ``narrow`` (the same rows, fewer columns) is tried next."""
    console = console or Console()
    if not console.is_terminal:
        for line in plain_lines(grid):
            console.out(line, highlight=False)
        return
    for candidate in (grid, narrow):
        widths = None if candidate is None else layout(candidate, console.width)
        if candidate is not None and widths is not None:
            table = _rich_table(candidate, widths)
            if _keeps_whole(candidate, table, console.width):
                console.print(Text(candidate.title, style="bold"), soft_wrap=True)
                console.print(table)
                return
    console.print(Text(grid.title, style="bold"), soft_wrap=True)
    for line in block_lines(grid, console.width) if grid.show_header else plain_lines(grid)[1:]:
        console.print(Text(line), soft_wrap=True)


def plain_lines(grid: Grid) -> list[str]:
    """The title, the header and every row, columns padded to their widest line (pure)."""
    header = [tuple(c.header for c in grid.columns)] if grid.show_header else []
    rows = [tuple(cell.split("\n") for cell in row) for row in [*header, *grid.rows]]
    widths = [
        max((cell_len(x) for row in rows for x in row[i]), default=0)
        for i in range(len(grid.columns))
    ]
    lines = [grid.title] if grid.title else []
    for row in rows:
        for n in range(max((len(cell) for cell in row), default=1)):
            parts = []
            for column, cell, width in zip(grid.columns, row, widths, strict=True):
                text = cell[n] if n < len(cell) else ""
                pad = " " * (width - cell_len(text))
                parts.append(pad + text if column.right else text + pad)
            lines.append("  ".join(parts).rstrip())
    return lines


def block_lines(grid: Grid, width: int | None = None) -> list[str]:
    """One block per row: ``header: value`` lines, continuation lines indented; free text
    wrapped between words to ``width``, kept values never (pure)."""
    labels = [c.header or f"#{i + 1}" for i, c in enumerate(grid.columns)]
    indent = max((cell_len(label) for label in labels), default=0) + 2
    lines: list[str] = []
    for row in grid.rows:
        lines.append("")
        for column, label, cell in zip(grid.columns, labels, row, strict=True):
            values = cell.split("\n")
            if not column.keep and width is not None:
                values = [x for value in values for x in _words(value, width - indent)]
            first, *more = values
            lines.append(f"{label + ':':<{indent}}{first}")
            lines.extend(" " * indent + line for line in more)
    return lines


def _words(text: str, width: int) -> list[str]:
    """``text`` wrapped between words only (a long word, a URL, overflows instead)."""
    lines = textwrap.wrap(text, max(width, 20), break_long_words=False, break_on_hyphens=False)
    return lines or [""]


def layout(grid: Grid, width: int) -> list[int] | None:
    """Column widths that fit ``width``: kept columns at their widest line, free ones at
    least their longest word (and FREE_MIN_WIDTH), the rest shared out; None when even
    that is too wide (pure; rich's own shrinking would crop)."""
    natural = _natural_widths(grid)
    room = width - GAP * (len(natural) - 1)
    least = [
        w if c.keep else _free_min_width(grid, i, w)
        for i, (c, w) in enumerate(zip(grid.columns, natural, strict=True))
    ]
    spare = room - sum(least)
    if spare < 0:
        return None
    widths = list(least)
    while spare > 0:  # one character at a time to the free column that lacks the most
        lacking = [(natural[i] - widths[i], i) for i in range(len(widths))]
        short, i = max(lacking)
        if short <= 0:
            break
        widths[i] += 1
        spare -= 1
    return widths


def _rich_table(grid: Grid, widths: Sequence[int]) -> Table:
    table = Table(  # no title: rich would wrap it to the table's width, ids and all
        show_header=grid.show_header,
        box=box.SIMPLE_HEAD,  # no vertical rules: more room, and a clean copy of a row
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
    )
    for column, width in zip(grid.columns, widths, strict=True):
        table.add_column(
            Text(column.header, style="bold"),
            justify="right" if column.right else "left",
            no_wrap=column.keep,
            width=width,
            overflow="ellipsis" if column.keep else "fold",
            style=column.style or None,
        )
    for row in grid.rows:
        table.add_row(
            *(
                Text(cell, style=c.styles.get(cell.split(" ", 1)[0], ""))
                for c, cell in zip(grid.columns, row, strict=True)
            )
        )
    return table


def _free_min_width(grid: Grid, i: int, natural: int) -> int:
    longest = max((cell_len(word) for row in grid.rows for word in row[i].split()), default=0)
    return min(natural, max(longest, FREE_MIN_WIDTH))


def _natural_widths(grid: Grid) -> list[int]:
    header = [c.header for c in grid.columns] if grid.show_header else []
    cells = [header, *grid.rows] if header else grid.rows
    return [
        max((cell_len(line) for row in cells for line in row[i].split("\n")), default=0)
        for i in range(len(grid.columns))
    ]


def _keeps_whole(grid: Grid, table: Table, width: int) -> bool:
    """Render once off screen: no line wider than the screen, every line of a kept cell and
    every word of a free cell on one line."""
    buffer = io.StringIO()
    Console(file=buffer, width=width, color_system=None, legacy_windows=False).print(table)
    rendered = buffer.getvalue().splitlines()
    if any(cell_len(line) > width for line in rendered):
        return False
    for row in grid.rows:
        for column, cell in zip(grid.columns, row, strict=True):
            pieces = cell.split("\n") if column.keep else cell.split()
            if not all(any(piece in out for out in rendered) for piece in pieces):
                return False
    return True
