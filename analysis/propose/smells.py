"""Coupling smells worth a line in the report, each pointing at the code.

- cross-app-fk: a foreign key between two Django apps' tables (saying whether it crosses
  proposed services);
- cross-service-call: a module importing, reading or writing another service's code or tables;
- foreign-write: a table written from another service than its owner (contested);
- shared-write: a table written by shared library code (seeding scripts, god helpers);
- cross-service-transaction: a ``transaction.atomic`` block touching several services' tables;
- cross-service-signal: a signal receiver in one service listening to another's model;
- import-cycle: two Django apps importing each other (module-level or function-level imports);
- god-module: a module touching other apps' tables and entangled with ``GOD_APPS`` or more
  apps (tables, imports both ways);
- shared-utility: data-less code used from three or more services (the ``shared`` library);
- dynamic-model-load: a module reaching a table through ``apps.get_model("app", "Model")``,
  a dependency that its imports hide (and that import-linter cannot see).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import networkx as nx

from analysis.propose.model import SHARED, Proposal
from analysis.propose.view import MODULE, edges, kind_of, module_id, name_of

GOD_APPS = 5
BY_NAME = "by name with apps.get_model"


@dataclass(frozen=True)
class Smell:
    kind: str
    summary: str
    services: tuple[str, ...]
    where: tuple[str, ...]  # sites ("path.py:line:function") or dotted modules


def find_smells(graph: nx.MultiDiGraph, proposal: Proposal) -> tuple[Smell, ...]:
    found = [
        *_foreign_keys(graph, proposal),
        *_calls(graph, proposal),
        *_foreign_writes(proposal),
        *_transactions(proposal),
        *_signals(graph, proposal),
        *_import_cycles(graph),
        *_god_modules(graph),
        *_shared(proposal),
        *_dynamic_loads(graph, proposal),
    ]
    return tuple(found)


def _foreign_keys(graph: nx.MultiDiGraph, proposal: Proposal) -> list[Smell]:
    smells = []
    for edge in edges(graph, "relation"):
        source, target = name_of(edge.source), name_of(edge.target)
        if source.split(".", 1)[0] == target.split(".", 1)[0]:
            continue
        a = proposal.model_service.get(source) or "?"
        b = proposal.model_service.get(target) or "outside"
        field = edge.attrs.get("field", "?")
        relation = edge.attrs.get("relation", "fk")
        where = "crosses services" if a != b else "inside one service"
        smells.append(
            Smell(
                "cross-app-fk",
                f"{source}.{field} -> {target} ({relation}, {where})",
                tuple(sorted({a, b})),
                edge.sites or (str(graph.nodes[edge.source].get("module", source)),),
            )
        )
    return smells


def _calls(graph: nx.MultiDiGraph, proposal: Proposal) -> list[Smell]:
    """Per module: the other services it imports, reads or writes (the shared library aside)."""
    reach: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for edge in edges(graph, "import", "read", "write"):
        if not edge.source.startswith(MODULE):
            continue
        module = name_of(edge.source)
        own = proposal.module_service.get(module)
        target = name_of(edge.target)
        other = (
            proposal.module_service.get(target)
            if edge.target.startswith(MODULE)
            else proposal.model_service.get(target)
        )
        if own and other and own != other and SHARED not in (own, other):
            reach[module][other].append(f"{edge.kind} {target}")
    return [
        Smell(
            "cross-service-call",
            f"{module} ({proposal.module_service[module]}) uses "
            + "; ".join(
                f"{s}: {', '.join(sorted(set(uses))[:4])}" for s, uses in sorted(by.items())
            ),
            tuple(sorted(by)),
            (module,),
        )
        for module, by in sorted(reach.items())
    ]


def _foreign_writes(proposal: Proposal) -> list[Smell]:
    smells = [
        Smell(
            "foreign-write",
            f"{o.model} (owned by {o.service}) written from {', '.join(o.writing_services)}",
            o.writing_services,
            tuple(
                site for w in o.writers if w.service not in (o.service, SHARED) for site in w.sites
            ),
        )
        for o in proposal.contested
    ]
    smells += [
        Smell(
            "shared-write",
            f"{o.model} (owned by {o.service}) written by shared library code",
            (o.service or "outside", SHARED),
            o.library_writes,
        )
        for o in proposal.ownership
        if o.library_writes
    ]
    return smells


def _transactions(proposal: Proposal) -> list[Smell]:
    seen: dict[str, Smell] = {}
    for step in proposal.extraction_order:
        for saga in step.sagas:
            seen[saga.site] = Smell(
                "cross-service-transaction",
                f"{saga.module}.{saga.function} spans {', '.join(saga.services)} in one atomic",
                saga.services,
                (saga.site,),
            )
    return [seen[site] for site in sorted(seen)]


def _signals(graph: nx.MultiDiGraph, proposal: Proposal) -> list[Smell]:
    smells = []
    for edge in edges(graph, "signal"):
        receiver, sender = name_of(edge.source), name_of(edge.target)
        a = proposal.module_service.get(receiver)
        b = proposal.module_service.get(sender)
        sender_model = edge.attrs.get("sender")
        if sender_model and str(sender_model) in proposal.model_service:
            b = proposal.model_service[str(sender_model)]
        if a and b and a != b:
            signal = edge.attrs.get("signal", "signal")
            smells.append(
                Smell(
                    "cross-service-signal",
                    f"{receiver} ({a}) receives {signal} of {sender_model or sender} ({b})",
                    (a, b),
                    edge.sites,
                )
            )
    return smells


def _app_of(graph: nx.MultiDiGraph, node: str) -> str | None:
    app = graph.nodes[node].get("app")
    return str(app) if app else None


def _import_cycles(graph: nx.MultiDiGraph) -> list[Smell]:
    """Pairs of Django apps importing each other, with the imports that close each cycle."""
    witnesses: dict[tuple[str, str], list[str]] = defaultdict(list)
    for edge in edges(graph, "import"):
        a, b = _app_of(graph, edge.source), _app_of(graph, edge.target)
        if a and b and a != b:
            how = " (function-level)" if edge.attrs.get("function_level") else ""
            witnesses[(a, b)].append(f"{name_of(edge.source)} -> {name_of(edge.target)}{how}")
    return [
        Smell(
            "import-cycle",
            f"apps {a} <-> {b} import each other",
            (),
            tuple(witnesses[(a, b)] + witnesses[(b, a)]),
        )
        for a, b in sorted(witnesses)
        if a < b and (b, a) in witnesses
    ]


def _god_modules(graph: nx.MultiDiGraph) -> list[Smell]:
    """Modules that touch the tables of two or more other apps and are entangled with
    ``GOD_APPS`` or more apps in all (tables touched, code imported, importers).

    Code outside any app (a root ``urls.py``) legitimately imports every app: only its data
    access and its importers count.
    """
    tables: dict[str, set[str]] = defaultdict(set)
    entangled: dict[str, set[str]] = defaultdict(set)
    for edge in edges(graph, "import", "read", "write"):
        if not edge.source.startswith(MODULE):
            continue
        module, own = name_of(edge.source), _app_of(graph, edge.source)
        if kind_of(graph, edge.target) == "model":
            app = name_of(edge.target).split(".", 1)[0]
            tables[module].add(app)
            entangled[module].add(app)
            continue
        target_app = _app_of(graph, edge.target)
        if own and target_app:
            entangled[module].add(target_app)
        if own:
            entangled[module].add(own)
        if target_app:
            importer = _app_of(graph, edge.source)
            if importer:
                entangled[name_of(edge.target)].update({importer, target_app})
    smells = []
    for module, apps in sorted(entangled.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        own = _app_of(graph, module_id(module)) if graph.has_node(module_id(module)) else None
        if len(apps) >= GOD_APPS and len(tables[module] - {own}) >= 2:
            smells.append(
                Smell(
                    "god-module",
                    f"{module} is entangled with {len(apps)} apps ({', '.join(sorted(apps))}) "
                    f"and touches the tables of {', '.join(sorted(tables[module]))}",
                    (),
                    (module,),
                )
            )
    return smells


def _shared(proposal: Proposal) -> list[Smell]:
    modules = [m for m, s in sorted(proposal.module_service.items()) if s == SHARED]
    if not modules:
        return []
    return [
        Smell(
            "shared-utility",
            f"{len(modules)} data-less module(s) used across services: publish as a library",
            (SHARED,),
            tuple(modules),
        )
    ]


def _dynamic_loads(graph: nx.MultiDiGraph, proposal: Proposal) -> list[Smell]:
    """Per module and model loaded by name: the functions and sites."""
    sites: dict[tuple[str, str], dict[str, None]] = defaultdict(dict)
    functions: dict[tuple[str, str], dict[str, None]] = defaultdict(dict)
    for load in graph.graph.get("dynamic_loads", []):
        key = (str(load["module"]), str(load["model"]))
        sites[key][str(load["site"])] = None
        functions[key][str(load["function"])] = None
    smells = []
    for module, model in sorted(sites):
        own = proposal.module_service.get(module) or "?"
        owner = proposal.model_service.get(model) or "outside"
        names = ", ".join(functions[(module, model)])
        smells.append(
            Smell(
                "dynamic-model-load",
                f"{module} ({own}) loads {model} ({owner}) {BY_NAME} in {names}",
                tuple(sorted({own, owner})),
                tuple(sites[(module, model)]),
            )
        )
    return smells
