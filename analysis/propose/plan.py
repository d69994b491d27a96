"""The extraction order: services ranked by what cutting them out costs, with the concrete cuts.

cost = inbound coupling + 3 x foreign writes + 2 x foreign keys crossing the cut
       + 0.5 x endpoints (the surface to route and test). Cheapest first.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace

import networkx as nx

from analysis.propose.model import (
    SHARED,
    CallCut,
    ExtractionStep,
    ForeignKeyCut,
    RouteCut,
    SagaCut,
)
from analysis.propose.view import MODULE, Edge, edges, kind_of, name_of


@dataclass(frozen=True)
class CostWeights:
    inbound: float = 1.0
    foreign_write: float = 3.0
    crossing_fk: float = 2.0
    endpoint: float = 0.5


DEFAULT_COSTS = CostWeights()
CALL_KINDS = ("import", "read", "write", "signal")


def owner_of(
    node: str, module_service: Mapping[str, str], model_service: Mapping[str, str]
) -> str | None:
    """The service a module or model node belongs to (None for endpoints and foreign models)."""
    name = name_of(node)
    return module_service.get(name) if node.startswith(MODULE) else model_service.get(name)


def service_dependencies(
    graph: nx.MultiDiGraph,
    module_service: Mapping[str, str],
    model_service: Mapping[str, str],
    *,
    include_shared: bool = False,
) -> dict[tuple[str, str], float]:
    """(service, service it depends on) -> number of crossing imports, data accesses, signals.

    The shared library is left out unless asked for: depending on it is expected.
    """
    counts: Counter[tuple[str, str]] = Counter()
    for edge in edges(graph, *CALL_KINDS):
        source = owner_of(edge.source, module_service, model_service)
        target = owner_of(edge.target, module_service, model_service)
        if not source or not target or source == target:
            continue
        if include_shared or SHARED not in (source, target):
            counts[(source, target)] += 1
    return dict(counts)


@dataclass(frozen=True)
class _Crossing:
    """An edge whose two ends belong to two different services (the shared library aside)."""

    edge: Edge
    source: str
    target: str


def extraction_order(
    graph: nx.MultiDiGraph,
    module_service: Mapping[str, str],
    model_service: Mapping[str, str],
    endpoint_service: Mapping[str, str] | None = None,
    weights: CostWeights = DEFAULT_COSTS,
) -> tuple[ExtractionStep, ...]:
    """``endpoint_service``: the suggested service per endpoint pattern (default: the
    service of the module holding the view)."""

    def crossing(*kinds: str) -> list[_Crossing]:
        found = []
        for edge in edges(graph, *kinds):
            a = owner_of(edge.source, module_service, model_service)
            b = owner_of(edge.target, module_service, model_service)
            if a and b and a != b and SHARED not in (a, b):
                found.append(_Crossing(edge, a, b))
        return found

    calls, relations = crossing(*CALL_KINDS), crossing("relation")
    routes = _routes_by_service(graph, module_service, endpoint_service)
    services = sorted({*module_service.values(), *model_service.values()} - {SHARED})
    steps = [
        _step(graph, s, calls, relations, routes.get(s, ()), model_service, weights)
        for s in services
    ]
    steps.sort(key=lambda step: (step.cost, step.service))
    return tuple(replace(step, rank=rank) for rank, step in enumerate(steps, 1))


def _step(
    graph: nx.MultiDiGraph,
    service: str,
    crossing_calls: list[_Crossing],
    crossing_relations: list[_Crossing],
    routes: tuple[RouteCut, ...],
    model_service: Mapping[str, str],
    weights: CostWeights,
) -> ExtractionStep:
    calls: list[CallCut] = []
    inbound = foreign_writes = 0
    for cross in crossing_calls:
        if service not in (cross.source, cross.target):
            continue
        direction = "inbound" if cross.target == service else "outbound"
        inbound += direction == "inbound"
        foreign_writes += cross.edge.kind == "write"
        calls.append(_call(cross.edge, direction))
    fks = [
        ForeignKeyCut(
            name_of(c.edge.source),
            str(c.edge.attrs.get("field", "")),
            name_of(c.edge.target),
            str(c.edge.attrs.get("relation", "fk")),
        )
        for c in crossing_relations
        if service in (c.source, c.target)
    ]
    sagas = _sagas(graph, service, model_service)
    cost = (
        weights.inbound * inbound
        + weights.foreign_write * foreign_writes
        + weights.crossing_fk * len(fks)
        + weights.endpoint * len(routes)
    )
    return ExtractionStep(
        rank=0,
        service=service,
        cost=round(cost, 2),
        inbound_coupling=inbound,
        foreign_writes=foreign_writes,
        crossing_fks=len(fks),
        endpoint_surface=len(routes),
        foreign_keys=tuple(fks),
        api_calls=tuple(sorted(calls, key=lambda c: (c.direction, c.kind, c.source, c.target))),
        sagas=sagas,
        routes=routes,
    )


def _call(edge: Edge, direction: str) -> CallCut:
    return CallCut(edge.kind, direction, name_of(edge.source), name_of(edge.target), edge.sites)


def _sagas(
    graph: nx.MultiDiGraph, service: str, model_service: Mapping[str, str]
) -> tuple[SagaCut, ...]:
    sagas = []
    for block in graph.graph.get("atomic_blocks", []) or []:
        models = tuple(sorted(str(m) for m in block.get("models", [])))
        services = tuple(sorted({model_service[m] for m in models if m in model_service}))
        if service in services and len(services) > 1:
            sagas.append(
                SagaCut(
                    str(block.get("module", "")),
                    str(block.get("function", "")),
                    str(block.get("site", "")),
                    models,
                    services,
                )
            )
    return tuple(sorted(sagas, key=lambda s: s.site))


def _routes_by_service(
    graph: nx.MultiDiGraph,
    module_service: Mapping[str, str],
    endpoint_service: Mapping[str, str] | None,
) -> dict[str, tuple[RouteCut, ...]]:
    found: dict[str, list[RouteCut]] = defaultdict(list)
    for edge in edges(graph, "route"):
        service = (
            module_service.get(name_of(edge.target))
            if endpoint_service is None
            else endpoint_service.get(name_of(edge.source))
        )
        if kind_of(graph, edge.source) != "endpoint" or service is None:
            continue
        data = graph.nodes[edge.source]
        found[service].append(
            RouteCut(
                str(data.get("pattern", name_of(edge.source))),
                tuple(str(m) for m in data.get("methods", ())),
                str(data.get("view", "")),
            )
        )
    return {s: tuple(sorted(r, key=lambda r: r.pattern)) for s, r in found.items()}
