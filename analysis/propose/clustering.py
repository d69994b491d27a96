"""Candidate services: Louvain over a data-weighted projection, then modules follow their data.

1. Project the typed graph onto one weighted undirected graph of modules and concrete models,
   where defines/write/relation edges weigh far more than imports: data is what is hard to split.
2. Louvain (fixed seed) finds communities; each community holding models seeds a service,
   named after the app label most of its models carry.
3. Modules follow their data, then their app and their neighbours (``placement``).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

import networkx as nx

from analysis.propose.model import SHARED
from analysis.propose.placement import CODE_KINDS, DATA_KINDS, place_modules
from analysis.propose.view import (
    MODEL,
    concrete_models,
    edges,
    model_id,
    module_id,
    modules,
    name_of,
)


@dataclass(frozen=True)
class Weights:
    """Edge weights of the projection: the builder's defaults, with relation, write and defines
    edges scaled up x3 so that data dominates the clustering."""

    imports: float = 1.0
    signal: float = 2.0
    read: float = 2.0
    relation: float = 9.0
    write: float = 12.0
    defines: float = 15.0

    def of(self, kind: str) -> float:
        return {
            "import": self.imports,
            "signal": self.signal,
            "read": self.read,
            "relation": self.relation,
            "write": self.write,
            "defines": self.defines,
        }.get(kind, 0.0)


DEFAULT_WEIGHTS = Weights()


@dataclass(frozen=True)
class Clustering:
    """Module -> service and model -> service, as Louvain and the data rules placed them."""

    module_service: Mapping[str, str]
    model_service: Mapping[str, str]
    resolution: float

    @property
    def service_names(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.module_service.values()) | set(self.model_service.values())))

    @property
    def service_count(self) -> int:
        """Services proper, not counting the shared library."""
        return len([n for n in self.service_names if n != SHARED])


def projection(graph: nx.MultiDiGraph, weights: Weights = DEFAULT_WEIGHTS) -> nx.Graph:
    """The weighted undirected graph Louvain runs on: modules and concrete models, sorted."""
    nodes = [module_id(m) for m in modules(graph)] + [model_id(m) for m in concrete_models(graph)]
    keep = set(nodes)
    projected = nx.Graph()
    projected.add_nodes_from(nodes)
    for edge in edges(graph, *CODE_KINDS, *DATA_KINDS, "relation"):
        if edge.source not in keep or edge.target not in keep or edge.source == edge.target:
            continue
        weight = weights.of(edge.kind) * edge.multiplicity
        if projected.has_edge(edge.source, edge.target):
            projected[edge.source][edge.target]["weight"] += weight
        else:
            projected.add_edge(edge.source, edge.target, weight=weight)
    return projected


def cluster(
    graph: nx.MultiDiGraph,
    *,
    resolution: float = 1.0,
    seed: int = 42,
    weights: Weights = DEFAULT_WEIGHTS,
) -> Clustering:
    """One deterministic clustering of ``graph`` at ``resolution``."""
    projected = projection(graph, weights)
    communities = nx.community.louvain_communities(
        projected, weight="weight", resolution=resolution, seed=seed
    )
    ordered = sorted((sorted(c) for c in communities), key=lambda c: c[0])
    names = _community_names(graph, ordered)
    community_of = {node: names[i] for i, members in enumerate(ordered) for node in members}
    model_service = {
        name_of(n): community_of[n] for n in projected if n.startswith(MODEL) and community_of[n]
    }
    data_weight = {"defines": weights.defines, "write": weights.write, "read": weights.read}
    module_service = place_modules(graph, model_service, community_of, data_weight)
    return Clustering(module_service, model_service, resolution)


def cluster_to_count(
    graph: nx.MultiDiGraph, services: int, *, seed: int = 42, weights: Weights = DEFAULT_WEIGHTS
) -> Clustering:
    """Steer the resolution (bisection on its logarithm) to reach ``services`` services."""
    if services < 1:
        raise ValueError(f"--services must be at least 1, got {services}")
    low, high = math.log(0.01), math.log(100.0)
    best = cluster(graph, resolution=1.0, seed=seed, weights=weights)
    for _ in range(24):
        if best.service_count == services:
            break
        middle = (low + high) / 2
        trial = cluster(graph, resolution=math.exp(middle), seed=seed, weights=weights)
        if abs(trial.service_count - services) < abs(best.service_count - services):
            best = trial
        if trial.service_count < services:
            low = middle
        else:
            high = middle
    return best


def _community_names(graph: nx.MultiDiGraph, communities: list[list[str]]) -> list[str]:
    """Name each model-holding community after its models' commonest app label; others ''."""
    names: list[str] = []
    taken: Counter[str] = Counter()
    for members in communities:
        labels = Counter(name_of(n).split(".", 1)[0] for n in members if n.startswith(MODEL))
        if not labels:
            names.append("")
            continue
        base = min(labels, key=lambda label: (-labels[label], label))
        taken[base] += 1
        names.append(base if taken[base] == 1 else f"{base}-{taken[base]}")
    return names
