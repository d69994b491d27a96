"""report.md: the findings for a pull request or a wiki page, rendered from the JSON document."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from analysis.report.document import (
    OWNERSHIP_COLUMNS,
    PLAN_COLUMNS,
    Document,
    ownership_rows,
    plan_rows,
)
from analysis.report.warnings import SKIPPED_COLUMNS, label, skipped_rows

METRIC_HELP = {
    "modularity": "Newman modularity of the module dependency graph (higher is better)",
    "icp": "inter-partition call percentage (lower is better)",
    "sm": "structural modularity (higher is better)",
    "ifn": "interface number, mean per service (lower is better)",
    "ned": "non-extreme distribution (lower is better)",
    "services": "services proposed (the shared library not counted)",
    "largest_share": "share of the modules in the largest service",
    "mojofm": "MoJoFM vs the truth, percent (higher is better)",
    "ari": "adjusted Rand index vs the truth (1 is perfect)",
    "nmi": "normalised mutual information vs the truth (1 is perfect)",
    "compared": "modules the truth covers",
}


def _cell(value: Any) -> str:
    if isinstance(value, float):
        text = f"{value:.3f}"
    elif isinstance(value, list | tuple):
        text = ", ".join(str(v) for v in value)
    else:
        text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return [*lines, ""]


MONOLITH_WHY = "no suggested service: project wiring, shared or data-less code"


def render_markdown(doc: Document) -> str:
    s = doc["summary"]
    out = [
        "# Service boundaries proposed by `strangler analyze`",
        "",
        *_warnings(doc),
        f"Analyzed `{doc['root']}`: {s['modules']} modules ({s['lines']} lines), "
        f"{s['models']} models, {s['endpoints']} endpoints; {s['broken_files']} file(s) skipped. "
        f"Proposed **{s['services']} services**, {s['contested_models']} contested table(s). "
        f"Resolution {doc['parameters']['resolution']}, seed {doc['parameters']['seed']}.",
        "",
        "## Services",
        "",
    ]
    out += table(
        ["service", "modules", "models", "endpoints", "lines"],
        (
            [
                sv["name"],
                len(sv["modules"]),
                ", ".join(sv["models"]),
                len(sv["endpoints"]),
                sv["lines"],
            ]
            for sv in doc["services"]
        ),
    )
    staying = [e["pattern"] for e in doc["endpoints"] if e["service"] is None]
    if staying:
        out += [
            f"{len(staying)} endpoint(s) stay with the monolith ({MONOLITH_WHY}): "
            + ", ".join(f"`{p}`" for p in staying),
            "",
        ]
    out += ["## Metrics", ""]
    metrics = {**doc["metrics"]["proposal"], **(doc["metrics"]["truth"] or {})}
    out += table(
        ["metric", "value", "meaning"], ([k, v, METRIC_HELP.get(k, "")] for k, v in metrics.items())
    )
    out += ["## Table ownership", ""]
    out += table(
        OWNERSHIP_COLUMNS,
        ownership_rows(doc),
    )
    contested = [o for o in doc["ownership"] if o["contested"]]
    out += ["## Contested tables", ""]
    if not contested:
        out += ["None: every table is written by one service.", ""]
    for o in contested:
        out += [f"- **{o['model']}** (owner {o['service']}):"]
        out += [
            f"  - {w['service']}: `{w['module']}` at {', '.join(w['sites']) or '?'}"
            for w in o["writers"]
        ]
    out += ["", "## Extraction plan", ""]
    out += table(
        PLAN_COLUMNS,
        plan_rows(doc),
    )
    for st in doc["extraction_order"]:
        out += _step(st)
    out += ["## Cycles between services", ""]
    cycles = doc["cycles"]
    if not cycles["groups"]:
        out += ["None.", ""]
    else:
        out += [f"- {' <-> '.join(g)}" for g in cycles["groups"]]
        out += [
            "",
            "Cheapest dependencies to remove to break them all"
            + ("" if cycles["exact"] else " (greedy: groups too large for the exact search)")
            + ":",
            "",
        ]
        out += [
            f"- {e['source']} -> {e['target']} (weight {e['weight']:g})"
            for e in cycles["break_edges"]
        ]
        out += [""]
    out += ["## Coupling smells", ""]
    out += table(
        ["kind", "what", "where"],
        ([sm["kind"], sm["summary"], ", ".join(sm["where"][:6])] for sm in doc["smells"]),
    )
    if doc["timings"]:
        out += ["## Timings (seconds)", ""]
        out += table(["phase", "seconds"], doc["timings"].items())
    return "\n".join(out)


def _warnings(doc: Document) -> list[str]:
    """Quoted at the top, before any result, with the skipped files (all of them)."""
    out = []
    for warning in doc["warnings"]:
        out += [f"> **{label(warning)}:** {warning['message']}.", ""]
    if doc["broken_files"]:
        out += ["## Files skipped", ""]
        out += table(SKIPPED_COLUMNS, skipped_rows(doc))
    return out


def _step(step: dict[str, Any]) -> list[str]:
    cuts = step["cuts"]
    out = [f"### {step['rank']}. {step['service']}", ""]
    if cuts["routes"]:
        out += ["Routes to put behind the proxy:", ""]
        out += [
            f"- `{' '.join(r['methods'])} {r['pattern']}` ({r['view']})" for r in cuts["routes"]
        ]
        out += [""]
    if cuts["foreign_keys"]:
        out += ["Foreign keys to turn into ids:", ""]
        out += [
            f"- `{f['source']}.{f['field']}` -> `{f['target']}` ({f['relation']})"
            for f in cuts["foreign_keys"]
        ]
        out += [""]
    if cuts["api_calls"]:
        out += ["Code to turn into API calls or events:", ""]
        out += [
            f"- {c['direction']} {c['kind']}: `{c['source']}` -> `{c['target']}`"
            + (f" at {', '.join(c['sites'][:3])}" if c["sites"] else "")
            for c in cuts["api_calls"]
        ]
        out += [""]
    if cuts["sagas"]:
        out += ["Transactions that become sagas:", ""]
        out += [
            f"- `{s['module']}.{s['function']}` at {s['site']} spans {', '.join(s['services'])}"
            for s in cuts["sagas"]
        ]
        out += [""]
    return out
