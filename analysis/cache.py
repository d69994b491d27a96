"""Facts cached per file content hash, in one pack under the cache directory.

The key covers the file's bytes, its module name and path, and the collectors' own source
code, so editing a collector invalidates every entry without a version number to bump.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import tempfile
from functools import cache
from pathlib import Path

from analysis.facts import BrokenFile, ModuleFacts

Facts = ModuleFacts | BrokenFile
DEFAULT_DIR = ".strangler-cache"
PACK = "facts.pickle"


@cache
def code_version(*folders: str) -> str:
    """A hash of the analyzer's code that produces facts (facts.py, collect/, this cache's
    layout) and, if named, other folders (builder/): editing it invalidates what it
    produced."""
    here = Path(__file__).parent
    digest = hashlib.blake2b(digest_size=8)
    for folder in ("collect", *folders):
        for path in sorted([here / "facts.py", here / "cache.py", *(here / folder).glob("*.py")]):
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


class FactCache:
    """``<dir>/<code version>/facts.pickle``: one pack mapping each file's key to its
    pickled facts, and ``graphs/<key>.pickle`` with the latest whole analysis (so an
    unchanged tree skips the graph building too).

    One pack, not a file per source file: creating a thousand small files costs more than
    parsing a tenth of them. One cache directory serves one tree: ``save`` writes only the
    entries of the latest run, so old contents and deleted files are pruned as it goes."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory  # already versioned: see open_cache()
        self._pack: dict[str, bytes] | None = None  # read on first use
        self._fresh: dict[str, bytes] = {}

    @property
    def pack(self) -> dict[str, bytes]:
        if self._pack is None:
            stored = _load(self.directory / PACK)
            self._pack = stored if isinstance(stored, dict) else {}
        return self._pack

    def get(self, key: str) -> Facts | None:
        data = self._fresh.get(key) or self.pack.get(key)
        if data is None:
            return None
        try:
            facts = pickle.loads(data)
        except (EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError):
            return None  # unreadable: compute it again
        return facts if isinstance(facts, ModuleFacts | BrokenFile) else None

    def put(self, key: str, data: bytes) -> None:
        """Record pickled facts (see ``dump``); ``save`` writes them."""
        self._fresh[key] = data

    def save(self, keys: list[str]) -> None:
        """Write the pack with the entries of ``keys`` only (the latest run's files)."""
        if not self._fresh and set(keys) == self.pack.keys():
            return
        pack = {k: d for k in keys if (d := self._fresh.get(k) or self.pack.get(k))}
        _write(self.directory / PACK, pickle.dumps(pack, protocol=pickle.HIGHEST_PROTOCOL))
        self._pack, self._fresh = pack, {}

    def stored(self) -> set[str]:
        """The keys with facts in the cache."""
        return {*self.pack, *self._fresh}

    def get_graph(self, key: str) -> object | None:
        return _load(self.directory / "graphs" / f"{key}.pickle")

    def put_graph(self, key: str, value: object) -> None:
        folder = self.directory / "graphs"
        for old in folder.glob("*.pickle"):
            old.unlink(missing_ok=True)  # one tree, one graph: keep the latest only
        _write(folder / f"{key}.pickle", pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


def dump(facts: Facts) -> bytes:
    return pickle.dumps(facts, protocol=pickle.HIGHEST_PROTOCOL)


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
