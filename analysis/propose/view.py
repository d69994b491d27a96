"""Typed read access to the analyzer's graph (the contract between the builder and the proposal).

Node ids are ``module:<dotted>``, ``model:<app_label.Model>`` and ``endpoint:<pattern>``;
edges carry ``kind``, ``weight`` and ``sites``. Everything here is a pure function of the graph.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import networkx as nx

MODULE = "module:"
MODEL = "model:"
ENDPOINT = "endpoint:"


def module_id(name: str) -> str:
    return MODULE + name


def model_id(label: str) -> str:
    return MODEL + label


def name_of(node: str) -> str:
    """``module:a.b`` -> ``a.b``; ``model:app.M`` -> ``app.M``; ``endpoint:/x/`` -> ``/x/``."""
    return node.split(":", 1)[1]


@dataclass(frozen=True)
class Edge:
    source: str  # node id
    target: str  # node id
    kind: str
    weight: float
    sites: tuple[str, ...]
    attrs: dict[str, Any]

    @property
    def multiplicity(self) -> float:
        """A gentle boost for edges seen at many sites: 1 + log2(sites)."""
        return 1.0 + math.log2(max(1, len(self.sites)))


def kind_of(graph: nx.MultiDiGraph, node: str) -> str:
    return str(graph.nodes[node].get("kind", node.split(":", 1)[0]))


def modules(graph: nx.MultiDiGraph) -> list[str]:
    """Dotted names of every module, sorted."""
    return sorted(name_of(n) for n in graph if kind_of(graph, n) == "module")


def concrete_models(graph: nx.MultiDiGraph) -> list[str]:
    """Labels of models that own a table and are defined in the analyzed code, sorted."""
    labels = []
    for node, data in graph.nodes(data=True):
        if kind_of(graph, node) != "model" or data.get("abstract"):
            continue
        if data.get("module") and graph.has_node(module_id(str(data["module"]))):
            labels.append(name_of(node))
    return sorted(labels)


def edges(graph: nx.MultiDiGraph, *kinds: str) -> Iterator[Edge]:
    """Every edge of the given kinds (all kinds if none given), in a deterministic order.

    Inside ``memoised(graph)`` the edges are read and sorted once for the whole scope."""
    memo = _MEMO.get()
    if memo is None or memo.graph is not graph:
        return iter(_select(_all_edges(graph), kinds))
    wanted = tuple(sorted(set(kinds)))
    rows = memo.by_kinds.get(wanted)
    if rows is None:
        rows = memo.by_kinds[wanted] = _select(memo.rows, kinds)
    return iter(rows)


@contextmanager
def memoised(graph: nx.MultiDiGraph) -> Iterator[None]:
    """A scope in which ``graph`` is not changed, so ``edges`` reads it once.

    The proposal and the report ask for the edges of a few kinds some twenty times; nested
    scopes on the same graph share the outer one's memo."""
    current = _MEMO.get()
    if current is not None and current.graph is graph:
        yield
        return
    token = _MEMO.set(_Memo(graph, _all_edges(graph), {}))
    try:
        yield
    finally:
        _MEMO.reset(token)


@dataclass
class _Memo:
    graph: nx.MultiDiGraph
    rows: list[Edge]  # every edge, sorted
    by_kinds: dict[tuple[str, ...], list[Edge]]


_MEMO: ContextVar[_Memo | None] = ContextVar("analysis_edges_memo", default=None)


def _all_edges(graph: nx.MultiDiGraph) -> list[Edge]:
    rows = [
        Edge(
            source=source,
            target=target,
            kind=str(data.get("kind", key)),
            weight=float(data.get("weight", 1.0)),
            sites=tuple(str(s) for s in data.get("sites", ()) or ()),
            attrs=dict(data),
        )
        for source, target, key, data in graph.edges(keys=True, data=True)
    ]
    rows.sort(key=lambda e: (e.source, e.target, e.kind))
    return rows


def _select(rows: list[Edge], kinds: tuple[str, ...]) -> list[Edge]:
    """The rows of ``kinds`` (all if none), in their order (a stable sort's subset is the
    sorted subset)."""
    if not kinds:
        return rows
    wanted = set(kinds)
    return [edge for edge in rows if edge.kind in wanted]


def defining_module(graph: nx.MultiDiGraph, label: str) -> str | None:
    node = model_id(label)
    if not graph.has_node(node):
        return None
    module = graph.nodes[node].get("module")
    return str(module) if module else None
