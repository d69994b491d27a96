"""The analyzer's service graph with each service's progress (pure).

A service's routes are its endpoints in the analyzer's ``report.json`` turned into routes the
way ``strangler routes import`` does (``routing.imports``), so a node's routes are the route
table's. Progress is the share of those routes serving clients from a service: ``service``
counts whole, ``canary`` by its percent, ``shadow`` and ``monolith`` not at all.

>>> report = {"services": [{"name": "catalog", "shared": False, "lines": 900},
...                        {"name": "shared", "shared": True}],
...           "service_edges": [{"source": "catalog", "target": "shared", "weight": 3}],
...           "endpoints": [{"pattern": "/api/catalog/products/", "methods": ["GET"],
...                          "name": "products", "service": "catalog"},
...                         {"pattern": "/api/catalog/tags/", "methods": ["GET"],
...                          "name": "tags", "service": "catalog"}]}
>>> routes = [{"id": "products", "mode": "service", "percent": 0},
...           {"id": "tags", "mode": "canary", "percent": 50}]
>>> g = service_graph(report, routes)
>>> [(n["name"], n["routes"], n["progress"]) for n in g["nodes"]]
[('catalog', 2, 0.75), ('shared', 0, None)]
>>> g["edges"]
[{'source': 'catalog', 'target': 'shared', 'weight': 3}]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from strangler_proxy.routing.imports import routes_from_endpoints

WEIGHT = {"service": 1.0, "shadow": 0.0, "monolith": 0.0}


def service_graph(
    report: Mapping[str, Any] | None, routes: Sequence[Mapping[str, Any]]
) -> dict[str, Any] | None:
    """Nodes (services, with routes moved and progress) and edges; None without a report."""
    if not isinstance(report, Mapping):
        return None
    table = {str(r["id"]): r for r in routes}
    endpoints = [e for e in report.get("endpoints") or [] if isinstance(e, Mapping)]
    by_service: dict[str, list[str]] = {}
    for route in routes_from_endpoints(endpoints).routes:  # the ids `routes import` gives
        if route.service is not None:
            by_service.setdefault(route.service, []).append(route.id)
    nodes = []
    for service in report.get("services") or []:
        name = str(service.get("name"))
        present = [table[r] for r in by_service.get(name, []) if r in table]
        moved = sum(_moved(r) for r in present)
        nodes.append(
            {
                "name": name,
                "shared": bool(service.get("shared")),
                "lines": service.get("lines"),
                "routes": len(present),
                "moved": round(moved, 2),
                "progress": round(moved / len(present), 3) if present else None,
                "modes": _modes(present),
            }
        )
    names = {n["name"] for n in nodes}
    edges = [
        {"source": e["source"], "target": e["target"], "weight": e.get("weight", 1)}
        for e in report.get("service_edges") or []
        if isinstance(e, Mapping) and e.get("source") in names and e.get("target") in names
    ]
    return {"nodes": nodes, "edges": edges}


def _moved(route: Mapping[str, Any]) -> float:
    mode = str(route.get("mode"))
    if mode == "canary":
        return int(route.get("percent") or 0) / 100
    return WEIGHT.get(mode, 0.0)


def _modes(routes: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for route in routes:
        counts[str(route.get("mode"))] = counts.get(str(route.get("mode")), 0) + 1
    return counts
