"""The reports: report.json (schema in SCHEMA.md), report.md, report.html, boundary contracts.

``build_report`` and the renderers are pure; ``write_report`` is the one function that writes.
"""

from __future__ import annotations

import json
from pathlib import Path

from analysis.report.contracts import importlinter_contracts, service_prefixes, tach_toml
from analysis.report.document import SCHEMA_VERSION, Document, build_report
from analysis.report.html import render_html
from analysis.report.markdown import render_markdown

__all__ = [
    "SCHEMA_VERSION",
    "Document",
    "build_report",
    "importlinter_contracts",
    "render_html",
    "render_markdown",
    "service_prefixes",
    "tach_toml",
    "write_report",
]


def write_report(doc: Document, out: Path) -> list[Path]:
    """Write report.json, report.md, report.html and contracts/ under ``out``; return the paths."""
    module_service = {m["name"]: m["service"] for m in doc["modules"] if m["service"]}
    files = {
        out / "report.json": json.dumps(doc, indent=2, sort_keys=False) + "\n",
        out / "report.md": render_markdown(doc),
        out / "report.html": render_html(doc),
        out / "contracts" / ".importlinter": importlinter_contracts(module_service),
        out / "contracts" / "tach.toml": tach_toml(module_service),
    }
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(files)
