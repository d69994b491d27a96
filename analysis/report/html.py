"""report.html: one self-contained page (inline SVG, CSS and JS; opens offline, no CDN).

The services graph is drawn server-side as SVG (positions from a deterministic force layout),
so it shows even without JavaScript; the inline script adds zoom, pan and the details panel.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

from analysis.report.assets import CSS, JS
from analysis.report.document import (
    OWNERSHIP_COLUMNS,
    PLAN_COLUMNS,
    Document,
    ownership_rows,
    plan_rows,
)
from analysis.report.layout import force_layout, separate
from analysis.report.markdown import METRIC_HELP, MONOLITH_WHY
from analysis.report.warnings import SKIPPED_COLUMNS, label, skipped_rows

PALETTE = [
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#2f4b7c",
    "#a05195",
    "#d45087",
    "#f95d6a",
    "#ff7c43",
    "#665191",
    "#003f5c",
]
SHARED_COLOUR = "#9aa0a6"
WIDTH, HEIGHT = 1000.0, 700.0


def colours(doc: Document) -> dict[str, str]:
    names = [s["name"] for s in doc["services"] if not s["shared"]]
    found = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}
    found.update({s["name"]: SHARED_COLOUR for s in doc["services"] if s["shared"]})
    return found


def render_svg(doc: Document) -> str:
    colour = colours(doc)
    services = {s["name"]: s for s in doc["services"]}
    weights = {(e["source"], e["target"]): float(e["weight"]) for e in doc["service_edges"]}
    biggest = max((len(s["modules"]) for s in services.values()), default=1) or 1
    radius = {
        name: 14 + 34 * math.sqrt(len(s["modules"]) / biggest) for name, s in services.items()
    }
    pos = separate(
        force_layout(list(services), weights, width=WIDTH, height=HEIGHT),
        radius,
        width=WIDTH,
        height=HEIGHT,
    )
    strongest = max(weights.values(), default=1.0)
    parts = [
        f'<svg id="graph" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH:g} {HEIGHT:g}" '
        'role="img" aria-label="Proposed services and the dependencies between them">',
        "<defs>",
        *(
            f'<marker id="arrow-{i}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="12" '
            'markerHeight="12" markerUnits="userSpaceOnUse" orient="auto">'
            '<path d="M0,0 L10,5 L0,10 z" '
            f'fill="{escape(c)}"/></marker>'
            for i, c in enumerate(colour.values())
        ),
        "</defs>",
        '<g id="edges">',
    ]
    marker = {name: i for i, name in enumerate(colour)}
    for (a, b), weight in sorted(weights.items()):
        if a not in pos or b not in pos:
            continue
        (x1, y1), (x2, y2) = pos[a], pos[b]
        length = math.hypot(x2 - x1, y2 - y1) or 1.0
        ux, uy = (x2 - x1) / length, (y2 - y1) / length
        bend = 24 if (b, a) in weights else 0  # two-way dependencies curve apart
        sx, sy = x1 + ux * radius[a], y1 + uy * radius[a]
        ex, ey = x2 - ux * (radius[b] + 4), y2 - uy * (radius[b] + 4)
        cx, cy = (sx + ex) / 2 - uy * bend, (sy + ey) / 2 + ux * bend
        width = 1.5 + 5 * weight / strongest
        dash = ' stroke-dasharray="6 4"' if SHARED_COLOUR in (colour[a], colour[b]) else ""
        parts.append(
            f'<path class="edge" data-source="{escape(a)}" data-target="{escape(b)}"{dash} '
            f'd="M{sx:.1f},{sy:.1f} Q{cx:.1f},{cy:.1f} {ex:.1f},{ey:.1f}" '
            f'stroke="{colour[a]}" stroke-width="{width:.1f}" marker-end="url(#arrow-{marker[a]})">'
            f"<title>{escape(a)} depends on {escape(b)} (weight {weight:g})</title></path>"
        )
    parts.append('</g><g id="nodes">')
    for name, service in services.items():
        x, y = pos[name]
        parts.append(
            f'<g class="node" tabindex="0" data-service="{escape(name)}" '
            f'transform="translate({x:.1f},{y:.1f})">'
            f'<circle r="{radius[name]:.1f}" fill="{colour[name]}"/>'
            f'<text y="{radius[name] + 18:.1f}">{escape(name)}</text>'
            f"<title>{escape(name)}: {len(service['modules'])} modules, "
            f"{len(service['models'])} models, {len(service['endpoints'])} endpoints</title></g>"
        )
    parts.append("</g></svg>")
    return "\n".join(parts)


def _table(headers: Sequence[str], rows: Iterable[Sequence[Any]], table_id: str = "") -> str:
    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:.3f}"
        if isinstance(value, list | tuple):
            return ", ".join(escape(str(v)) for v in value)
        return "" if value is None else escape(str(value))

    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in row) + "</tr>" for row in rows)
    ident = f' id="{table_id}"' if table_id else ""
    return f"<table{ident}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(doc: Document) -> str:
    s = doc["summary"]
    colour = colours(doc)
    data = {
        "services": doc["services"],
        "steps": {
            st["service"]: {
                "rank": st["rank"],
                "cost": st["cost"],
                "of": len(doc["extraction_order"]),
            }
            for st in doc["extraction_order"]
        },
    }
    payload = json.dumps(data, sort_keys=True).replace("</", "<\\/")
    metrics = {**doc["metrics"]["proposal"], **(doc["metrics"]["truth"] or {})}
    contested = [o for o in doc["ownership"] if o["contested"]]
    legend = " ".join(
        f'<span><span class="swatch" style="background:{c}"></span>{escape(n)}</span>'
        for n, c in colour.items()
    )
    sections = [
        *_warnings(doc),
        "<section><h2>Proposed services</h2>"
        '<div class="controls"><button id="zoom-in">+</button><button id="zoom-out">&minus;'
        '</button><button id="zoom-reset">reset</button> <span class="muted">scroll to zoom, '
        f"drag to pan, click a service for its contents</span></div><p>{legend}</p>"
        f'<div class="graph-wrap">{render_svg(doc)}<div id="details">'
        '<p class="muted">Click a service to see its modules, models and endpoints.</p>'
        f"</div></div>{_staying(doc)}</section>",
        "<section><h2>Metrics</h2>"
        + _table(
            ["metric", "value", "meaning"],
            ([k, v, METRIC_HELP.get(k, "")] for k, v in metrics.items()),
            "metrics",
        )
        + "</section>",
        "<section><h2>Table ownership</h2>"
        + _table(
            OWNERSHIP_COLUMNS,
            ownership_rows(doc),
            "ownership",
        )
        + "</section>",
        "<section><h2>Contested tables</h2>"
        + (
            _table(
                ["model", "owner", "writer", "service", "sites"],
                (
                    [o["model"], o["service"], w["module"], w["service"], w["sites"]]
                    for o in contested
                    for w in o["writers"]
                ),
                "contested",
            )
            if contested
            else "<p>None: every table is written by one service.</p>"
        )
        + "</section>",
        "<section><h2>Extraction plan</h2>" + _plan(doc) + "</section>",
        "<section><h2>Cycles between services</h2>" + _cycles(doc) + "</section>",
        "<section><h2>Coupling smells</h2>"
        + _table(
            ["kind", "what", "where"],
            ([m["kind"], m["summary"], m["where"][:8]] for m in doc["smells"]),
            "smells",
        )
        + "</section>",
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>strangler analyze: {escape(doc['root'])}</title><style>{CSS}</style></head>"
        f"<body><header><h1>Service boundaries proposed by strangler analyze</h1>"
        f"<p>{escape(doc['root'])}: {s['modules']} modules, {s['lines']} lines, {s['models']} "
        f"models, {s['endpoints']} endpoints &rarr; {s['services']} services, "
        f"{s['contested_models']} contested tables</p></header><main>"
        + "".join(sections)
        + f'</main><script type="application/json" id="report-data">{payload}</script>'
        f"<script>{JS}</script></body></html>\n"
    )


def _warnings(doc: Document) -> list[str]:
    """The first section, before any result: the warnings and every skipped file."""
    if not doc["warnings"] and not doc["broken_files"]:
        return []
    notes = "".join(
        f"<p><strong>{label(w)}:</strong> {escape(w['message'])}.</p>" for w in doc["warnings"]
    )
    skipped = (
        "<h2>Files skipped</h2>" + _table(SKIPPED_COLUMNS, skipped_rows(doc), "skipped")
        if doc["broken_files"]
        else ""
    )
    return [f'<section class="warnings" id="warnings" role="alert">{notes}{skipped}</section>']


def _plan(doc: Document) -> str:
    out = [
        _table(
            PLAN_COLUMNS,
            plan_rows(doc),
            "plan",
        )
    ]
    for st in doc["extraction_order"]:
        cuts = st["cuts"]
        rows: list[list[Any]] = []
        rows += [
            ["route behind the proxy", " ".join(r["methods"]) + " " + r["pattern"], r["view"]]
            for r in cuts["routes"]
        ]
        rows += [
            ["foreign key to id", f"{f['source']}.{f['field']} -> {f['target']}", f["relation"]]
            for f in cuts["foreign_keys"]
        ]
        rows += [
            [
                f"{c['direction']} {c['kind']} to API call",
                f"{c['source']} -> {c['target']}",
                c["sites"][:3],
            ]
            for c in cuts["api_calls"]
        ]
        rows += [
            [
                "atomic block to saga",
                f"{g['module']}.{g['function']}",
                f"{g['site']} ({', '.join(g['services'])})",
            ]
            for g in cuts["sagas"]
        ]
        out.append(f"<h3>{st['rank']}. {escape(st['service'])}</h3>")
        out.append(_table(["cut", "what", "where"], rows))
    return "".join(out)


def _cycles(doc: Document) -> str:
    cycles = doc["cycles"]
    if not cycles["groups"]:
        return "<p>None.</p>"
    groups = "".join(f"<li>{escape(' <-> '.join(g))}</li>" for g in cycles["groups"])
    note = "" if cycles["exact"] else " (greedy: groups too large for the exact search)"
    return (
        f"<ul>{groups}</ul><p>Cheapest dependencies to remove to break them all{note}:</p>"
        + _table(
            ["from", "to", "uses"],
            ([e["source"], e["target"], e["weight"]] for e in cycles["break_edges"]),
            "cycle-breaks",
        )
    )


def _staying(doc: Document) -> str:
    staying = [e["pattern"] for e in doc["endpoints"] if e["service"] is None]
    if not staying:
        return ""
    codes = ", ".join(f"<code>{escape(p)}</code>" for p in staying)
    return f"<p>{len(staying)} endpoint(s) stay with the monolith ({MONOLITH_WHY}): {codes}</p>"
