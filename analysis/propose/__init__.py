"""From the analyzer's graph to a proposal: services, table ownership, extraction order, cycles.

Pure functions of a ``networkx.MultiDiGraph`` built to the contract in ``analysis.propose.view``.
"""

from __future__ import annotations

from collections import defaultdict

import networkx as nx

from analysis.propose.clustering import (
    DEFAULT_WEIGHTS,
    Clustering,
    Weights,
    cluster,
    cluster_to_count,
    projection,
)
from analysis.propose.cycles import service_cycles
from analysis.propose.model import (
    SHARED,
    Access,
    CallCut,
    ExtractionStep,
    ForeignKeyCut,
    Ownership,
    Proposal,
    RouteCut,
    SagaCut,
    Service,
    ServiceCycles,
    ServiceEdge,
)
from analysis.propose.ownership import ownership
from analysis.propose.plan import extraction_order, service_dependencies
from analysis.propose.routes import endpoint_services
from analysis.propose.view import memoised

__all__ = [
    "SHARED",
    "Access",
    "CallCut",
    "Clustering",
    "ExtractionStep",
    "ForeignKeyCut",
    "Ownership",
    "Proposal",
    "RouteCut",
    "SagaCut",
    "Service",
    "ServiceCycles",
    "ServiceEdge",
    "Weights",
    "cluster",
    "cluster_to_count",
    "projection",
    "propose",
]


def propose(
    graph: nx.MultiDiGraph,
    *,
    services: int | None = None,
    resolution: float = 1.0,
    seed: int = 42,
    weights: Weights = DEFAULT_WEIGHTS,
) -> Proposal:
    """Cluster, assign ownership, order the extraction; the same input gives the same answer."""
    if resolution <= 0:
        raise ValueError(f"--resolution must be positive, got {resolution}")
    with memoised(graph):
        return _propose(graph, services, resolution, seed, weights)


def _propose(
    graph: nx.MultiDiGraph, services: int | None, resolution: float, seed: int, weights: Weights
) -> Proposal:
    clustering = (
        cluster_to_count(graph, services, seed=seed, weights=weights)
        if services is not None
        else cluster(graph, resolution=resolution, seed=seed, weights=weights)
    )
    module_service = dict(clustering.module_service)
    owners = ownership(graph, module_service, clustering.model_service)
    model_service = {o.model: o.service for o in owners if o.service is not None}
    endpoint_service = endpoint_services(graph, module_service, model_service)
    return Proposal(
        services=_services(module_service, model_service, endpoint_service),
        module_service=module_service,
        model_service=model_service,
        endpoint_service=endpoint_service,
        ownership=owners,
        extraction_order=extraction_order(graph, module_service, model_service, endpoint_service),
        cycles=service_cycles(service_dependencies(graph, module_service, model_service)),
        resolution=clustering.resolution,
        seed=seed,
    )


def _services(
    module_service: dict[str, str],
    model_service: dict[str, str],
    endpoint_service: dict[str, str],
) -> tuple[Service, ...]:
    members: dict[str, tuple[list[str], list[str], list[str]]] = defaultdict(lambda: ([], [], []))
    for index, mapping in enumerate((module_service, model_service, endpoint_service)):
        for item, service in sorted(mapping.items()):
            members[service][index].append(item)
    return tuple(
        Service(name, tuple(mods), tuple(models), tuple(eps))
        for name, (mods, models, eps) in sorted(members.items())
    )
