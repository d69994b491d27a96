"""``strangler analyze``: read a Django codebase statically and propose its services.

The composition root of the analyzer: ``analysis.run.analyze`` builds the graph, proposes,
measures and renders (or finds all that cached, outside the analysed tree, when nothing
changed); this writes the files and shows progress and tables.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from analysis.outputs import BLOCKING_WARNINGS, warning_label, write_files
from analysis.run import Options, Outcome
from analysis.run import analyze as analyze_tree
from strangler_proxy.cli.tables import Column, Grid, show

DEFAULT_PATH = Path("legacy_monolith")
TRUTH_FILE = "domain_truth.json"


@dataclass(frozen=True)
class AnalyzeSpec:
    """The command's options, checked once."""

    path: Path
    out: Path
    services: int | None
    resolution: float
    seed: int
    truth: Mapping[str, str] | None
    truth_found: Path | None  # truth found beside the code: skipped if it names no module
    jobs: int | None
    cache_dir: Path | None  # None: the per-user cache (analysis.cache.default_cache_dir)


def load_truth(path: Path) -> dict[str, str]:
    """A ground truth file: a JSON object mapping dotted module prefixes to context names."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise click.BadParameter(
            f"cannot read {path}: {error.strerror}", param_hint="--truth"
        ) from error
    except json.JSONDecodeError as error:
        raise click.BadParameter(f"{path} is not JSON: {error}", param_hint="--truth") from error
    if not isinstance(data, dict) or not data:
        raise click.BadParameter(
            f"{path} must be a non-empty JSON object of module prefix -> context",
            param_hint="--truth",
        )
    bad = [k for k, v in data.items() if not isinstance(v, str)]
    if bad:
        raise click.BadParameter(
            f"{path}: the context of {bad[0]!r} is not a string", param_hint="--truth"
        )
    return {str(k): str(v) for k, v in data.items()}


def make_spec(
    path: Path | None,
    out: Path,
    services: int | None,
    resolution: float,
    seed: int,
    truth: Path | None,
    jobs: int | None,
    cache_dir: Path | None,
) -> AnalyzeSpec:
    root = path if path is not None else DEFAULT_PATH
    if not root.is_dir():
        hint = "PATH" if path is not None else "PATH (default ./legacy_monolith)"
        raise click.BadParameter(f"{root} is not a directory to analyze", param_hint=hint)
    if services is not None and services < 1:
        raise click.BadParameter(f"must be at least 1, got {services}", param_hint="--services")
    if resolution <= 0:
        raise click.BadParameter(f"must be positive, got {resolution}", param_hint="--resolution")
    if jobs is not None and jobs < 1:
        raise click.BadParameter(f"must be at least 1, got {jobs}", param_hint="--jobs")
    found = None
    if truth is None and (root / TRUTH_FILE).is_file():
        truth = found = root / TRUTH_FILE
    return AnalyzeSpec(
        path=root,
        out=out,
        services=services,
        resolution=resolution,
        seed=seed,
        truth=load_truth(truth) if truth is not None else None,
        truth_found=found,
        jobs=jobs,
        cache_dir=cache_dir,
    )


def run(spec: AnalyzeSpec, progress: Progress | None = None) -> Outcome:
    """Analyze and propose (or find it all in the cache): the document and the report files,
    not written yet."""
    tasks: dict[str, TaskID] = {}

    def step(phase: str, done: int, total: int) -> None:
        if progress is None:
            return
        if phase not in tasks:
            tasks[phase] = progress.add_task(phase, total=max(total, 1))
        progress.update(tasks[phase], completed=done, total=max(total, 1))

    options = Options(
        services=spec.services,
        resolution=spec.resolution,
        seed=spec.seed,
        truth=spec.truth,
        truth_found=str(spec.truth_found) if spec.truth_found is not None else None,
        jobs=spec.jobs,
    )
    try:
        return analyze_tree(spec.path, options, cache_dir=spec.cache_dir, progress=step)
    except ValueError as error:  # a truth the user named, naming none of the modules
        if spec.truth is None:
            raise
        raise click.BadParameter(str(error), param_hint="--truth") from error


def warning_lines(doc: Mapping[str, Any]) -> list[str]:
    """The report's warnings and every skipped file (its path from here, line and reason),
    whole: never cut to the terminal's width."""
    lines = []
    for warning in doc.get("warnings", ()):
        lines.append(f"{warning_label(warning['kind'])}: {warning['message']}.")
        if warning["kind"] == "broken-files":
            for b in doc["broken_files"]:
                where = Path(doc["root"], b["path"]).as_posix()
                if b["line"] is not None:
                    where += f":{b['line']}"
                lines.append(f"  {where}: {b['reason']}")
    return lines


def refusal(doc: Mapping[str, Any], out: Path) -> str:
    """Why no report is written (the warnings are printed above it)."""
    kinds = {w["kind"] for w in doc.get("warnings", ())}
    why = []
    if "not-django" in kinds:
        why.append(f"{doc['root']} does not look like a Django project: check the path.")
    if "broken-files" in kinds:
        why.append(
            f"{len(doc['broken_files'])} file(s) could not be parsed (listed above), so the "
            "results are incomplete: fix them."
        )
    return (
        f"{' '.join(why)} Nothing was written under {out}; pass --allow-broken to write "
        "the report anyway."
    )


def summary_tables(doc: Mapping[str, Any]) -> list[Grid]:
    """The services, the extraction order and the metrics, as tables that keep names whole."""
    counts = ("modules", "models", "endpoints", "lines")
    services = Grid("Proposed services", (Column("service"), *_numbers(counts)))
    for s in doc["services"]:
        services.add(
            s["name"] + (" (library)" if s["shared"] else ""),
            str(len(s["modules"])),
            str(len(s["models"])),
            str(len(s["endpoints"])),
            str(s["lines"]),
        )
    figures = ("cost", "inbound", "foreign writes", "FKs cut", "routes")
    plan = Grid(
        "Extraction order (cheapest first)",
        (*_numbers(("#",)), Column("service"), *_numbers(figures)),
    )
    for st in doc["extraction_order"]:
        plan.add(
            str(st["rank"]),
            st["service"],
            f"{st['cost']:g}",
            str(st["inbound_coupling"]),
            str(st["foreign_writes"]),
            str(st["crossing_fks"]),
            str(st["endpoint_surface"]),
        )
    metrics = Grid("Metrics", (Column("metric"), *_numbers(("value",))))
    values = {**doc["metrics"]["proposal"], **(doc["metrics"]["truth"] or {})}
    for name, value in values.items():
        metrics.add(name, f"{value:.3f}" if isinstance(value, float) else str(value))
    return [services, plan, metrics]


def _numbers(headers: tuple[str, ...]) -> tuple[Column, ...]:
    return tuple(Column(header, right=True) for header in headers)


@click.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("var/report"),
    show_default=True,
    help="Directory for report.{html,md,json} and contracts/.",
)
@click.option("--services", type=int, help="Aim for this many services (steers the resolution).")
@click.option(
    "--resolution",
    type=float,
    default=1.0,
    show_default=True,
    help="Louvain resolution: higher gives more, smaller services.",
)
@click.option("--seed", type=int, default=42, show_default=True, help="Same seed, same answer.")
@click.option(
    "--truth",
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSON of module prefix -> context to score against (default PATH/domain_truth.json).",
)
@click.option("--jobs", type=int, help="Parsing processes (default: the CPU count).")
@click.option(
    "--allow-broken",
    is_flag=True,
    help="Write the report and exit 0 even when files could not be parsed or PATH does not "
    "look like a Django project (the warnings are printed and head the reports).",
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where facts, the graph and the reports are cached (default: a folder per tree "
    "under $STRANGLER_CACHE_DIR, $XDG_CACHE_HOME/strangler or ~/.cache/strangler; never "
    "inside PATH).",
)
def analyze(
    path: Path | None,
    out: Path,
    services: int | None,
    resolution: float,
    seed: int,
    truth: Path | None,
    jobs: int | None,
    allow_broken: bool,
    cache_dir: Path | None,
) -> None:
    """Read a Django codebase (never importing it) and propose services, ownership and order.

    PATH defaults to ./legacy_monolith. Writes report.html, report.md, report.json and
    import-linter/Tach contracts under OUT. Exits 1 and writes nothing when a file could
    not be parsed or PATH is not a Django project, unless --allow-broken.
    """
    spec = make_spec(path, out, services, resolution, seed, truth, jobs, cache_dir)
    console = Console()
    with Progress(
        TextColumn("{task.description:<10}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        outcome = run(spec, progress)
    doc = outcome.doc
    warnings = warning_lines(doc)
    blocked = any(w["kind"] in BLOCKING_WARNINGS for w in doc.get("warnings", ()))
    if blocked and not allow_broken:
        for line in warnings:
            click.secho(line, err=True, fg="yellow")
        raise click.ClickException(refusal(doc, spec.out))
    paths = write_files(outcome.files, spec.out)
    for table in summary_tables(doc):
        show(table, console)
        console.line()
    s = doc["summary"]
    staying = sum(1 for e in doc["endpoints"] if e["service"] is None)
    console.print(
        f"{s['modules']} modules, {s['models']} models, {s['endpoints']} endpoints "
        f"({staying} stay with the monolith) -> "
        f"{s['services']} services, {s['contested_models']} contested tables, "
        f"{len(doc['smells'])} smells, {s['broken_files']} file(s) skipped.",
        soft_wrap=True,
    )
    if outcome.cached:
        console.print("nothing changed since the last run: its reports, from the cache")
    for written in paths:  # soft wrap: a path is never broken in two, whatever the width
        console.print(f"wrote {written}", soft_wrap=True, highlight=False)
    report = (spec.out / "report.html").resolve()
    console.print(f"open file://{report}", soft_wrap=True, highlight=False)
    for line in warnings:  # last, where they are seen
        click.secho(line, err=True, fg="yellow")
