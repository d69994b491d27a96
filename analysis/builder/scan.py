"""The cheap first pass over a tree: which files, and a content key for each and for all.

No parsing and no networkx here, so a run that finds its result cached stays quick.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from analysis.builder.discover import SourceFile, discover
from analysis.cache import cache_key, tree_key

if TYPE_CHECKING:
    from analysis.facts import BrokenFile


@dataclass(frozen=True, slots=True)
class Job:
    path: Path
    rel: str
    module: str
    is_package: bool
    key: str
    size: int


@dataclass(frozen=True)
class Scan:
    files: list[SourceFile]
    keyed: list[Job | BrokenFile]
    key: str  # of the whole tree and of the builder's code
    seconds: dict[str, float]  # "discover" and "fingerprint"


def scan(root: Path, exclude_tests: bool = True) -> Scan:
    start = time.perf_counter()
    files = discover(root, exclude_tests)
    mark = time.perf_counter()
    keyed = fingerprint(files)
    whole = tree_key([k.key if isinstance(k, Job) else f"{k.path}\0{k.reason}" for k in keyed])
    seconds = {"discover": mark - start, "fingerprint": time.perf_counter() - mark}
    return Scan(files, keyed, whole, seconds)


def fingerprint(files: list[SourceFile]) -> list[Job | BrokenFile]:
    """Each file's content key (or why it cannot be read): cheap, no parsing."""
    found: list[Job | BrokenFile] = []
    for source in files:
        try:
            data = source.path.read_bytes()
        except OSError as error:
            from analysis.facts import BrokenFile  # rare: facts cost an import otherwise

            found.append(BrokenFile(source.rel, f"cannot read the file: {error.strerror}"))
            continue
        key = cache_key(data, source.module, source.rel, source.is_package)
        found.append(Job(source.path, source.rel, source.module, source.is_package, key, len(data)))
    return found


@contextmanager
def paused_gc() -> Iterator[None]:
    """Syntax trees, facts and the graph hold no reference cycles, so the cyclic garbage
    collector would only keep walking millions of young objects for nothing: pausing it
    saves about a third of the time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
