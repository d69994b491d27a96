"""build_graph: a source tree in, the typed and weighted graph of it out."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx

from analysis.builder.discover import discover
from analysis.builder.graph import WEIGHTS, GraphBuilder
from analysis.builder.parse import Job, Progress, fingerprint, paused_gc, read_all
from analysis.builder.symbols import Symbols
from analysis.cache import DEFAULT_DIR, FactCache, open_cache, tree_key
from analysis.facts import BrokenFile, ModuleFacts

__all__ = ["WEIGHTS", "Analysis", "BrokenFile", "Progress", "build_graph"]


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
    facts are cached by content hash (default ``<root>/.strangler-cache``); ``progress``
    is called as ``progress(phase, done, total)`` for the phases "discover", "parse" and
    "build". Unparseable files are skipped and listed in ``Analysis.broken``.
    """
    root = Path(root)
    if not root.is_dir():
        raise NotADirectoryError(f"not a directory to analyze: {root}")
    with paused_gc():
        return _analyze(root, jobs, cache_dir, progress, exclude_tests)


def _analyze(
    root: Path,
    jobs: int | None,
    cache_dir: Path | None,
    progress: Progress | None,
    exclude_tests: bool,
) -> Analysis:
    timings: dict[str, float] = {}
    start = time.perf_counter()
    files = discover(root, exclude_tests)
    if progress:
        progress("discover", len(files), len(files))
    timings["discover"] = time.perf_counter() - start

    mark = time.perf_counter()
    cache = open_cache(cache_dir if cache_dir is not None else root / DEFAULT_DIR)
    keyed = fingerprint(files)
    whole = tree_key([k.key if isinstance(k, Job) else f"{k.path}\0{k.reason}" for k in keyed])
    stored = _stored(cache.get_graph(whole))
    if stored is not None:  # nothing changed since the last run
        graph, broken = stored
        timings["parse"] = time.perf_counter() - mark
        timings["build"] = 0.0
        if progress:
            progress("parse", len(files), len(files))
            progress("build", 1, 1)
        stats = {"files": len(files), "parsed": 0, "cached": len(files), "broken": len(broken)}
    else:
        graph, broken, stats = _build(keyed, cache, jobs, progress, timings, mark)
        cache.put_graph(whole, (graph, broken))
    timings["total"] = time.perf_counter() - start
    return Analysis(graph, broken, timings, root, stats)


def _build(
    keyed: list[Job | BrokenFile],
    cache: FactCache,
    jobs: int | None,
    progress: Progress | None,
    timings: dict[str, float],
    mark: float,
) -> tuple[nx.MultiDiGraph, list[BrokenFile], dict[str, int]]:
    result = read_all(keyed, cache, jobs or os.cpu_count() or 1, progress)
    cache.save([k.key for k in keyed if isinstance(k, Job)])  # the latest run's only
    facts = [f for f in result.facts if isinstance(f, ModuleFacts)]
    broken = sorted((f for f in result.facts if isinstance(f, BrokenFile)), key=lambda b: b.path)
    timings["parse"] = time.perf_counter() - mark

    mark = time.perf_counter()
    if progress:
        progress("build", 0, 1)
    graph = GraphBuilder(Symbols(facts)).build()
    if progress:
        progress("build", 1, 1)
    timings["build"] = time.perf_counter() - mark
    stats = {
        "files": len(keyed),
        "parsed": result.parsed,
        "cached": result.cached,
        "broken": len(broken),
    }
    return graph, broken, stats


def _stored(value: object) -> tuple[nx.MultiDiGraph, list[BrokenFile]] | None:
    if isinstance(value, tuple) and len(value) == 2:
        graph, broken = value
        if isinstance(graph, nx.MultiDiGraph) and isinstance(broken, list):
            return graph, broken
    return None
