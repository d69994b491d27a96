"""Which files to analyze, and the dotted module name of each."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

SKIP_DIRS = frozenset({"__pycache__", "node_modules", "site-packages", "build", "dist"})
TEST_DIRS = frozenset({"tests", "test", "testing", "migrations"})


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: Path
    rel: str  # relative to the analyzed root, posix
    module: str
    is_package: bool


def is_test_file(name: str) -> bool:
    return (
        name.startswith("test_")
        or name.endswith("_test.py")
        or name.endswith("_tests.py")
        or name in ("tests.py", "conftest.py")
    )


def discover(root: Path, exclude_tests: bool = True) -> list[SourceFile]:
    """Python files under ``root`` (tests and migrations left out unless asked for)."""
    root = root.resolve()
    base = str(root)
    bases: dict[str, tuple[str, ...]] = {}
    found: list[SourceFile] = []
    for directory, dirs, files in os.walk(base):
        dirs[:] = sorted(
            d
            for d in dirs
            if not d.startswith(".")
            and d not in SKIP_DIRS
            and not (exclude_tests and d in TEST_DIRS)
            and not os.path.exists(os.path.join(directory, d, "pyvenv.cfg"))  # a virtualenv
        )
        package = _package(directory, bases)
        prefix = directory[len(base) + 1 :].replace(os.sep, "/")
        prefix += "/" if prefix else ""
        for name in sorted(files):
            if not name.endswith(".py") or (exclude_tests and is_test_file(name)):
                continue
            is_package = name == "__init__.py"
            parts = package if is_package else (*package, name[:-3])
            if not parts or not all(p.isidentifier() for p in parts):
                continue
            path = Path(directory, name)
            found.append(SourceFile(path, prefix + name, ".".join(parts), is_package))
    return found


def _package(directory: str, bases: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """The dotted package of a directory: its name under the chain of ``__init__.py``
    directories above it (which may reach above the analyzed root)."""
    known = bases.get(directory)
    if known is not None:
        return known
    if os.path.exists(os.path.join(directory, "__init__.py")):
        parent = os.path.dirname(directory)
        result = (
            (*_package(parent, bases), os.path.basename(directory)) if parent != directory else ()
        )
    else:
        result = ()
    bases[directory] = result
    return result
