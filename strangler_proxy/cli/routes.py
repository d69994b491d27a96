"""``strangler routes``: list, set and audit route flags; import them from the monolith."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from strangler_proxy.cli._admin import admin_client, admin_options, describe_flag
from strangler_proxy.cli.listings import history_grid, routes_grid
from strangler_proxy.cli.tables import Column, Grid, show
from strangler_proxy.routing import Mode

STORE_ENV = "STRANGLER_STORE"


@click.group()
def routes() -> None:
    """Route flags: who answers each endpoint (monolith, shadow, canary N%, service)."""


@routes.command("list")
@admin_options
@click.option("--json", "as_json", is_flag=True, help="Print the admin API's JSON.")
def list_routes(admin_url: str, token: str | None, as_json: bool) -> None:
    """Every route in precedence order (the first that matches a request wins)."""
    with admin_client(admin_url, token) as client:
        listing = client.routes()
    if as_json:
        click.echo(json.dumps(listing, indent=2))
        return
    show(routes_grid(listing), narrow=routes_grid(listing, stacked=True))


@routes.command("set")
@admin_options
@click.argument("route_id", metavar="ROUTE")
@click.argument("mode", type=click.Choice([m.value for m in Mode]))
@click.option(
    "--percent",
    type=click.IntRange(0, 100),
    help="canary only (required): share of clients, 0..100.",
)
@click.option("--service", help="Target service (default: the route's current one).")
@click.option("--reason", required=True, help="Why: kept in the audit log.")
@click.option(
    "--shadow-writes/--no-shadow-writes",
    default=None,
    help="shadow: copy POST/PUT/PATCH/DELETE to the service too (a disposable one only).",
)
@click.option(
    "--force", is_flag=True, help="Past the promotion gate (the reason says why; audited)."
)
def set_route(
    admin_url: str,
    token: str | None,
    route_id: str,
    mode: str,
    percent: int | None,
    service: str | None,
    reason: str,
    shadow_writes: bool | None,
    force: bool,
) -> None:
    """Flip ROUTE to MODE (monolith, shadow, canary, service).

    canary needs --percent (the share of clients sent to the service); no other mode takes one.
    A move to canary or service passes the promotion gate: the route's shadow evidence must
    meet its bar (strangler diffs show ROUTE), unless --force.
    """
    if shadow_writes is not None and mode != Mode.SHADOW.value:
        raise click.BadParameter(
            f"only shadow copies writes, not {mode}", param_hint="'--shadow-writes'"
        )
    if mode == Mode.CANARY.value and percent is None:
        raise click.BadParameter(
            "canary needs a share: add --percent N (0..100 of clients)", param_hint="'--percent'"
        )
    if mode != Mode.CANARY.value and percent is not None:
        raise click.BadParameter(
            f"only canary takes a percent, not {mode}: drop --percent", param_hint="'--percent'"
        )
    with admin_client(admin_url, token) as client:
        route = client.set_route(
            route_id, mode=mode, percent=percent, service=service, reason=reason,
            shadow_writes=shadow_writes, force=force,
        )  # fmt: skip
    click.echo(f"{route['id']}: {describe_flag(route)}")


@routes.command("history")
@admin_options
@click.argument("route_id", metavar="[ROUTE]", required=False)
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the admin API's JSON.")
def history(
    admin_url: str, token: str | None, route_id: str | None, limit: int, as_json: bool
) -> None:
    """The audit log (newest first), of one ROUTE or of everything."""
    with admin_client(admin_url, token) as client:
        records = client.history(route_id, limit)
    if as_json:
        click.echo(json.dumps({"history": records}, indent=2))
        return
    show(history_grid(records, route_id))


@routes.command("import")
@click.option(
    "--from",
    "report",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The analyzer's report.json (its 'endpoints').",
)
@click.option(
    "--source",
    type=click.Path(file_okay=False, path_type=Path),  # checked only when it is used
    default=Path("legacy_monolith"),
    show_default=True,
    help="Monolith source to analyze when --from is not given.",
)
@click.option(
    "--store",
    "store_url",
    envvar=STORE_ENV,
    show_envvar=True,
    default="sqlite:///var/flags.sqlite3",
    show_default=True,
)
@click.option("--reason", default="import from the monolith's URL patterns", show_default=True)
@click.option("--dry-run", is_flag=True, help="Show what would change, write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the route ids of each change.")
@click.option(
    "--allow-broken",
    is_flag=True,
    help="Import what could be read when some source files do not parse (listed).",
)
def import_routes(
    report: Path | None,
    source: Path,
    store_url: str,
    reason: str,
    dry_run: bool,
    as_json: bool,
    allow_broken: bool,
) -> None:
    """Fill the route table from the monolith's URL patterns (one route each, on the monolith).

    Re-importing keeps the flags of routes that still exist and removes routes that are gone,
    unless they still send traffic to a service.
    """
    from strangler_proxy.cli.sources import endpoints_from_source
    from strangler_proxy.store import FlagStore, InvalidFlag, NoStore, StoreError, open_store
    from strangler_proxy.store.base import redact
    from strangler_proxy.store.importing import (
        ImportSourceError,
        endpoints_from_report,
        import_routes,
    )

    if report is None and not source.is_dir():
        raise click.BadParameter(
            f"directory {str(source)!r} does not exist", param_hint="'--source'"
        )
    origin = str(report) if report else f"static analysis of {source}"
    missing: NoStore | None = None
    store: FlagStore | None
    try:
        if report is not None:
            endpoints = endpoints_from_report(report)
        else:
            with _progress_bar() as progress:
                endpoints = endpoints_from_source(source, progress, allow_broken=allow_broken)
        try:
            store = open_store(store_url)
        except NoStore as exc:  # the one command that creates a store (not in a dry run)
            missing = exc
            store = None if dry_run else open_store(store_url, create=True)
        try:
            outcome = import_routes(store, endpoints, reason=reason, dry_run=dry_run)
        finally:
            if store is not None:
                store.close()
    except ImportSourceError as exc:
        raise click.ClickException(str(exc)) from exc
    except (StoreError, InvalidFlag, ValueError) as exc:
        raise click.ClickException(f"cannot import into {redact(store_url)}: {exc}") from exc
    result = outcome.result
    if as_json:
        changes = ("added", "updated", "unchanged", "removed", "kept_orphans")
        done = {
            "from": origin,
            "store": redact(store_url),
            "dry_run": dry_run,
            "new_store": missing is not None,  # created (or, in a dry run, would be)
            **{change: list(getattr(result, change)) for change in changes},
            "skipped": [{"pattern": p, "why": why} for p, why in outcome.plan.skipped],
        }
        click.echo(json.dumps(done, indent=2))
        return
    counts = {
        "added": len(result.added),
        "updated": len(result.updated),
        "unchanged" if not dry_run else "kept": len(result.unchanged),
        "removed" if not dry_run else "removed (if on the monolith)": len(result.removed),
        "kept (gone but not on the monolith)": len(result.kept_orphans),
        "skipped patterns": len(outcome.plan.skipped),
    }
    console = Console()
    if missing is not None:  # plain lines: a log or a pipe gets them whole
        click.echo(
            f"no flag store at {missing.where} yet: it would be created, every route added"
            if dry_run
            else f"created flag store {missing.where}"
        )
    console.out(f"Routes from {origin} -> {redact(store_url)}", highlight=False)  # never wrapped
    grid = Grid(
        "Import (dry run: nothing written)" if dry_run else "Import",
        (Column("routes"), Column("count", right=True)),
    )
    for label, count in counts.items():
        grid.add(label, str(count))
    show(grid, console)
    for pattern, why in outcome.plan.skipped:
        line = f"[yellow]skipped[/] {escape(pattern)}: {escape(why)}"
        Console(stderr=True).print(line, highlight=False, soft_wrap=True)


@contextmanager
def _progress_bar() -> Iterator[Callable[[str, int, int], None]]:
    """A rich progress bar fed by the analyzer's ``progress(phase, done, total)`` calls."""
    console = Console()  # a pipe gets no bar (rich would leave a blank line there)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(
        *columns, console=console, transient=True, disable=not console.is_terminal
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(f"analyze: {phase}", total=total)
            bar.update(tasks[phase], completed=done, total=total)

        yield progress
