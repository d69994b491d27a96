"""What the analysis writes: the report files, their schema version, and the writer.

Kept apart from the report's renderers (``analysis.report``) so that writing reports found
in the cache imports nothing heavy.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

#: The files the reports are made of, relative to the output folder, in this order.
REPORT_FILES = (
    "report.json",
    "report.md",
    "report.html",
    "contracts/.importlinter",
    "contracts/tach.toml",
)
#: Of report.json (analysis/report/SCHEMA.md); bumped on any incompatible change.
SCHEMA_VERSION = 1
#: report.json's warnings that make the results incomplete or meaningless (a file that
#: did not parse; a tree that is not a Django project): ``strangler analyze`` then writes
#: nothing and exits 1, unless ``--allow-broken``. Other warnings are notes.
BLOCKING_WARNINGS = frozenset({"not-django", "broken-files"})


def warning_label(kind: str) -> str:
    """How a warning is headed: blocking ones are warnings, the others notes."""
    return "Warning" if kind in BLOCKING_WARNINGS else "Note"


def write_files(files: Mapping[str, str], out: Path) -> list[Path]:
    """Write rendered report files under ``out``; return the paths."""
    paths = []
    for name, text in files.items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths
