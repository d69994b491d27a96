"""The built graph and its broken files as plain JSON values, and back (checked).

The graph cache holds what ``to_json`` gives; ``from_json`` returns None for anything that
is not of that shape, so a damaged or foreign file means building the graph again::

    >>> import networkx as nx
    >>> graph = nx.MultiDiGraph(atomic_blocks=[])
    >>> _ = graph.add_edge("module:a", "module:b", key="import", kind="import", sites=["a.py:1"])
    >>> again, broken = from_json(to_json(graph, []))
    >>> list(again.edges(keys=True, data=True)) == list(graph.edges(keys=True, data=True))
    True
    >>> from_json({"nodes": "not a list"}) is None
    True
"""

from __future__ import annotations

from typing import Any

import networkx as nx

from analysis.facts import BrokenFile


def to_json(graph: nx.MultiDiGraph, broken: list[BrokenFile]) -> dict[str, Any]:
    return {
        "graph": dict(graph.graph),
        "nodes": [[node, data] for node, data in graph.nodes(data=True)],
        "edges": [[u, v, key, data] for u, v, key, data in graph.edges(keys=True, data=True)],
        "broken": [[b.path, b.reason, b.line] for b in broken],
    }


def from_json(value: object) -> tuple[nx.MultiDiGraph, list[BrokenFile]] | None:
    """The graph and broken files ``to_json`` stored, in the same order; None otherwise."""
    if not isinstance(value, dict):
        return None
    attrs, nodes, edges, broken = (value.get(k) for k in ("graph", "nodes", "edges", "broken"))
    if not (
        isinstance(attrs, dict)
        and _rows(nodes, (str, dict))
        and _rows(edges, (str, str, str, dict))
        and _rows(broken, (str, str, (int, type(None))))
    ):
        return None
    assert isinstance(nodes, list) and isinstance(edges, list) and isinstance(broken, list)
    graph = nx.MultiDiGraph(**attrs)
    graph.add_nodes_from(nodes)
    graph.add_edges_from(edges)
    return graph, [BrokenFile(path, reason, line) for path, reason, line in broken]


def _rows(value: object, shape: tuple[type | tuple[type, ...], ...]) -> bool:
    return isinstance(value, list) and all(
        isinstance(row, list)
        and len(row) == len(shape)
        and all(isinstance(x, t) for x, t in zip(row, shape, strict=True))
        for row in value
    )
