"""The reports: report.json (schema in SCHEMA.md), report.md, report.html, boundary contracts.

``build_report`` and the renderers are pure; ``write_report`` is the one function that writes.
"""

from __future__ import annotations

from pathlib import Path

from analysis.outputs import REPORT_FILES, SCHEMA_VERSION, write_files
from analysis.report.contracts import importlinter_contracts, service_prefixes, tach_toml
from analysis.report.document import Document, build_report
from analysis.report.html import render_html
from analysis.report.jsontext import indented
from analysis.report.markdown import render_markdown

__all__ = [
    "REPORT_FILES",
    "SCHEMA_VERSION",
    "Document",
    "build_report",
    "importlinter_contracts",
    "render_html",
    "render_markdown",
    "render_report",
    "service_prefixes",
    "tach_toml",
    "write_files",
    "write_report",
]


def render_report(doc: Document) -> dict[str, str]:
    """Every report file's text, by its path relative to the output folder."""
    module_service = {m["name"]: m["service"] for m in doc["modules"] if m["service"]}
    return {
        "report.json": indented(doc) + "\n",  # json.dumps(doc, indent=2), faster
        "report.md": render_markdown(doc),
        "report.html": render_html(doc),
        "contracts/.importlinter": importlinter_contracts(module_service),
        "contracts/tach.toml": tach_toml(module_service),
    }


def write_report(doc: Document, out: Path) -> list[Path]:
    """Write report.json, report.md, report.html and contracts/ under ``out``; return the paths."""
    return write_files(render_report(doc), out)
