"""Facts cached per file content: one pickle per content hash under the cache directory.

The key covers the file's bytes, its module name and path, and the collectors' own source
code, so editing a collector invalidates every entry without a version number to bump.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from analysis.facts import BrokenFile, ModuleFacts

Facts = ModuleFacts | BrokenFile
DEFAULT_DIR = ".strangler-cache"


@cache
def collectors_version() -> str:
    """A hash of the code that produces facts (analysis/facts.py and analysis/collect/)."""
    here = Path(__file__).parent
    digest = hashlib.blake2b(digest_size=8)
    for path in sorted([here / "facts.py", *(here / "collect").glob("*.py")]):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def open_cache(base: Path) -> FactCache:
    """The cache under ``base`` for the current collectors."""
    return FactCache(base / collectors_version())


def cache_key(source: bytes, module: str, path: str, is_package: bool) -> str:
    digest = hashlib.blake2b(source, digest_size=16)
    digest.update(f"\0{module}\0{path}\0{is_package}".encode())
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class FactCache:
    directory: Path  # already versioned: see open_cache()

    def _file(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.pickle"

    def get(self, key: str) -> Facts | None:
        try:
            with self._file(key).open("rb") as handle:
                facts = pickle.load(handle)
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError):
            return None  # missing or unreadable: parse the file again
        return facts if isinstance(facts, ModuleFacts | BrokenFile) else None

    def put(self, key: str, facts: Facts) -> None:
        """Write atomically (temp file + rename), so parallel writers never clash."""
        target = self._file(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as handle:
                pickle.dump(facts, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, target)
        except OSError:
            pass  # a read-only or full disk only costs speed next time
