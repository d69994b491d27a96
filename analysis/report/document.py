"""The report as one JSON-ready document (the schema is in SCHEMA.md beside this file).

report.md and report.html are rendered from this document only, so the three never disagree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, fields
from typing import Any

import networkx as nx

from analysis.metrics import Metrics, evaluate
from analysis.outputs import SCHEMA_VERSION
from analysis.propose import SHARED, Proposal
from analysis.propose.plan import service_dependencies
from analysis.propose.smells import find_smells
from analysis.propose.view import edges, kind_of, memoised, name_of
from analysis.report.warnings import find_warnings, truth_covers

Document = dict[str, Any]


#: The extraction plan's table, as both renderers show it.
PLAN_COLUMNS = ["#", "service", "cost", "inbound", "foreign writes", "FKs cut", "endpoints"]
_PLAN_KEYS = (
    "rank",
    "service",
    "cost",
    "inbound_coupling",
    "foreign_writes",
    "crossing_fks",
    "endpoint_surface",
)


def plan_rows(doc: Mapping[str, Any]) -> list[list[Any]]:
    """One row per extraction step, in ``PLAN_COLUMNS`` order."""
    return [[step[key] for key in _PLAN_KEYS] for step in doc["extraction_order"]]


#: The ownership table, as both renderers show it.
OWNERSHIP_COLUMNS = ["model", "owner", "defined in", "written from", "read from"]


def ownership_rows(doc: Mapping[str, Any]) -> list[list[Any]]:
    """One row per model: owner, defining module, the services that write and read it."""
    return [
        [
            o["model"],
            o["service"] or "(outside)",
            o["defined_in"],
            sorted({w["service"] for w in o["writers"]}),
            sorted({r["service"] for r in o["readers"]}),
        ]
        for o in doc["ownership"]
    ]


def build_report(
    graph: nx.MultiDiGraph,
    proposal: Proposal,
    *,
    root: str,
    timings: Mapping[str, float] | None = None,
    broken: Sequence[tuple[str, str, int | None]] = (),
    truth: Mapping[str, str] | None = None,
    requested_services: int | None = None,
    truth_found: str | None = None,
) -> Document:
    """Everything the analysis found and proposes, as plain JSON-ready data.

    ``broken``: the skipped files as (path, reason, line or None). ``truth_found``: the path
    of ``truth`` when it was found beside the code rather than named by the user; naming
    none of the modules, it is then left out with a warning (a named one raises
    ``ValueError``)."""
    with memoised(graph):
        return _document(
            graph, proposal, root, timings, broken, truth, requested_services, truth_found
        )


def _document(
    graph: nx.MultiDiGraph,
    proposal: Proposal,
    root: str,
    timings: Mapping[str, float] | None,
    broken: Sequence[tuple[str, str, int | None]],
    truth: Mapping[str, str] | None,
    requested_services: int | None,
    truth_found: str | None,
) -> Document:
    partition = {m: s for m, s in proposal.module_service.items() if s != SHARED}
    skipped_truth = None
    if truth and truth_found is not None and not truth_covers(partition, truth):
        truth, skipped_truth = None, truth_found
    metrics = evaluate(graph, partition, truth)
    return {
        "schema_version": SCHEMA_VERSION,
        "root": root,
        "parameters": {
            "resolution": round(proposal.resolution, 4),
            "seed": proposal.seed,
            "services_requested": requested_services,
            "truth": bool(truth),
        },
        "warnings": find_warnings(graph, root=root, broken=broken, skipped_truth=skipped_truth),
        "summary": _summary(graph, proposal, broken),
        "modules": _modules(graph, proposal),
        "models": _models(graph, proposal),
        "endpoints": _endpoints(graph, proposal),
        "services": _services(graph, proposal),
        "service_edges": [
            {"source": a, "target": b, "weight": w}
            for (a, b), w in sorted(
                service_dependencies(
                    graph, proposal.module_service, proposal.model_service, include_shared=True
                ).items()
            )
        ],
        "ownership": [
            {
                "model": o.model,
                "service": o.service,
                "defined_in": o.defined_in,
                "contested": o.contested,
                "writers": [_record(w) for w in o.writers],
                "readers": [_record(r) for r in o.readers],
            }
            for o in proposal.ownership
        ],
        "extraction_order": [
            {
                "rank": s.rank,
                "service": s.service,
                "cost": s.cost,
                "inbound_coupling": s.inbound_coupling,
                "foreign_writes": s.foreign_writes,
                "crossing_fks": s.crossing_fks,
                "endpoint_surface": s.endpoint_surface,
                "cuts": {
                    "foreign_keys": [_record(c) for c in s.foreign_keys],
                    "api_calls": [_record(c) for c in s.api_calls],
                    "sagas": [_record(c) for c in s.sagas],
                    "routes": [_record(c) for c in s.routes],
                },
            }
            for s in proposal.extraction_order
        ],
        "cycles": {
            "groups": [list(g) for g in proposal.cycles.cycles],
            "break_edges": [_record(e) for e in proposal.cycles.break_edges],
            "exact": proposal.cycles.exact,
        },
        "smells": [_record(s) for s in find_smells(graph, proposal)],
        "metrics": _metrics(metrics),
        "timings": {k: round(v, 4) for k, v in sorted((timings or {}).items())},
        "broken_files": [{"path": p, "line": n, "reason": r} for p, r, n in broken],
    }


def _summary(
    graph: nx.MultiDiGraph, proposal: Proposal, broken: Sequence[tuple[str, str, int | None]]
) -> dict[str, int]:
    kinds: defaultdict[str, int] = defaultdict(int)
    lines = 0
    for node, data in graph.nodes(data=True):
        kinds[kind_of(graph, node)] += 1
        lines += int(data.get("lines", 0) or 0)
    return {
        "modules": kinds["module"],
        "models": kinds["model"],
        "endpoints": kinds["endpoint"],
        "lines": lines,
        "services": len([s for s in proposal.services if not s.shared]),
        "contested_models": len(proposal.contested),
        "broken_files": len(broken),
    }


def _modules(graph: nx.MultiDiGraph, proposal: Proposal) -> list[dict[str, Any]]:
    rows = []
    for node, data in sorted(graph.nodes(data=True)):
        if kind_of(graph, node) == "module":
            name = name_of(node)
            rows.append(
                {
                    "name": name,
                    "path": data.get("path"),
                    "app": data.get("app"),
                    "lines": int(data.get("lines", 0) or 0),
                    "service": proposal.module_service.get(name),
                }
            )
    return rows


def _models(graph: nx.MultiDiGraph, proposal: Proposal) -> list[dict[str, Any]]:
    relations: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for edge in edges(graph, "relation"):
        relations[name_of(edge.source)].append(
            {
                "field": edge.attrs.get("field"),
                "target": name_of(edge.target),
                "relation": edge.attrs.get("relation"),
            }
        )
    rows = []
    for node, data in sorted(graph.nodes(data=True)):
        if kind_of(graph, node) == "model":
            label = name_of(node)
            rows.append(
                {
                    "label": label,
                    "module": data.get("module"),
                    "abstract": bool(data.get("abstract")),
                    "proxy": bool(data.get("proxy")),
                    "service": proposal.model_service.get(label),
                    "relations": relations[label],
                }
            )
    return rows


def _endpoints(graph: nx.MultiDiGraph, proposal: Proposal) -> list[dict[str, Any]]:
    module_of = {name_of(e.source): name_of(e.target) for e in edges(graph, "route")}
    rows = []
    for node, data in sorted(graph.nodes(data=True)):
        if kind_of(graph, node) == "endpoint":
            pattern = name_of(node)
            rows.append(
                {
                    "pattern": data.get("pattern", pattern),
                    "methods": list(data.get("methods", [])),
                    "view": data.get("view"),
                    "name": data.get("name"),
                    "module": module_of.get(pattern),
                    "service": proposal.endpoint_service.get(pattern),
                }
            )
    return rows


def _services(graph: nx.MultiDiGraph, proposal: Proposal) -> list[dict[str, Any]]:
    lines = {
        name_of(n): int(d.get("lines", 0) or 0)
        for n, d in graph.nodes(data=True)
        if kind_of(graph, n) == "module"
    }
    return [
        {
            "name": s.name,
            "shared": s.shared,
            "modules": list(s.modules),
            "models": list(s.models),
            "endpoints": list(s.endpoints),
            "lines": sum(lines.get(m, 0) for m in s.modules),
        }
        for s in proposal.services
    ]


def _record(value: Any) -> dict[str, Any]:
    """A flat record (its fields hold strings, numbers and tuples of them) as a dict: what
    ``dataclasses.asdict`` gives, without its deep copy (a tenth of the time)."""
    kind = type(value)
    names = _FIELD_NAMES.get(kind)
    if names is None:
        names = _FIELD_NAMES[kind] = tuple(f.name for f in fields(value))
    return {name: getattr(value, name) for name in names}


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _metrics(metrics: Metrics) -> dict[str, Any]:
    data = asdict(metrics)
    truth = data.pop("truth")
    return {
        "proposal": {k: round(v, 4) if isinstance(v, float) else v for k, v in data.items()},
        "truth": None if truth is None else {k: round(v, 4) for k, v in truth.items()},
    }
