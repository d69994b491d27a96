"""The cheap first pass over a tree: which files, and a content key for each and for all.

No parsing and no networkx here, so a run that finds its result cached stays quick.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from analysis.builder.discover import SourceFile, discover
from analysis.cache import cache_key, tree_key
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
            found.append(BrokenFile(source.rel, f"cannot read the file: {error.strerror}"))
            continue
        key = cache_key(data, source.module, source.rel, source.is_package)
        found.append(Job(source.path, source.rel, source.module, source.is_package, key, len(data)))
    return found
