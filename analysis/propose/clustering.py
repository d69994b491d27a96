"""Candidate services: Louvain over a data-weighted projection, then modules follow their data.

1. Project the typed graph onto one weighted undirected graph of modules and concrete models,
   where defines/write/relation edges weigh far more than imports: data is what is hard to split.
2. Louvain (fixed seed) finds communities; each community holding models seeds a service,
   named after the app label most of its models carry.
3. Every module that touches data goes to the service whose models it defines, writes and reads
   most (so a per-domain API or dashboard layer outside the app folders lands with its data).
4. Data-less modules follow their import/signal neighbours; one whose neighbours spread over
   three or more services with no majority is shared utility code (the ``shared`` library).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

import networkx as nx

from analysis.propose.model import SHARED
from analysis.propose.view import (
    MODEL,
    MODULE,
    concrete_models,
    edges,
    model_id,
    module_id,
    modules,
    name_of,
)


@dataclass(frozen=True)
class Weights:
    """Edge weights of the projection (the builder's defaults, with data edges scaled up x3)."""

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
DATA_KINDS = ("defines", "write", "read")
CODE_KINDS = ("import", "signal")
SHARED_MIN_SERVICES = 3


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
    by_data = _assign_by_data(graph, model_service, community_of, weights)
    module_service = _assign_the_rest(graph, by_data, community_of)
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


def _assign_by_data(
    graph: nx.MultiDiGraph,
    model_service: Mapping[str, str],
    community_of: Mapping[str, str],
    weights: Weights,
) -> dict[str, str]:
    """Each module touching data -> the service whose models it defines/writes/reads most.

    Ties go to the module's own Louvain community. Code whose data use is spread over three
    or more services with no majority (seeding scripts, god helpers) is the shared library's.
    """
    scores: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for edge in edges(graph, *DATA_KINDS):
        service = model_service.get(name_of(edge.target))
        if service is None or not edge.source.startswith(MODULE):
            continue
        scores[name_of(edge.source)][service] += weights.of(edge.kind) * edge.multiplicity
    return {
        module: _winner(votes, community_of.get(module_id(module)))
        for module, votes in scores.items()
    }


def _winner(votes: Mapping[str, float], preferred: str | None) -> str:
    if _spread(votes):
        return SHARED
    return min(votes, key=lambda s: (-votes[s], s != preferred, s))


def _neighbours(graph: nx.MultiDiGraph) -> dict[str, dict[str, float]]:
    """Module -> modules it imports, is imported by or signals (1 each), its package family
    (parent and siblings: 1 in all, so a lone ``apps.py`` finds its app) and, for a package,
    each of its children (1 each)."""
    found: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for edge in edges(graph, *CODE_KINDS):
        if edge.source.startswith(MODULE) and edge.target.startswith(MODULE):
            a, b = name_of(edge.source), name_of(edge.target)
            if a != b:
                found[a][b] += 1.0
                found[b][a] += 1.0
    names = modules(graph)
    children: dict[str, list[str]] = defaultdict(list)
    for name in names:
        children[name.rpartition(".")[0]].append(name)
    present = set(names)
    for name in names:
        parent = name.rpartition(".")[0]
        family = [m for m in children[parent] if m != name] + (
            [parent] if parent in present else []
        )
        for other in family:
            found[name][other] += 1.0 / len(family)
        for child in children[name]:  # a package is what it holds
            found[name][child] += 1.0
    return found


def _assign_the_rest(
    graph: nx.MultiDiGraph, by_data: Mapping[str, str], community_of: Mapping[str, str]
) -> dict[str, str]:
    """Data-less modules: shared if spread over many services, else follow their neighbours."""
    neighbours = _neighbours(graph)
    assigned = dict(by_data)
    pending = [m for m in modules(graph) if m not in assigned]
    for module in pending:  # judged on the data-bearing modules first
        if _spread(_votes(neighbours[module], by_data)):
            assigned[module] = SHARED
    pending = [m for m in pending if m not in assigned]
    changed = True
    while changed and pending:
        changed = False
        for module in pending:
            votes = _votes(neighbours[module], assigned)
            if votes:
                assigned[module] = _winner(votes, community_of.get(module_id(module)))
                changed = True
        pending = [m for m in pending if m not in assigned]
    for module in pending:  # isolated: its Louvain community's service, else the library
        assigned[module] = community_of.get(module_id(module)) or SHARED
    return assigned


def _votes(neighbours: Mapping[str, float], assigned: Mapping[str, str]) -> dict[str, float]:
    votes: dict[str, float] = defaultdict(float)
    for other, weight in neighbours.items():
        if other in assigned:
            votes[assigned[other]] += weight
    return votes


def _spread(votes: Mapping[str, float]) -> bool:
    """Used from three or more services, none holding a majority: shared utility code."""
    services = {s: v for s, v in votes.items() if s != SHARED}
    total = sum(services.values())
    return len(services) >= SHARED_MIN_SERVICES and max(services.values()) <= total / 2
