"""Cycles between services and the cheapest set of dependencies that breaks them all.

The cheapest set is a minimum-weight feedback arc set: exact (dynamic programming over the
orderings of each strongly connected group, O(2^n * n^2)) up to ``EXACT_LIMIT`` services in a
group, the Eades-Lin-Smyth greedy ordering beyond.
"""

from __future__ import annotations

from collections.abc import Mapping

import networkx as nx

from analysis.propose.model import ServiceCycles, ServiceEdge

EXACT_LIMIT = 12


def service_cycles(dependencies: Mapping[tuple[str, str], float]) -> ServiceCycles:
    """``dependencies``: (from service, to service) -> weight, a service depending on another."""
    graph = nx.DiGraph()
    for (source, target), weight in sorted(dependencies.items()):
        if source != target and weight > 0:
            graph.add_edge(source, target, weight=float(weight))
    groups = sorted(
        (tuple(sorted(c)) for c in nx.strongly_connected_components(graph) if len(c) > 1),
    )
    breaking: list[ServiceEdge] = []
    exact = True
    for group in groups:
        sub = graph.subgraph(group)
        if len(group) <= EXACT_LIMIT:
            order = _exact_order(sub, list(group))
        else:
            exact = False
            order = _greedy_order(sub)
        position = {node: i for i, node in enumerate(order)}
        breaking.extend(
            ServiceEdge(u, v, d["weight"])
            for u, v, d in sorted(sub.edges(data=True))
            if position[u] > position[v]
        )
    all_edges = tuple(ServiceEdge(u, v, d["weight"]) for u, v, d in sorted(graph.edges(data=True)))
    return ServiceCycles(all_edges, tuple(groups), tuple(breaking), exact)


def feedback_weight(dependencies: Mapping[tuple[str, str], float], order: list[str]) -> float:
    """Total weight of the edges pointing backwards in ``order`` (what removing them costs)."""
    position = {node: i for i, node in enumerate(order)}
    return sum(w for (u, v), w in dependencies.items() if position[u] > position[v])


def _exact_order(graph: nx.DiGraph, nodes: list[str]) -> list[str]:
    """The ordering minimising backward edge weight, by DP over subsets placed first."""
    n = len(nodes)
    index = {node: i for i, node in enumerate(nodes)}
    out_weights = [[0.0] * n for _ in range(n)]
    for u, v, data in graph.edges(data=True):
        out_weights[index[u]][index[v]] += data["weight"]
    full = (1 << n) - 1
    best = [float("inf")] * (1 << n)
    choice = [-1] * (1 << n)
    best[0] = 0.0
    for mask in range(1 << n):
        if best[mask] == float("inf"):
            continue
        for v in range(n):
            if mask & (1 << v):
                continue
            cost = best[mask] + sum(out_weights[v][u] for u in range(n) if mask & (1 << u))
            nxt = mask | (1 << v)
            if cost < best[nxt]:
                best[nxt] = cost
                choice[nxt] = v
    order: list[str] = []
    mask = full
    while mask:
        v = choice[mask]
        order.append(nodes[v])
        mask &= ~(1 << v)
    return list(reversed(order))


def _greedy_order(graph: nx.DiGraph) -> list[str]:
    """Eades-Lin-Smyth: peel sinks to the back, sources to the front, else the best delta."""
    work = nx.DiGraph(graph)
    front: list[str] = []
    back: list[str] = []
    while work:
        progress = True
        while progress:
            progress = False
            for node in sorted(n for n in work if work.out_degree(n) == 0):
                back.insert(0, node)
                work.remove_node(node)
                progress = True
            for node in sorted(n for n in work if work.in_degree(n) == 0):
                front.append(node)
                work.remove_node(node)
                progress = True
        if work:
            node = max(sorted(work), key=lambda n: _delta(work, n))
            front.append(node)
            work.remove_node(node)
    return front + back


def _delta(graph: nx.DiGraph, node: str) -> float:
    return float(graph.out_degree(node, weight="weight") - graph.in_degree(node, weight="weight"))
