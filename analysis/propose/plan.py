"""The extraction order: services ranked by what cutting them out costs, with the concrete cuts.

cost = inbound coupling + 3 x foreign writes + 2 x foreign keys crossing the cut
       + 0.5 x endpoints (the surface to route and test). Cheapest first.
"""

from __future__ import annotations

from collections import Counter
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


def extraction_order(
    graph: nx.MultiDiGraph,
    module_service: Mapping[str, str],
    model_service: Mapping[str, str],
    weights: CostWeights = DEFAULT_COSTS,
) -> tuple[ExtractionStep, ...]:
    services = sorted({*module_service.values(), *model_service.values()} - {SHARED})
    steps = [_step(graph, s, module_service, model_service, weights) for s in services]
    steps.sort(key=lambda step: (step.cost, step.service))
    return tuple(replace(step, rank=rank) for rank, step in enumerate(steps, 1))


def _step(
    graph: nx.MultiDiGraph,
    service: str,
    module_service: Mapping[str, str],
    model_service: Mapping[str, str],
    weights: CostWeights,
) -> ExtractionStep:
    def side(node: str) -> str | None:
        return owner_of(node, module_service, model_service)

    calls: list[CallCut] = []
    inbound = foreign_writes = 0
    for edge in edges(graph, *CALL_KINDS):
        source, target = side(edge.source), side(edge.target)
        if source is None or target is None or source == target or SHARED in (source, target):
            continue
        if service not in (source, target):
            continue
        direction = "inbound" if target == service else "outbound"
        inbound += direction == "inbound"
        foreign_writes += edge.kind == "write"
        calls.append(_call(edge, direction))
    fks = [
        ForeignKeyCut(
            name_of(e.source),
            str(e.attrs.get("field", "")),
            name_of(e.target),
            str(e.attrs.get("relation", "fk")),
        )
        for e in edges(graph, "relation")
        if _crosses(side(e.source), side(e.target), service)
    ]
    sagas = _sagas(graph, service, model_service)
    routes = _routes(graph, service, module_service)
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


def _crosses(a: str | None, b: str | None, service: str) -> bool:
    return a is not None and b is not None and a != b and service in (a, b)


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


def _routes(
    graph: nx.MultiDiGraph, service: str, module_service: Mapping[str, str]
) -> tuple[RouteCut, ...]:
    routes = []
    for edge in edges(graph, "route"):
        if kind_of(graph, edge.source) != "endpoint":
            continue
        if module_service.get(name_of(edge.target)) != service:
            continue
        data = graph.nodes[edge.source]
        routes.append(
            RouteCut(
                str(data.get("pattern", name_of(edge.source))),
                tuple(str(m) for m in data.get("methods", ())),
                str(data.get("view", "")),
            )
        )
    return tuple(sorted(routes, key=lambda r: r.pattern))
