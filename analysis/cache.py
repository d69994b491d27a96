"""Facts cached per file content: one pickle per content hash under the cache directory.

The key covers the file's bytes, its module name and path, and the collectors' own source
code, so editing a collector invalidates every entry without a version number to bump.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import shutil
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from analysis.facts import BrokenFile, ModuleFacts

Facts = ModuleFacts | BrokenFile
DEFAULT_DIR = ".strangler-cache"


@cache
def code_version(*folders: str) -> str:
    """A hash of the analyzer's code that produces facts (facts.py, collect/) and, if
    named, other folders (builder/): editing it invalidates what it produced."""
    here = Path(__file__).parent
    digest = hashlib.blake2b(digest_size=8)
    for folder in ("collect", *folders):
        for path in sorted([here / "facts.py", *(here / folder).glob("*.py")]):
            digest.update(path.read_bytes())
    return digest.hexdigest()


def open_cache(base: Path) -> FactCache:
    """The cache under ``base`` for the current collectors; what older versions of the
    analyzer left there is removed (it can never be read again)."""
    current = code_version()
    if base.is_dir():
        for old in base.iterdir():
            if old.is_dir() and old.name != current and _is_version(old.name):
                shutil.rmtree(old, ignore_errors=True)
    else:  # like pytest's and ruff's caches: never shows up in git status
        _write(base / ".gitignore", b"# created by strangler-fig's analyzer\n*\n")
    return FactCache(base / current)


def _is_version(name: str) -> bool:
    return len(name) == 16 and all(c in "0123456789abcdef" for c in name)


def cache_key(source: bytes, module: str, path: str, is_package: bool) -> str:
    digest = hashlib.blake2b(source, digest_size=16)
    digest.update(f"\0{module}\0{path}\0{is_package}".encode())
    return digest.hexdigest()


def tree_key(keys: list[str]) -> str:
    """One key for a whole tree: its files' keys and the builder's code."""
    digest = hashlib.blake2b("\n".join([code_version("builder"), *keys]).encode(), digest_size=16)
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class FactCache:
    """``<dir>/<code version>/<key[:2]>/<key>.pickle`` per file, and ``graphs/<key>.pickle``
    with the latest whole analysis (so an unchanged tree skips the graph building too).

    One cache directory serves one tree: after a run that parsed anything, the entries
    that run did not use are pruned (see ``prune``), so the cache stays one tree's size."""

    directory: Path  # already versioned: see open_cache()

    def get(self, key: str) -> Facts | None:
        facts = _load(self.directory / key[:2] / f"{key}.pickle")
        return facts if isinstance(facts, ModuleFacts | BrokenFile) else None

    def put(self, key: str, facts: Facts) -> bytes:
        """Store the facts; returns their pickled form (cheap to send between processes)."""
        data = pickle.dumps(facts, protocol=pickle.HIGHEST_PROTOCOL)
        _write(self.directory / key[:2] / f"{key}.pickle", data)
        return data

    def prune(self, keep: set[str]) -> int:
        """Remove the per-file entries whose key is not in ``keep`` (files' old contents,
        deleted files): one directory listing, no reads. Returns how many were removed."""
        removed = 0
        try:
            folders = [d for d in os.scandir(self.directory) if len(d.name) == 2 and d.is_dir()]
        except OSError:
            return 0
        for folder in folders:
            with os.scandir(folder.path) as entries:
                for entry in entries:
                    key, _, suffix = entry.name.partition(".")
                    if suffix == "pickle" and key not in keep:
                        with contextlib.suppress(OSError):
                            os.unlink(entry.path)
                            removed += 1
        return removed

    def get_graph(self, key: str) -> object | None:
        return _load(self.directory / "graphs" / f"{key}.pickle")

    def put_graph(self, key: str, value: object) -> None:
        folder = self.directory / "graphs"
        for old in folder.glob("*.pickle"):
            old.unlink(missing_ok=True)  # one tree, one graph: keep the latest only
        _write(folder / f"{key}.pickle", pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


def _load(path: Path) -> object | None:
    try:
        with path.open("rb") as handle:
            value: object = pickle.load(handle)
            return value
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError):
        return None  # missing or unreadable: compute it again


def _write(target: Path, data: bytes) -> None:
    """Write atomically (temp file + rename), so parallel writers never clash."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
    except OSError:
        pass  # a read-only or full disk only costs speed next time
