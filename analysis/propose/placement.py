"""Where each module goes once Louvain has grouped the models: modules follow their data.

In this order of evidence:

1. A module touching data goes to the service whose models it defines, writes and reads most
   (so a per-domain API or dashboard layer outside the apps lands with its data). Inside a
   Django app it leans towards its app's service by one and a half reads: a foreign read
   alone does not move it, a write does. Code whose data use is spread over three or more
   services with no majority (seeding scripts, god helpers) is the shared library's.
2. A data-less module inside an app whose models have a service goes there: with no data of
   its own, where its authors put it is the best evidence.
3. A data-less module imported from three or more services with no majority is shared
   utility code: the ``shared`` library.
4. The rest follow their neighbours (imports both ways, signals, their package family),
   spreading out from the modules already placed. Using the shared library says nothing
   about where a module belongs, so it does not vote. Wiring that nobody imports (a root
   ``urls.py``) and that reaches three or more services with no majority is shared.
5. Last, a sweep over every data-less module, in an app or not: code imported from three or
   more Django apps (or services, for importers outside any app) with no majority joins the
   library (framework code in the project package, enums and permissions used everywhere).

Ties go to the module's own Louvain community, then to the first name.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping

import networkx as nx

from analysis.propose.model import SHARED
from analysis.propose.view import MODULE, edges, module_id, modules, name_of

DATA_KINDS = ("defines", "write", "read")
CODE_KINDS = ("import", "signal")
SHARED_MIN_SERVICES = 3
HOME_BONUS_READS = 1.5
FAMILY_WEIGHT = 3.0  # the parent and siblings together weigh as much as three imports
SWEEPS = 5

Votes = Mapping[str, float]
Lookup = Callable[[str], str | None]


def place_modules(
    graph: nx.MultiDiGraph,
    model_service: Mapping[str, str],
    community_of: Mapping[str, str],
    data_weight: Mapping[str, float],
) -> dict[str, str]:
    """Every module -> its service (or ``SHARED``); ``data_weight``: defines/write/read."""
    homes = app_homes(model_service)

    def home_of(module: str) -> str | None:
        app = graph.nodes[module_id(module)].get("app")
        return homes.get(str(app)) if app else None

    def preferred(module: str) -> str | None:
        return community_of.get(module_id(module))

    by_data = {
        module: _winner(votes, preferred(module), spread_is_shared=True)
        for module, votes in _data_votes(graph, model_service, data_weight, home_of).items()
    }
    importers = _importers(graph)
    assigned = dict(by_data)
    for module in modules(graph):
        if module in assigned:
            continue
        home = home_of(module)
        if home is not None:
            assigned[module] = home
        elif _spread(_votes(importers.get(module, {}), by_data)):
            assigned[module] = SHARED
    free = [m for m in modules(graph) if m not in assigned]
    _propagate(free, _neighbours(graph), assigned, preferred, set(importers))
    for module in free:
        if module not in assigned:  # nothing placed around it
            assigned[module] = community_of.get(module_id(module)) or SHARED
    apps = {m: str(graph.nodes[module_id(m)].get("app") or "") for m in modules(graph)}
    _sweep([m for m in modules(graph) if m not in by_data], importers, assigned, apps)
    return assigned


def _sweep(
    candidates: list[str],
    importers: Mapping[str, Votes],
    assigned: dict[str, str],
    apps: Mapping[str, str],
) -> None:
    """Move to the library the candidates imported from three or more camps, no majority.

    A camp is the importer's Django app where it has one (framework code is imported from
    every app even when its importers were all placed in one service), else its service.
    """
    for _ in range(SWEEPS):
        camp = {m: apps[m] or s for m, s in assigned.items() if s != SHARED}
        moved = [
            m
            for m in candidates
            if assigned[m] != SHARED and _spread(_votes(importers.get(m, {}), camp))
        ]
        for module in moved:
            assigned[module] = SHARED
        if not moved:
            break


def app_homes(model_service: Mapping[str, str]) -> dict[str, str]:
    """App label -> the service holding most of that app's models."""
    votes: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for label, service in model_service.items():
        votes[label.split(".", 1)[0]][service] += 1
    return {app: _winner(v, None) for app, v in votes.items()}


def _data_votes(
    graph: nx.MultiDiGraph,
    model_service: Mapping[str, str],
    data_weight: Mapping[str, float],
    home_of: Lookup,
) -> dict[str, dict[str, float]]:
    votes: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for edge in edges(graph, *DATA_KINDS):
        service = model_service.get(name_of(edge.target))
        if service is not None and edge.source.startswith(MODULE):
            votes[name_of(edge.source)][service] += data_weight[edge.kind] * edge.multiplicity
    for module, tally in votes.items():
        home = home_of(module)
        if home is not None:
            tally[home] += HOME_BONUS_READS * data_weight["read"]
    return votes


def _propagate(
    free: list[str],
    neighbours: Mapping[str, Votes],
    assigned: dict[str, str],
    preferred: Lookup,
    imported: set[str],
) -> None:
    pending = list(free)
    changed = True
    while changed and pending:
        changed = False
        for module in pending:
            votes = _votes(neighbours.get(module, {}), assigned)
            if votes:
                wiring = module not in imported  # a root urls.py or wsgi.py: nobody imports it
                assigned[module] = _winner(votes, preferred(module), spread_is_shared=wiring)
                changed = True
        pending = [m for m in pending if m not in assigned]


def _importers(graph: nx.MultiDiGraph) -> dict[str, dict[str, float]]:
    found: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for edge in edges(graph, "import"):
        if edge.source.startswith(MODULE) and edge.target.startswith(MODULE):
            found[name_of(edge.target)][name_of(edge.source)] += 1.0
    return found


def _neighbours(graph: nx.MultiDiGraph) -> dict[str, dict[str, float]]:
    """Imports and signals both ways (1 each), the package family (parent and siblings:
    ``FAMILY_WEIGHT`` in all) and, for a package, each of its children (1 each)."""
    found: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for edge in edges(graph, *CODE_KINDS):
        if edge.source.startswith(MODULE) and edge.target.startswith(MODULE):
            a, b = name_of(edge.source), name_of(edge.target)
            if a != b:
                found[a][b] += 1.0
                found[b][a] += 1.0
    names = modules(graph)
    present = set(names)
    children: dict[str, list[str]] = defaultdict(list)
    for name in names:
        children[name.rpartition(".")[0]].append(name)
    for name in names:
        parent = name.rpartition(".")[0]
        family = [m for m in children[parent] if m != name]
        family += [parent] if parent in present else []
        for other in family:
            found[name][other] += FAMILY_WEIGHT / len(family)
        for child in children[name]:
            found[name][child] += 1.0
    return found


def _votes(neighbours: Votes, assigned: Mapping[str, str]) -> dict[str, float]:
    votes: dict[str, float] = defaultdict(float)
    for other, weight in neighbours.items():
        if other in assigned and assigned[other] != SHARED:
            votes[assigned[other]] += weight
    return votes


def _spread(votes: Votes) -> bool:
    """Three or more services, none holding a majority."""
    services = {s: v for s, v in votes.items() if s != SHARED}
    total = sum(services.values())
    return len(services) >= SHARED_MIN_SERVICES and max(services.values()) <= total / 2


def _winner(votes: Votes, preferred: str | None, *, spread_is_shared: bool = False) -> str:
    if spread_is_shared and _spread(votes):
        return SHARED
    return min(votes, key=lambda s: (-votes[s], s != preferred, s))
