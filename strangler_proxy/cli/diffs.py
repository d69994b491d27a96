"""``strangler diffs``: read the shadow evidence, and keep the comparison rules file.

The evidence is what proxies in shadow mode recorded (``--evidence``, default
``sqlite:///var/evidence.sqlite3``, the one ``strangler up`` uses); the rules live in a TOML
file in the repository (``--rules``, default ``strangler-rules.toml``), edited here with
its comments kept.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import click
import orjson

from strangler_proxy.cli.tables import Column, Grid, show
from strangler_proxy.compare.book import BookError
from strangler_proxy.compare.edit import add_rules
from strangler_proxy.compare.noise import learned_globs
from strangler_proxy.evidence.sample import sample_json
from strangler_proxy.evidence.store import EvidenceError, EvidenceStore, open_evidence
from strangler_proxy.evidence.summary import RouteEvidence, summarize

DEFAULT_EVIDENCE = "sqlite:///var/evidence.sqlite3"
DEFAULT_RULES = Path("strangler-rules.toml")

evidence_option = click.option(
    "--evidence", default=DEFAULT_EVIDENCE, show_default=True, envvar="STRANGLER_EVIDENCE",
    help="The evidence store's URL (sqlite:///path or postgresql://...).",
)  # fmt: skip
rules_option = click.option(
    "--rules", "rules_file", type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_RULES, show_default=True, envvar="STRANGLER_RULES", help="The rules file.",
)  # fmt: skip


@click.group()
def diffs() -> None:
    """Shadow evidence (what differs, how often) and the comparison rules."""


@diffs.command("summary")
@evidence_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def summary(evidence: str, as_json: bool) -> None:
    """Per route: samples, match rate after noise, noise, unanswered, the top differing path."""
    with _store(evidence) as store:
        found = [summarize(route, store.samples(route)) for route in store.routes()]
    if as_json:
        click.echo(orjson.dumps([e.as_json() for e in found], option=orjson.OPT_INDENT_2))
        return
    grid = Grid(
        "Shadow evidence per route",
        (Column("route"), Column("samples", right=True), Column("match", right=True),
         Column("noise", right=True), Column("unanswered", right=True),
         Column("top differing path"), Column("last sample")),
    )  # fmt: skip
    for e in found:
        top = f"{e.top_paths[0].path} ({e.top_paths[0].count})" if e.top_paths else "-"
        grid.add(e.route, str(e.samples), _percent(e.match_rate), _percent(e.noise_rate),
                 _percent(e.unanswered_rate), top, _when(e.last_at))  # fmt: skip
    show(grid)


@diffs.command("show")
@click.argument("route")
@evidence_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON (the summary and the samples).")
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True)
def show_route(route: str, evidence: str, as_json: bool, limit: int) -> None:
    """One route's evidence: its rates, the paths that differ with an example request each."""
    with _store(evidence) as store:
        samples = store.samples(route)
    if not samples:
        raise click.ClickException(f"no evidence for route {route!r} (is it in shadow mode?)")
    found = summarize(route, samples)
    if as_json:
        recent = [sample_json(s) for s in samples[:limit]]
        click.echo(orjson.dumps({**found.as_json(), "samples": recent}, option=orjson.OPT_INDENT_2))
        return
    _print_route(found)


@diffs.command("learn")
@click.argument("route")
@evidence_option
@rules_option
@click.option("--dry-run", is_flag=True, help="Show the rules, write nothing.")
def learn(route: str, evidence: str, rules_file: Path, dry_run: bool) -> None:
    """Turn the noise seen on ROUTE (paths that differ between two monolith answers) into
    ignore rules for it in the rules file."""
    with _store(evidence) as store:
        globs = learned_globs(path for sample in store.samples(route) for path in sample.noise)
    if not globs:
        click.echo(f"no noise recorded for {route!r}: nothing to learn")
        return
    _edit(rules_file, route, dry_run, ignore=globs)


@diffs.command("rules")
@rules_option
@click.option("--route", help="The route the rules are for (default: global).")
@click.option("--ignore", multiple=True, metavar="GLOB", help="A path to ignore.")
@click.option("--unordered", multiple=True, metavar="GLOB[=KEY]", help="A list in any order.")
@click.option("--ignore-header", multiple=True, metavar="NAME", help="A header to ignore.")
@click.option("--dry-run", is_flag=True, help="Show the file, write nothing.")
def rules(
    rules_file: Path, route: str | None, ignore: tuple[str, ...], unordered: tuple[str, ...],
    ignore_header: tuple[str, ...], dry_run: bool,
) -> None:  # fmt: skip
    """Add rules to the rules file (global, or for --route)."""
    if not (ignore or unordered or ignore_header):
        raise click.UsageError("give at least one --ignore, --unordered or --ignore-header")
    _edit(
        rules_file, route, dry_run, ignore=ignore, unordered=unordered, ignore_headers=ignore_header
    )


def _edit(rules_file: Path, route: str | None, dry_run: bool, **added: Any) -> None:
    before = rules_file.read_text(encoding="utf-8") if rules_file.exists() else ""
    try:
        after = add_rules(before, route, **added)
    except BookError as exc:
        raise click.ClickException(f"{rules_file}: {exc}") from exc
    if dry_run:
        click.echo(after, nl=False)
        return
    if after == before:
        click.echo(f"{rules_file}: those rules are there already")
        return
    rules_file.write_text(after, encoding="utf-8")
    where = f"routes.{route}" if route else "global"
    click.echo(f"{rules_file}: rules added to [{where}]")


class _store:
    """``open_evidence`` for reading, errors translated for the command line."""

    def __init__(self, url: str) -> None:
        self.url = url

    def __enter__(self) -> EvidenceStore:
        try:
            self.opened = open_evidence(self.url)
        except EvidenceError as exc:
            raise click.ClickException(str(exc)) from exc
        return self.opened

    def __exit__(self, *exc: object) -> None:
        self.opened.close()


def _print_route(found: RouteEvidence) -> None:
    head = Grid(
        f"Evidence for {found.route}", (Column(""), Column("", right=True)), show_header=False
    )
    for label, value in (
        ("samples", str(found.samples)), ("match (after noise)", _percent(found.match_rate)),
        ("mismatch", str(found.mismatch)), ("noise", _percent(found.noise_rate)),
        ("unanswered", _percent(found.unanswered_rate)), ("first", _when(found.first_at)),
        ("last", _when(found.last_at)),
    ):  # fmt: skip
        head.add(label, value)
    show(head)
    paths = Grid(
        "Differing paths",
        (Column("path"), Column("samples", right=True), Column("example request"),
         Column("monolith -> service", keep=False)),
    )  # fmt: skip
    for p in found.top_paths:
        change = f"{_json(p.monolith)} -> {_json(p.service)}"
        paths.add(p.path, str(p.count), p.example, change)
    show(paths)
    if found.noise_paths:
        click.echo("noise (differs between two monolith answers): " + ", ".join(found.noise_paths))


def _json(value: Any) -> str:
    text = orjson.dumps(value, default=str).decode()
    return text if len(text) <= 60 else text[:59] + "…"


def _percent(rate: float) -> str:
    return f"{rate:.1%}"


def _when(moment: float | None) -> str:
    if moment is None:
        return "-"
    return datetime.datetime.fromtimestamp(moment, datetime.UTC).strftime("%Y-%m-%d %H:%M:%SZ")
