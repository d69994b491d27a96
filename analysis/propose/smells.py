"""Coupling smells worth a line in the report, each pointing at the code.

- cross-service-fk: a foreign key between tables of two proposed services;
- foreign-write: a table written from another service than its owner (contested);
- cross-service-transaction: a ``transaction.atomic`` block touching several services' tables;
- cross-service-signal: a signal receiver in one service listening to another's model;
- import-cycle: Django apps importing each other (module-level or function-level imports);
- god-module: a module reaching into the tables or code of ``GOD_APPS`` or more apps;
- shared-utility: data-less code used from three or more services (the ``shared`` library).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import networkx as nx

from analysis.propose.model import SHARED, Proposal
from analysis.propose.view import MODULE, edges, kind_of, name_of

GOD_APPS = 5


@dataclass(frozen=True)
class Smell:
    kind: str
    summary: str
    services: tuple[str, ...]
    where: tuple[str, ...]  # sites ("path.py:line:function") or dotted modules


def find_smells(graph: nx.MultiDiGraph, proposal: Proposal) -> tuple[Smell, ...]:
    found = [
        *_foreign_keys(graph, proposal),
        *_foreign_writes(proposal),
        *_transactions(proposal),
        *_signals(graph, proposal),
        *_import_cycles(graph),
        *_god_modules(graph),
        *_shared(proposal),
    ]
    return tuple(found)


def _foreign_keys(graph: nx.MultiDiGraph, proposal: Proposal) -> list[Smell]:
    smells = []
    for edge in edges(graph, "relation"):
        source, target = name_of(edge.source), name_of(edge.target)
        a, b = proposal.model_service.get(source), proposal.model_service.get(target)
        if a and b and a != b:
            field = edge.attrs.get("field", "?")
            relation = edge.attrs.get("relation", "fk")
            smells.append(
                Smell(
                    "cross-service-fk",
                    f"{source}.{field} -> {target} ({relation})",
                    (a, b),
                    edge.sites or (str(graph.nodes[edge.source].get("module", source)),),
                )
            )
    return smells


def _foreign_writes(proposal: Proposal) -> list[Smell]:
    return [
        Smell(
            "foreign-write",
            f"{o.model} (owned by {o.service}) written from {', '.join(o.writing_services)}",
            o.writing_services,
            tuple(site for w in o.writers if w.service != o.service for site in w.sites),
        )
        for o in proposal.contested
    ]


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
    apps = nx.DiGraph()
    witnesses: dict[tuple[str, str], list[str]] = defaultdict(list)
    for edge in edges(graph, "import"):
        a, b = _app_of(graph, edge.source), _app_of(graph, edge.target)
        if a and b and a != b:
            apps.add_edge(a, b)
            how = " (function-level)" if edge.attrs.get("function_level") else ""
            witnesses[(a, b)].append(f"{name_of(edge.source)} -> {name_of(edge.target)}{how}")
    smells = []
    for group in sorted(sorted(c) for c in nx.strongly_connected_components(apps) if len(c) > 1):
        where = tuple(
            w for (a, b), ws in sorted(witnesses.items()) if a in group and b in group for w in ws
        )
        smells.append(
            Smell("import-cycle", f"apps {' <-> '.join(group)} import each other", (), where)
        )
    return smells


def _god_modules(graph: nx.MultiDiGraph) -> list[Smell]:
    """Modules touching the tables (or, inside an app, the code) of ``GOD_APPS`` or more apps.

    Code outside any app (a root ``urls.py``) legitimately imports every app; only its data
    access counts.
    """
    reach: dict[str, set[str]] = defaultdict(set)
    for edge in edges(graph, "import", "read", "write"):
        if not edge.source.startswith(MODULE):
            continue
        own = _app_of(graph, edge.source)
        if kind_of(graph, edge.target) == "model":
            reach[name_of(edge.source)].add(name_of(edge.target).split(".", 1)[0])
        elif own and (app := _app_of(graph, edge.target)):
            reach[name_of(edge.source)].add(app)
        if own:
            reach[name_of(edge.source)].add(own)
    return [
        Smell(
            "god-module",
            f"{module} reaches into {len(apps)} apps: {', '.join(sorted(apps))}",
            (),
            (module,),
        )
        for module, apps in sorted(reach.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        if len(apps) >= GOD_APPS
    ]


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
