"""The whole analysis, as ``strangler analyze`` runs it: graph, proposal, reports, cached.

When neither the tree (its files' contents), the options nor the analyzer's code changed
since the last run, the reports that run wrote come back from the cache (plain files and a
checked JSON index, outside the tree) and nothing is parsed, clustered or rendered again:
networkx is not even imported. The result then carries the timings of the run that computed it::

    outcome = analyze(Path("legacy_monolith"), Options(seed=42))
    write_files(outcome.files, Path("var/report"))  # from analysis.outputs
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import import_module
from pathlib import Path
from typing import Any

from analysis.builder.scan import Scan, paused_gc, scan
from analysis.cache import FactCache, default_cache_dir, open_cache
from analysis.outputs import REPORT_FILES, SCHEMA_VERSION

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Options:
    """What the reports depend on besides the tree."""

    services: int | None = None
    resolution: float = 1.0
    seed: int = 42
    truth: Mapping[str, str] | None = None
    # The path of ``truth`` when it was found beside the code, not named by the user: one
    # naming none of the modules is then left out with a warning instead of an error.
    truth_found: str | None = None
    jobs: int | None = None  # only how fast, not what


@dataclass(frozen=True)
class Outcome:
    doc: dict[str, Any]  # report.json's content (tuples may stand for its lists)
    files: dict[str, str]  # REPORT_FILES -> text
    cached: bool  # came back from the cache: nothing changed since the last run


def analyze(
    root: Path,
    options: Options = Options(),
    *,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
) -> Outcome:
    """The reports on the tree at ``root`` (``root`` as given is the report's ``root``).

    ``cache_dir``: default ``analysis.cache.default_cache_dir(root)``, outside the tree.
    Raises ``NotADirectoryError`` for a missing tree and ``ValueError`` for bad options or
    a truth naming none of the modules (unless it was found, ``Options.truth_found``).
    Whatever makes the results incomplete is in ``doc["warnings"]``."""
    if not root.is_dir():
        raise NotADirectoryError(f"not a directory to analyze: {root}")
    with paused_gc():
        scanned = scan(root)
        store = open_cache(cache_dir if cache_dir is not None else default_cache_dir(root))
        key = result_key(scanned.key, str(root), options)
        stored = _stored(store.get_texts(key))
        if stored is not None:
            if progress:
                progress("cached", 1, 1)
            return stored
        outcome = _compute(root, scanned, store, options, progress)
        store.put_texts(key, outcome.files)
        return outcome


def result_key(tree: str, root: str, options: Options) -> str:
    """One key for the reports: the tree's key, the options and the whole analyzer's code."""
    parameters = {
        "root": root,
        "services": options.services,
        "resolution": options.resolution,
        "seed": options.seed,
        "truth": dict(options.truth) if options.truth is not None else None,
        "truth_found": options.truth_found,
    }
    digest = hashlib.blake2b(digest_size=16)
    for part in (tree, analyzer_version(), json.dumps(parameters, sort_keys=True)):
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()


@cache
def analyzer_version() -> str:
    """A hash of every source file of the analyzer (editing any one changes the reports)."""
    here = Path(__file__).parent
    digest = hashlib.blake2b(digest_size=8)
    for path in sorted(here.rglob("*.py")):
        digest.update(path.relative_to(here).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _compute(
    root: Path,
    scanned: Scan,
    store: FactCache,
    options: Options,
    progress: Progress | None,
) -> Outcome:
    # networkx and the rest are needed on a miss only, and imported while the workers
    # parse (the main process would otherwise wait idle, then import them).
    from analysis.builder.build import analyze_scan

    analysis = analyze_scan(root, scanned, store, options.jobs, progress, _import_the_rest)
    from analysis.propose import propose
    from analysis.propose.view import memoised
    from analysis.report import build_report, render_report

    with memoised(analysis.graph):  # the proposal and the report read the edges once
        if progress:
            progress("propose", 0, 1)
        proposal = propose(
            analysis.graph,
            services=options.services,
            resolution=options.resolution,
            seed=options.seed,
        )
        if progress:
            progress("propose", 1, 1)
            progress("report", 0, 1)
        doc = build_report(
            analysis.graph,
            proposal,
            root=str(root),
            timings=analysis.timings,
            broken=[(b.path, b.reason, b.line) for b in analysis.broken],
            truth=options.truth,
            requested_services=options.services,
            truth_found=options.truth_found,
        )
    files = render_report(doc)
    if progress:
        progress("report", 1, 1)
    return Outcome(doc, files, cached=False)


def _import_the_rest() -> None:
    for name in ("analysis.builder.graph", "analysis.propose", "analysis.report"):
        import_module(name)


def _stored(files: dict[str, str] | None) -> Outcome | None:
    """The outcome a previous run stored, if it is whole and of this schema."""
    if files is None or list(files) != list(REPORT_FILES):
        return None
    try:
        doc = json.loads(files["report.json"])
    except ValueError:
        return None
    if not isinstance(doc, dict) or doc.get("schema_version") != SCHEMA_VERSION:
        return None
    return Outcome(doc, files, cached=True)
