"""``strangler diff A.json B.json``: compare two JSON bodies or two recorded answers.

Exit status 0 when they do not differ, 1 when they do, 2 when an input cannot be read (like
``diff``), so it works alone and in scripts. A file holding an object with an integer
``status`` and a ``body`` (and optional ``headers``) is a whole recorded answer: status and
headers are compared too; anything else is a body.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
import orjson

from strangler_proxy.cli.tables import Column, Grid, show
from strangler_proxy.compare.answers import Answer, compare_answers
from strangler_proxy.compare.book import BookError, parse_book
from strangler_proxy.compare.diff import Difference, Kind, diff_json
from strangler_proxy.compare.rules import Rules, Unordered

#: a value longer than this is shortened in the table (``--json`` keeps it whole)
SHOWN = 120


@click.command("diff")
@click.argument("monolith", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("service", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--ignore",
    "ignore",
    multiple=True,
    metavar="GLOB",
    help="Ignore paths: $.results[*].created_at",
)
@click.option(
    "--unordered",
    multiple=True,
    metavar="GLOB[=KEY]",
    help="A list compared in any order: items matched by KEY, else as a multiset.",
)
@click.option(
    "--rules",
    "rules_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A TOML rule book.",
)
@click.option("--route", help="Apply the rule book's rules for this route id too.")
@click.option("--json", "as_json", is_flag=True, help="Print the differences as JSON.")
def diff(
    monolith: Path,
    service: Path,
    ignore: tuple[str, ...],
    unordered: tuple[str, ...],
    rules_file: Path | None,
    route: str | None,
    as_json: bool,
) -> None:
    """Compare MONOLITH and SERVICE (files); exit 1 when they differ."""
    rules = _rules(ignore, unordered, rules_file, route)
    try:
        compiled = rules.compile()
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--ignore/--unordered") from exc
    left, right = _read(monolith), _read(service)
    if isinstance(left, Answer) and isinstance(right, Answer):
        found = compare_answers(left, right, compiled)
    else:
        found = diff_json(_body(left), _body(right), compiled)
    if as_json:
        click.echo(orjson.dumps([_record(d) for d in found], option=orjson.OPT_INDENT_2).decode())
    elif found:
        grid = Grid(
            f"{len(found)} difference(s): {monolith} -> {service}",
            (
                Column("path"),
                Column("kind"),
                Column("monolith", keep=False),
                Column("service", keep=False),
            ),
        )
        for difference in found:
            grid.add(difference.path, difference.kind.value, *_shown(difference))
        show(grid)
    else:
        click.echo("no differences")
    sys.exit(1 if found else 0)


def _rules(
    ignore: tuple[str, ...], unordered: tuple[str, ...], rules_file: Path | None, route: str | None
) -> Rules:
    given = Rules(ignore=ignore, unordered=tuple(_unordered(u) for u in unordered))
    if rules_file is None:
        if route is not None:
            raise click.UsageError("--route needs --rules FILE")
        return given
    try:
        book = parse_book(rules_file.read_text(encoding="utf-8"))
    except (BookError, UnicodeDecodeError) as exc:
        raise click.BadParameter(f"{rules_file}: {exc}", param_hint="--rules") from exc
    return book.for_route(route).merged(given)


def _unordered(text: str) -> Unordered:
    glob, _, key = text.partition("=")
    return Unordered(glob, key or None)


def _read(path: Path) -> Any:
    try:
        document = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise click.BadParameter(f"{path} is not JSON: {exc}", param_hint="files") from exc
    if (
        isinstance(document, dict)
        and isinstance(document.get("status"), int)
        and "body" in document
    ):
        return _answer(document, path)
    return document


def _answer(document: dict[str, Any], path: Path) -> Answer:
    headers = document.get("headers") or {}
    pairs = list(headers.items()) if isinstance(headers, dict) else headers
    if not all(
        isinstance(p, list | tuple) and len(p) == 2 and all(isinstance(x, str) for x in p)
        for p in pairs
    ):
        raise click.BadParameter(
            f"{path}: headers must be an object or a list of [name, value]", param_hint="files"
        )
    body = document["body"]
    if isinstance(body, str):
        raw = body.encode()
    else:  # a JSON value recorded as such
        raw = orjson.dumps(body)
        if not any(name.lower() == "content-type" for name, _ in pairs):
            pairs.append(("Content-Type", "application/json"))
    return Answer(document["status"], tuple((str(n), str(v)) for n, v in pairs), raw)


def _body(value: Any) -> Any:
    if isinstance(value, Answer):
        try:
            return orjson.loads(value.body) if value.body else None
        except orjson.JSONDecodeError:
            return value.body.decode("utf-8", "replace")
    return value


def _shown(difference: Difference) -> tuple[str, str]:
    """Both sides as JSON (so "1" and 1 look different); "-" where a side has nothing."""
    absent = {Kind.ADDED: 0, Kind.REMOVED: 1}.get(difference.kind)
    sides = []
    for n, value in enumerate((difference.monolith, difference.service)):
        text = "-" if n == absent else orjson.dumps(value).decode()
        sides.append(text if len(text) <= SHOWN else text[: SHOWN - 1] + "…")
    return sides[0], sides[1]


def _record(difference: Difference) -> dict[str, Any]:
    return {
        "path": difference.path,
        "kind": difference.kind.value,
        "monolith": difference.monolith,
        "service": difference.service,
    }
