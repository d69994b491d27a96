"""``strangler compare``: replay requests against the monolith and a service, compare answers.

Exit status 1 when mismatches and errors exceed ``--max-mismatch-rate`` (default 0), so a
CI job can gate a service's build; 2 for unusable input (a file, a rule book, an option).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from strangler_proxy.cli.tables import Column, Grid, show
from strangler_proxy.compare.book import BookError, RuleBook, parse_book
from strangler_proxy.compare.outcome import Verdict
from strangler_proxy.replay.discover import from_openapi
from strangler_proxy.replay.html import as_html
from strangler_proxy.replay.report import as_junit, json_text, totals
from strangler_proxy.replay.runner import Run, Targets, replay, replayable
from strangler_proxy.replay.sources import (
    Request,
    SourceError,
    from_flow_export,
    from_har,
    from_yaml,
    on_paths,
)

ROOT = Path(__file__).resolve().parents[2]
FLOW_SUFFIXES = frozenset({".mitm", ".flow", ".flows"})
FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
OUT = click.Path(dir_okay=False, writable=True, path_type=Path)


@click.command("compare")
@click.option("--monolith", required=True, metavar="URL", help="The monolith's base URL.")
@click.option("--service", required=True, metavar="URL", help="The service's base URL.")
@click.option(
    "--requests",
    "source",
    type=FILE,
    help="A YAML request list, a HAR file or a mitmproxy flow file.",
)
@click.option(
    "--openapi",
    is_flag=True,
    help="GET every operation the monolith's /api/schema/ lists (ids from its lists).",
)
@click.option(
    "--header",
    "headers",
    multiple=True,
    metavar="'NAME: VALUE'",
    help="Sent with every request (a token: 'Authorization: Token ...').",
)
@click.option(
    "--path", "only_paths", multiple=True, metavar="GLOB",
    help="Only requests whose path matches (repeatable): the endpoints the service took "
    "over, e.g. '/api/catalog/*'.",
)  # fmt: skip
@click.option(
    "--skip-path", "skip_paths", multiple=True, metavar="GLOB",
    help="Leave out requests whose path matches (repeatable), e.g. '*/availability/'.",
)  # fmt: skip
@click.option("--rules", "rules_file", type=FILE, help="A TOML rule book (global rules apply).")
@click.option("--route", help="Also apply this route's rules from the rule book.")
@click.option("--noise", is_flag=True, help="Ask the monolith twice; what differs there is noise.")
@click.option(
    "--allow-writes", is_flag=True, help="Replay POST/PUT/PATCH/DELETE (disposable targets only)."
)
@click.option("--max-mismatch-rate", type=click.FloatRange(0, 1), default=0.0, show_default=True)
@click.option("--concurrency", type=click.IntRange(1, 256), default=8, show_default=True)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=10.0,
    show_default=True,
    help="Seconds per answer.",
)
@click.option(
    "--json", "json_out", type=OUT, help="Write every request's verdict and differences as JSON."
)
@click.option("--html", "html_out", type=OUT, help="Write a self-contained HTML report.")
@click.option(
    "--junit", "junit_out", type=OUT, help="Write a JUnit XML report (one test case per request)."
)
def compare(
    monolith: str,
    service: str,
    source: Path | None,
    openapi: bool,
    headers: tuple[str, ...],
    only_paths: tuple[str, ...],
    skip_paths: tuple[str, ...],
    rules_file: Path | None,
    route: str | None,
    noise: bool,
    allow_writes: bool,
    max_mismatch_rate: float,
    concurrency: int,
    timeout: float,
    json_out: Path | None,
    html_out: Path | None,
    junit_out: Path | None,
) -> None:
    """Replay the requests of FILE against both sides and compare each pair of answers."""
    for name, url in (("--monolith", monolith), ("--service", service)):
        if not url.startswith(("http://", "https://")):
            raise click.BadParameter(f"expected http://host:port, got {url!r}", param_hint=name)
    extra = _headers(headers)
    if (source is None) == (not openapi):
        raise click.UsageError("give --requests FILE or --openapi (one of them)")
    if source is not None:
        requests = [replace(r, headers=(*r.headers, *extra)) for r in _requests(source)]
    else:
        try:
            requests = asyncio.run(from_openapi(monolith, extra, timeout=timeout))
        except SourceError as exc:
            raise click.BadParameter(str(exc), param_hint="--openapi") from exc
    requests = on_paths(requests, only_paths, skip_paths)
    if not requests:
        raise click.UsageError("no request left to compare (--path, --skip-path)")
    compiled = _book(rules_file).for_route(route).compile()
    targets = Targets(monolith, service, timeout, concurrency, noise, allow_writes)
    console = Console(stderr=True)
    with Progress(
        TextColumn("replaying"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        sent, _ = replayable(requests, allow_writes=allow_writes)
        task = bar.add_task("replay", total=len(sent))
        run = asyncio.run(
            replay(requests, targets, lambda _: compiled, lambda n: bar.update(task, completed=n))
        )
    _print(run)
    if json_out is not None:
        json_out.write_text(json_text(run), encoding="utf-8")
    if html_out is not None:
        html_out.write_text(as_html(run, f"{service} against {monolith}"), encoding="utf-8")
    if junit_out is not None:
        junit_out.write_text(as_junit(run), encoding="utf-8")
    rate = totals(run).mismatch_rate
    if rate > max_mismatch_rate:
        click.echo(
            f"mismatch rate {rate:.2%} is above --max-mismatch-rate {max_mismatch_rate:.2%}",
            err=True,
        )
        sys.exit(1)


def _requests(source: Path) -> list[Request]:
    try:
        if _is_flow_file(source):
            requests = from_flow_export(_export_flows(source))
        else:
            text = source.read_text(encoding="utf-8")
            is_har = source.suffix.lower() == ".har" or text.lstrip().startswith("{")
            requests = from_har(text) if is_har else from_yaml(text)
    except (SourceError, UnicodeDecodeError) as exc:
        raise click.BadParameter(f"{source}: {exc}", param_hint="--requests") from exc
    if not requests:
        raise click.BadParameter(f"{source}: no requests in it", param_hint="--requests")
    return requests


def _headers(given: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    pairs = []
    for text in given:
        name, colon, value = text.partition(":")
        if not colon or not name.strip():
            raise click.BadParameter(f"expected 'NAME: VALUE', got {text!r}", param_hint="--header")
        pairs.append((name.strip().lower(), value.strip()))
    return tuple(pairs)


def _is_flow_file(source: Path) -> bool:
    """mitmproxy's format (tnetstring: ``<digits>:``), whatever the file is called."""
    with source.open("rb") as file:
        head = file.read(12)
    digits = head.split(b":", 1)[0]
    return source.suffix.lower() in FLOW_SUFFIXES or (digits.isdigit() and b":" in head)


def _export_flows(source: Path) -> str:
    """The flow file's requests as JSON, read by mitmproxy in its own environment."""
    python = Path(os.environ.get("STRANGLER_MITM_PYTHON", ROOT / ".venv-mitm" / "bin" / "python"))
    if not python.exists():
        raise SourceError(
            f"reading a mitmproxy flow file needs mitmproxy's environment ({python}):"
            " run `make mitm`, or set STRANGLER_MITM_PYTHON, or export a HAR"
            " (mitmdump -nr FLOWS --set hardump=out.har)"
        )
    done = subprocess.run(
        [str(python), "-m", "strangler_proxy.mitm.export", str(source)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=ROOT,
    )
    if done.returncode != 0:
        raise SourceError(done.stderr.strip() or f"mitmproxy exited with {done.returncode}")
    return done.stdout


def _book(rules_file: Path | None) -> RuleBook:
    if rules_file is None:
        return RuleBook()
    try:
        return parse_book(rules_file.read_text(encoding="utf-8"))
    except (BookError, UnicodeDecodeError) as exc:
        raise click.BadParameter(f"{rules_file}: {exc}", param_hint="--rules") from exc


def _print(run: Run) -> None:
    counted = totals(run)
    summary = Grid("Replay", (Column("verdict"), Column("requests", right=True)))
    for verdict in Verdict:
        summary.add(verdict.value, str(counted.verdicts[verdict]))
    summary.add("skipped (writes)", str(counted.skipped))
    show(summary)
    if counted.paths:
        paths = Grid(
            "Differing paths (requests showing each)",
            (Column("path"), Column("requests", right=True)),
        )
        for path, count in counted.paths.most_common(20):
            paths.add(path, str(count))
        show(paths)
    bad = [r for r in run.replayed if r.outcome.verdict in {Verdict.MISMATCH, Verdict.ERROR}]
    if bad:
        grid = Grid(
            "Mismatches and errors",
            (Column("request"), Column("verdict"), Column("first difference", keep=False)),
        )
        for r in bad[:50]:
            first = r.outcome.error or ", ".join(
                f"{d.path} {d.kind.value}" for d in r.outcome.differences[:3]
            )
            grid.add(f"{r.request.method} {r.request.path}", r.outcome.verdict.value, first)
        show(grid)
