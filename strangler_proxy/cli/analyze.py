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
from rich.table import Table

from analysis.outputs import write_files
from analysis.run import Options
from analysis.run import analyze as analyze_tree

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
    if truth is None and (root / TRUTH_FILE).is_file():
        truth = root / TRUTH_FILE
    return AnalyzeSpec(
        path=root,
        out=out,
        services=services,
        resolution=resolution,
        seed=seed,
        truth=load_truth(truth) if truth is not None else None,
        jobs=jobs,
        cache_dir=cache_dir,
    )


def run(
    spec: AnalyzeSpec, progress: Progress | None = None
) -> tuple[dict[str, Any], list[Path], bool]:
    """Analyze, propose, write the reports; return the document, the files written and
    whether they came from the cache (nothing changed since the last run)."""
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
        jobs=spec.jobs,
    )
    try:
        outcome = analyze_tree(spec.path, options, cache_dir=spec.cache_dir, progress=step)
    except ValueError as error:  # a truth naming none of the modules
        if spec.truth is None:
            raise
        raise click.BadParameter(str(error), param_hint="--truth") from error
    return outcome.doc, write_files(outcome.files, spec.out), outcome.cached


def summary_tables(doc: Mapping[str, Any]) -> list[Table]:
    services = Table(title="Proposed services")
    for column in ("service", "modules", "models", "endpoints", "lines"):
        services.add_column(column, justify="left" if column == "service" else "right")
    for s in doc["services"]:
        services.add_row(
            s["name"] + (" (library)" if s["shared"] else ""),
            str(len(s["modules"])),
            str(len(s["models"])),
            str(len(s["endpoints"])),
            str(s["lines"]),
        )
    plan = Table(title="Extraction order (cheapest first)")
    for column in ("#", "service", "cost", "inbound", "foreign writes", "FKs cut", "routes"):
        plan.add_column(column, justify="left" if column == "service" else "right")
    for st in doc["extraction_order"]:
        plan.add_row(
            str(st["rank"]),
            st["service"],
            f"{st['cost']:g}",
            str(st["inbound_coupling"]),
            str(st["foreign_writes"]),
            str(st["crossing_fks"]),
            str(st["endpoint_surface"]),
        )
    metrics = Table(title="Metrics")
    metrics.add_column("metric")
    metrics.add_column("value", justify="right")
    values = {**doc["metrics"]["proposal"], **(doc["metrics"]["truth"] or {})}
    for name, value in values.items():
        metrics.add_row(name, f"{value:.3f}" if isinstance(value, float) else str(value))
    return [services, plan, metrics]


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
    cache_dir: Path | None,
) -> None:
    """Read a Django codebase (never importing it) and propose services, ownership and order.

    PATH defaults to ./legacy_monolith. Writes report.html, report.md, report.json and
    import-linter/Tach contracts under OUT.
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
        doc, paths, cached = run(spec, progress)
    for table in summary_tables(doc):
        console.print(table)
    s = doc["summary"]
    staying = sum(1 for e in doc["endpoints"] if e["service"] is None)
    console.print(
        f"{s['modules']} modules, {s['models']} models, {s['endpoints']} endpoints "
        f"({staying} stay with the monolith) -> "
        f"{s['services']} services, {s['contested_models']} contested tables, "
        f"{len(doc['smells'])} smells, {s['broken_files']} file(s) skipped."
    )
    if s["models"] == 0:
        console.print(
            f"[yellow]no Django models found under {spec.path}: is it a Django project?[/]"
        )
    if cached:
        console.print("nothing changed since the last run: its reports, from the cache")
    for written in paths:
        console.print(f"wrote {written}")
    console.print(f"open file://{(spec.out / 'report.html').resolve()}")
