"""Structural quality of a partition of modules, as in the Mono2Micro evaluation (Kalia et al.).

Mono2Micro counts runtime calls between classes; statically, we count dependencies between
modules (the formulas follow the authors' published evaluation code,
kaliaanup/Mono2Micro-FSE-2021 on GitHub): an import, a signal receiver on its sender, and a
read or write of a model (a dependency on the model's defining module). Each typed edge
counts as one use.

- ICP, inter-partition call percentage: dependencies crossing partitions / all, each weighing
  1 + ln(uses) (lower is better).
- SM, structural modularity: mean cohesion mu_i / N_i^2 minus mean coupling
  sigma_ij / (2 N_i N_j) over partition pairs, mu and sigma counting linked module pairs
  (higher is better).
- IFN, interface number: mean count per partition of modules used from other partitions, the
  paper's definition (its evaluation code counts linked cross-partition pairs) (lower is better).
- NED, non-extreme distribution: 1 - share of modules in partitions of 5 to 20 modules
  (lower is better).
- modularity: Newman's weighted modularity of the undirected dependency graph (higher is better).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping
from itertools import combinations

import networkx as nx

MODULE = "module:"
NED_MIN, NED_MAX = 5, 20


def dependency_graph(graph: nx.MultiDiGraph) -> nx.DiGraph:
    """Module -> module dependencies (weight = number of typed edges) from the analyzer graph."""
    deps = nx.DiGraph()
    deps.add_nodes_from(
        n.split(":", 1)[1] for n, d in graph.nodes(data=True) if d.get("kind") == "module"
    )
    for source, target, key, data in graph.edges(keys=True, data=True):
        kind = data.get("kind", key)
        if not source.startswith(MODULE):
            continue
        if kind in ("import", "signal") and target.startswith(MODULE):
            other = target.split(":", 1)[1]
        elif kind in ("read", "write"):
            other = str(graph.nodes[target].get("module") or "")
        else:
            continue
        module = source.split(":", 1)[1]
        if other and other != module and deps.has_node(other):
            weight = deps.get_edge_data(module, other, {"weight": 0})["weight"]
            deps.add_edge(module, other, weight=weight + 1)
    return deps


def _edges(deps: nx.DiGraph, partition: Mapping[str, str]) -> list[tuple[str, str, float]]:
    return [
        (u, v, float(d.get("weight", 1.0)))
        for u, v, d in deps.edges(data=True)
        if u in partition and v in partition
    ]


def _pairs(deps: nx.DiGraph, partition: Mapping[str, str]) -> dict[frozenset[str], float]:
    """Unordered module pairs linked in either direction -> total weight of their edges."""
    pairs: dict[frozenset[str], float] = defaultdict(float)
    for u, v, w in _edges(deps, partition):
        if u != v:
            pairs[frozenset((u, v))] += w
    return pairs


def icp(deps: nx.DiGraph, partition: Mapping[str, str]) -> float:
    """Each dependency weighs 1 + ln(uses), as call volumes do in Mono2Micro's evaluation."""
    total = crossing = 0.0
    for u, v, w in _edges(deps, partition):
        if u == v:
            continue
        weight = 1 + math.log(w)
        total += weight
        if partition[u] != partition[v]:
            crossing += weight
    return crossing / total if total else 0.0


def structural_modularity(deps: nx.DiGraph, partition: Mapping[str, str]) -> float:
    """Mean cohesion mu_i / N_i^2 minus mean coupling sigma_ij / (2 N_i N_j), where mu and
    sigma count linked module pairs (either direction), over the K(K-1)/2 partition pairs
    with both orders summed, as in Mono2Micro's evaluation code."""
    sizes = Counter(partition.values())
    inside: Counter[str] = Counter()
    between: Counter[tuple[str, str]] = Counter()
    for pair in _pairs(deps, partition):
        a, b = sorted(pair)
        pa, pb = partition[a], partition[b]
        if pa == pb:
            inside[pa] += 1
        else:
            between[(min(pa, pb), max(pa, pb))] += 1
    k = len(sizes)
    cohesion = sum(inside[p] / sizes[p] ** 2 for p in sizes) / k
    if k < 2:
        return cohesion
    coupling = sum(
        2 * between[(a, b)] / (2 * sizes[a] * sizes[b]) for a, b in combinations(sorted(sizes), 2)
    )
    return cohesion - coupling / (k * (k - 1) / 2)


def interface_number(deps: nx.DiGraph, partition: Mapping[str, str]) -> float:
    interfaces: dict[str, set[str]] = defaultdict(set)
    for u, v, _w in _edges(deps, partition):
        if partition[u] != partition[v]:
            interfaces[partition[v]].add(v)
    parts = set(partition.values())
    return sum(len(interfaces[p]) for p in parts) / len(parts) if parts else 0.0


def non_extreme_distribution(partition: Mapping[str, str]) -> float:
    sizes = Counter(partition.values())
    total = sum(sizes.values())
    moderate = sum(n for n in sizes.values() if NED_MIN <= n <= NED_MAX)
    return 1 - moderate / total if total else 0.0


def modularity(deps: nx.DiGraph, partition: Mapping[str, str]) -> float:
    undirected = nx.Graph()
    undirected.add_nodes_from(partition)
    for u, v, w in _edges(deps, partition):
        if u == v:
            continue
        previous = undirected.get_edge_data(u, v, {"weight": 0.0})["weight"]
        undirected.add_edge(u, v, weight=previous + w)
    if undirected.number_of_edges() == 0:
        return 0.0
    groups: dict[str, set[str]] = defaultdict(set)
    for node, part in partition.items():
        groups[part].add(node)
    return float(nx.community.modularity(undirected, list(groups.values()), weight="weight"))
