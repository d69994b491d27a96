"""``strangler reconcile``: the monolith's rows against a service's, the data-side twin of
``strangler compare``.

Exit status 0 when both sides hold the same rows, 1 on drift, 2 when a database cannot be
read (named with its option).
"""

from __future__ import annotations

from pathlib import Path

import click
import orjson
from rich.console import Console

from strangler_proxy.cli.tables import Column, Grid, show
from strangler_proxy.reconcile.catalog import reconcile_catalog
from strangler_proxy.reconcile.diff import KindDrift, Status, shown, to_json
from strangler_proxy.reconcile.readers import ReconcileError, Side

#: Rows listed per kind unless ``--limit`` says otherwise (``--json`` lists every one).
DEFAULT_LIMIT = 20


@click.group()
def reconcile() -> None:
    """Compare a service's data with the monolith's (read-only connections to both)."""


@reconcile.command("catalog")
@click.option(
    "--var-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("var"),
    show_default=True, help="`strangler up`'s var dir: where the default databases are.",
)  # fmt: skip
@click.option(
    "--monolith-db", metavar="URL",
    help="The monolith's database: sqlite:///PATH or postgresql://... "
    "[default: sqlite:///VAR/monolith.sqlite3]",
)  # fmt: skip
@click.option(
    "--service-db", metavar="URL",
    help="The catalog service's database [default: sqlite:///VAR/catalog/catalog.sqlite3]",
)  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print every kind and differing row as JSON.")
@click.option(
    "--limit", type=click.IntRange(1), default=DEFAULT_LIMIT, show_default=True,
    help="Differing rows listed per kind.",
)  # fmt: skip
def catalog(
    var_dir: Path, monolith_db: str | None, service_db: str | None, as_json: bool, limit: int
) -> None:
    """Categories, products (tags included), price history and reviews: counts, a checksum
    per kind over canonical rows, then the rows that differ, field by field."""
    monolith_db = monolith_db or _sqlite(var_dir, "monolith.sqlite3")
    service_db = service_db or _sqlite(var_dir, "catalog", "catalog.sqlite3")
    monolith, service = (
        Side("monolith", "--monolith-db", monolith_db),
        Side("service", "--service-db", service_db),
    )
    try:
        drifts = reconcile_catalog(monolith, service)
    except ReconcileError as exc:
        raise click.BadParameter(str(exc), param_hint=f"'{exc.option}'") from exc
    drifted = any(d.drifted for d in drifts)
    if as_json:
        found = {"drift": drifted, "kinds": [to_json(d) for d in drifts]}
        click.echo(orjson.dumps(found, option=orjson.OPT_INDENT_2).decode())
    else:
        _print(drifts, limit)
    if drifted:
        raise click.exceptions.Exit(1)


def _rows(count: int) -> str:
    return f"{count} row" if count == 1 else f"{count} rows"


def _sqlite(var_dir: Path, *parts: str) -> str:
    return f"sqlite:///{var_dir.joinpath(*parts)}"


def _print(drifts: list[KindDrift], limit: int) -> None:
    console = Console()
    summary = Grid(
        "Catalog: monolith against service",
        (Column("kind"), Column("monolith", right=True), Column("service", right=True),
         Column("monolith checksum"), Column("service checksum"),
         Column("result", styles={"same": "green", "drift:": "red"})),
    )  # fmt: skip
    for d in drifts:
        result = f"drift: {_rows(len(d.rows))}" if d.drifted else "same"
        summary.add(
            d.kind.name, str(d.monolith_count), str(d.service_count),
            d.monolith_checksum[:12], d.service_checksum[:12], result,
        )  # fmt: skip
    show(summary, console)
    for d in drifts:
        if d.rows:
            console.out("")
            show(_rows_grid(d, limit), console)
            if len(d.rows) > limit:
                console.out(f"... and {len(d.rows) - limit} more (--limit, --json)")


def _rows_grid(drift: KindDrift, limit: int) -> Grid:
    """One line per differing field; a row missing on one side lists its fields."""
    grid = Grid(
        f"{drift.kind.name}: {_rows(len(drift.rows))} differ{'s' if len(drift.rows) == 1 else ''}",
        (Column("id", right=True), Column("status"), Column("field"),
         Column("monolith", keep=False), Column("service", keep=False)),
    )  # fmt: skip
    for row in drift.rows[:limit]:
        if row.status is Status.DIFFERS:
            pairs = [(name, shown(a), shown(b)) for name, (a, b) in row.fields.items()]
        else:
            here = row.status is Status.MISSING_IN_SERVICE
            pairs = [
                (name, shown(v) if here else "-", "-" if here else shown(v))
                for name, v in row.row.items()
                if name != "id"
            ]
        names, mine, theirs = zip(*pairs, strict=True) if pairs else ((), (), ())
        grid.add(
            str(row.ident), row.status.value.replace("_", " "),
            "\n".join(names), "\n".join(mine), "\n".join(theirs),
        )  # fmt: skip
    return grid
