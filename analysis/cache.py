"""The analyzer's caches: facts per file content hash, the latest graph, the latest reports.

Safe by construction: the cache lives outside the analysed tree (a per-user directory keyed
by the tree's resolved path, unless a directory is named), and everything in it is JSON,
checked when read (``analysis.codec``), so a planted or damaged file can never run code:
at worst it is ignored and the analysis is done again.

The key covers the file's bytes, its module name and path, and the collectors' own source
code, so editing a collector invalidates every entry without a version number to bump.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from analysis.codec import Facts

ENV = "STRANGLER_CACHE_DIR"
PACK = "facts.json"


def default_cache_dir(root: Path) -> Path:
    """``$STRANGLER_CACHE_DIR``, else ``$XDG_CACHE_HOME/strangler``, else
    ``~/.cache/strangler``; one folder per analysed tree (its name and a hash of its
    resolved path), never inside the tree itself."""
    base = os.environ.get(ENV) or os.path.join(_user_cache_home(), "strangler")
    resolved = root.resolve()
    digest = hashlib.blake2b(str(resolved).encode(), digest_size=8).hexdigest()
    return Path(base) / f"{resolved.name or 'root'}-{digest}"


def _user_cache_home() -> str:
    if os.environ.get("XDG_CACHE_HOME"):
        return os.environ["XDG_CACHE_HOME"]
    try:
        return os.path.join(Path.home(), ".cache")
    except (RuntimeError, KeyError):  # no home directory: a folder of this user's in /tmp
        return os.path.join(tempfile.gettempdir(), f"strangler-{os.getuid()}")


@cache
def code_version(*folders: str) -> str:
    """A hash of the analyzer's code that produces facts (facts.py, collect/, this cache's
    layout) and, if named, other folders (builder/): editing it invalidates what it
    produced."""
    here = Path(__file__).parent
    digest = hashlib.blake2b(digest_size=8)
    for folder in ("collect", *folders):
        own = [here / "facts.py", here / "codec.py", here / "cache.py"]
        for path in sorted([*own, *(here / folder).glob("*.py")]):
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
    """``<dir>/<code version>/facts.json``: one pack mapping each file's key to its encoded
    facts; ``graphs/<key>.json``, the latest whole graph (so an unchanged tree skips the
    graph building too); ``results/<key>.json`` and ``results/<key>/``, the latest reports
    as plain text files (so an unchanged tree and the same options skip everything).

    One pack, not a file per source file: creating a thousand small files costs more than
    parsing a tenth of them. One cache directory serves one tree: ``save`` writes only the
    entries of the latest run, so old contents and deleted files are pruned as it goes."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory  # already versioned: see open_cache()
        self._pack: dict[str, object] | None = None  # read on first use
        self._fresh: dict[str, str] = {}  # key -> encoded facts as JSON text

    @property
    def pack(self) -> dict[str, object]:
        if self._pack is None:
            stored = load_json(self.directory / PACK)
            self._pack = stored if isinstance(stored, dict) else {}
        return self._pack

    def get(self, key: str) -> Facts | None:
        data = self._fresh.get(key)
        value = json.loads(data) if data is not None else self.pack.get(key)
        if value is None:
            return None
        from analysis.codec import decode  # facts cost an import: only when one is read

        try:
            return decode(value)
        except (ValueError, TypeError, RecursionError):
            return None  # foreign or damaged: compute it again

    def put(self, key: str, data: str) -> None:
        """Record encoded facts as JSON text (see ``analysis.codec``); ``save`` writes them."""
        self._fresh[key] = data

    def save(self, keys: list[str]) -> None:
        """Write the pack with the entries of ``keys`` only (the latest run's files)."""
        if not self._fresh and set(keys) == self.pack.keys():
            return
        parts = []
        for key in keys:
            text = self._fresh.get(key)
            if text is None and key in self.pack:
                text = json.dumps(self.pack[key], separators=(",", ":"))
            if text is not None:
                parts.append(f"{json.dumps(key)}:{text}")
        _write(self.directory / PACK, ("{" + ",".join(parts) + "}").encode())
        self._pack, self._fresh = None, {}

    def stored(self) -> set[str]:
        """The keys with facts in the cache."""
        return {*self.pack, *self._fresh}

    def get_graph(self, key: str) -> object | None:
        """The JSON value ``put_graph`` stored under ``key`` (None if missing or unreadable)."""
        return _keyed(load_json(self.directory / "graphs" / f"{key}.json"), key)

    def put_graph(self, key: str, value: object) -> None:
        _write_latest(self.directory / "graphs", key, value)

    def get_texts(self, key: str) -> dict[str, str] | None:
        """The texts ``put_texts`` stored under ``key``, whole, or None."""
        index = _keyed(load_json(self.directory / "results" / f"{key}.json"), key)
        if not (isinstance(index, list) and all(_is_entry(e) for e in index)):
            return None
        texts = {}
        for number, (name, size) in enumerate(index):
            try:
                data = (self.directory / "results" / key / str(number)).read_bytes()
            except OSError:
                return None
            if len(data) != size:
                return None  # cut short
            try:
                texts[name] = data.decode()
            except UnicodeDecodeError:
                return None
        return texts

    def put_texts(self, key: str, texts: dict[str, str]) -> None:
        """Keep ``texts`` (the latest run's reports) as plain files, each as it is."""
        folder = self.directory / "results"
        if folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)  # one tree, one entry: the latest
        index = []
        for number, (name, text) in enumerate(texts.items()):
            data = text.encode()
            _write(folder / key / str(number), data)
            index.append([name, len(data)])
        _write(folder / f"{key}.json", encoded({"key": key, "value": index}).encode())


def _is_entry(entry: object) -> bool:
    return (
        isinstance(entry, list)
        and len(entry) == 2
        and isinstance(entry[0], str)
        and isinstance(entry[1], int)
    )


def encoded(value: object) -> str:
    """Compact JSON text, as the pack stores it."""
    return json.dumps(value, separators=(",", ":"))


def load_json(path: Path) -> object | None:
    """The JSON value in ``path``, or None when it is missing or not JSON (never code)."""
    try:
        value: object = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):
        return None  # missing or unreadable: compute it again
    return value


def _keyed(stored: object, key: str) -> object | None:
    """The value of a ``{"key", "value"}`` file, if it was written for ``key``."""
    if isinstance(stored, dict) and stored.get("key") == key:
        return stored.get("value")
    return None


def _write_latest(folder: Path, key: str, value: object) -> None:
    for old in folder.glob("*.json"):
        old.unlink(missing_ok=True)  # one tree, one entry: keep the latest only
    _write(folder / f"{key}.json", encoded({"key": key, "value": value}).encode())


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
