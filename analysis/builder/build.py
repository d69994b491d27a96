"""build_graph: a source tree in, the typed and weighted graph of it out."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from analysis.builder.naming import code_names, renamed
from analysis.builder.parse import Progress, read_all
from analysis.builder.scan import Job, Scan, fingerprint, paused_gc, scan
from analysis.builder.symbols import Symbols
from analysis.cache import FactCache, default_cache_dir, open_cache
from analysis.facts import BrokenFile, ModuleFacts

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["Analysis", "BrokenFile", "Progress", "build_graph"]


@dataclass(frozen=True)
class Analysis:
    graph: nx.MultiDiGraph
    broken: list[BrokenFile]
    timings: dict[str, float]
    root: Path
    stats: dict[str, int] = field(default_factory=dict)  # files, parsed, cached, broken


def build_graph(
    root: Path,
    *,
    jobs: int | None = None,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
    exclude_tests: bool = True,
) -> Analysis:
    """Analyze the Python tree at ``root`` statically (nothing is imported or run).

    ``jobs``: worker processes for parsing (default: the CPU count); ``cache_dir``: where
    facts are cached by content hash (default: a per-user folder for this tree, outside
    it: ``analysis.cache.default_cache_dir``; never a file inside the tree); ``progress``
    is called as ``progress(phase, done, total)`` for the phases "discover", "parse" and
    "build". Unparseable files are skipped and listed in ``Analysis.broken``.
    """
    root = Path(root)
    if not root.is_dir():
        raise NotADirectoryError(f"not a directory to analyze: {root}")
    with paused_gc():
        scanned = scan(root, exclude_tests)
        cache = open_cache(cache_dir if cache_dir is not None else default_cache_dir(root))
        return analyze_scan(root, scanned, cache, jobs, progress)


def analyze_scan(
    root: Path,
    scanned: Scan,
    cache: FactCache,
    jobs: int | None = None,
    progress: Progress | None = None,
    meanwhile: Callable[[], object] | None = None,
) -> Analysis:
    """``build_graph`` once the tree is scanned and its cache opened; ``meanwhile`` is
    called while the worker processes parse (to import what comes next on the idle core).

    networkx and the graph builder are imported only once they are needed."""
    files = scanned.files
    if progress:
        progress("discover", len(files), len(files))
    timings = {"discover": scanned.seconds["discover"]}
    mark = time.perf_counter() - scanned.seconds["fingerprint"]  # parse includes reading
    value = cache.get_graph(scanned.key)
    stored = None
    if value is not None:
        from analysis.builder.stored import from_json

        stored = from_json(value)
    if stored is not None:  # nothing changed since the last run
        graph, broken = stored
        timings["parse"] = time.perf_counter() - mark
        timings["build"] = 0.0
        if progress:
            progress("parse", len(files), len(files))
            progress("build", 1, 1)
        stats = {"files": len(files), "parsed": 0, "cached": len(files), "broken": len(broken)}
    else:
        graph, broken, stats = _build(scanned, cache, jobs, progress, timings, mark, meanwhile)
        from analysis.builder.stored import to_json

        cache.put_graph(scanned.key, to_json(graph, broken))
    timings["total"] = timings["discover"] + time.perf_counter() - mark
    return Analysis(graph, broken, timings, root, stats)


def _build(
    scanned: Scan,
    cache: FactCache,
    jobs: int | None,
    progress: Progress | None,
    timings: dict[str, float],
    mark: float,
    meanwhile: Callable[[], object] | None,
) -> tuple[nx.MultiDiGraph, list[BrokenFile], dict[str, int]]:
    keyed, workers = scanned.keyed, jobs or os.cpu_count() or 1
    result = read_all(keyed, cache, workers, progress, meanwhile)
    facts = [f for f in result.facts if isinstance(f, ModuleFacts)]
    names = code_names(facts)
    parsed = result.parsed
    if names:  # a renamed copy: read again under the names its code imports
        first, keyed = keyed, fingerprint(renamed(scanned.files, names))
        result = read_all(keyed, cache, workers, progress)
        facts = [f for f in result.facts if isinstance(f, ModuleFacts)]
        parsed += result.parsed
        keyed = [*first, *keyed]  # both cached: the first pass finds them next time
    cache.save([k.key for k in keyed if isinstance(k, Job)])  # the latest run's only
    broken = sorted((f for f in result.facts if isinstance(f, BrokenFile)), key=lambda b: b.path)
    timings["parse"] = time.perf_counter() - mark

    mark = time.perf_counter()
    if progress:
        progress("build", 0, 1)
    from analysis.builder.graph import GraphBuilder

    graph = GraphBuilder(Symbols(facts)).build()
    graph.graph["package_names"] = names
    if progress:
        progress("build", 1, 1)
    timings["build"] = time.perf_counter() - mark
    stats = {
        "files": len(scanned.keyed),
        "parsed": parsed,
        "cached": result.cached,
        "broken": len(broken),
    }
    return graph, broken, stats
