"""The admin API's route listing and audit log as ``Grid`` tables (pure: JSON in, grid out).

>>> grid = routes_grid({"version": 3, "routes": [{"id": "product-detail", "methods": ["GET"],
...     "template": "/api/catalog/products/{pk}/", "service": "catalog", "mode": "canary",
...     "percent": 5, "priority": 0}]})
>>> grid.rows
[('1', 'product-detail', '/api/catalog/products/{pk}/', 'GET', 'canary', '5% -> catalog')]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from strangler_proxy.cli._admin import MODE_STYLES, describe_flag
from strangler_proxy.cli.tables import Column, Grid


def routes_grid(listing: Mapping[str, Any], *, stacked: bool = False) -> Grid:
    """``routes list``: precedence order; the priority column only when one is set.

    ``stacked``: each route's template under its id, in one column (an 80-column terminal
    holds that as a table; side by side they need about 110)."""
    routes: Sequence[Mapping[str, Any]] = listing["routes"]
    with_priority = any(route["priority"] for route in routes)
    ids = [Column("route / template")] if stacked else [Column("route"), Column("template")]
    columns = [
        Column("#", right=True),
        *ids,
        Column("methods", keep=False),
        Column("mode", styles=MODE_STYLES),
        Column("target", keep=False),
    ]
    if with_priority:
        columns.append(Column("priority", right=True))
    grid = Grid(f"Routes (version {listing['version']}), first match wins", columns)
    for position, route in enumerate(routes, start=1):
        where = (
            [f"{route['id']}\n{route['template']}"] if stacked else [route["id"], route["template"]]
        )
        cells = [
            str(position),
            *where,
            " ".join(route["methods"]) or "any",
            route["mode"],
            _target(route),
        ]
        grid.add(*cells, *([str(route["priority"])] if with_priority else []))
    return grid


def _target(route: Mapping[str, Any]) -> str:
    service = route["service"]
    if route["mode"] == "canary":
        return f"{route['percent']}% -> {service}"
    if route["mode"] == "monolith":
        return f"(suggested: {service})" if service else "-"
    if route["mode"] == "shadow" and route.get("shadow_writes"):
        return f"{service} (writes copied too)"
    return str(service or "-")


def history_grid(records: Sequence[Mapping[str, Any]], route_id: str | None) -> Grid:
    """``routes history``: the audit log, newest first."""
    title = f"History of {route_id}" if route_id else "History"
    grid = Grid(
        f"{title} (newest first)",
        (
            Column("version", right=True),
            Column("when (UTC)"),
            Column("who", keep=False),
            Column("what"),
            Column("before", keep=False),
            Column("after", keep=False),
            Column("reason", keep=False),
        ),
    )
    for r in records:
        grid.add(
            str(r["version"]),
            str(r["at"]).replace("T", " ").removesuffix("+00:00"),
            r["actor"],
            f"{r['action']} {r['route'] or r['service'] or ''}".strip(),
            describe_flag(r["before"]),
            describe_flag(r["after"]),
            r["reason"] or "-",
        )
    return grid
