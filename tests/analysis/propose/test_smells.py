"""Coupling smells, each on the literal shop or the smallest graph that shows it."""

from __future__ import annotations

import networkx as nx

from analysis.propose import propose
from analysis.propose.smells import Smell, find_smells
from tests.analysis.shop_graph import GraphBuilder, shop_graph


def smells_of(kind: str, graph: nx.MultiDiGraph | None = None) -> list[Smell]:
    graph = shop_graph() if graph is None else graph
    return [s for s in find_smells(graph, propose(graph)) if s.kind == kind]


def test_a_foreign_key_between_two_apps_says_whether_it_crosses_services() -> None:
    summaries = [s.summary for s in smells_of("cross-app-fk")]

    assert "orders.OrderLine.product -> catalog.Product (fk, crosses services)" in summaries
    assert all("catalog.Product.category" not in s for s in summaries)  # same app


def test_two_apps_importing_each_other_are_one_cycle_with_its_imports() -> None:
    (cycle,) = smells_of("import-cycle")

    assert cycle.summary == "apps orders <-> payments import each other"
    assert "shop.orders.services -> shop.payments.services" in cycle.where
    assert "shop.payments.models -> shop.orders.models" in cycle.where


def test_a_module_touching_many_apps_tables_is_a_god_module() -> None:
    b = GraphBuilder()
    apps = ("a", "b", "c", "d", "e")
    for app in apps:
        b.module(f"{app}.models", app)
        b.model(f"{app}.Thing", f"{app}.models")
    b.module("a.services", "a")
    for app in apps:
        b.uses("a.services", "write", f"{app}.Thing", "do_everything")
    b.module("a.views", "a")
    b.uses("a.views", "read", "b.Thing", "show")

    gods = smells_of("god-module", b.graph)

    assert [g.where for g in gods] == [("a.services",)]
    assert "touches the tables of a, b, c, d, e" in gods[0].summary


def test_a_cross_service_call_names_what_is_used() -> None:
    calls = {s.where[0]: s.summary for s in smells_of("cross-service-call")}

    assert calls["shop.orders.services"].startswith("shop.orders.services (orders) uses catalog:")
    assert "write payments.Payment" in calls["shop.orders.services"]


def test_a_model_loaded_by_name_is_a_smell_with_its_sites() -> None:
    b = GraphBuilder()
    b.module("catalog.models", "catalog")
    b.model("catalog.Product", "catalog.models")
    b.module("inventory.services", "inventory")
    b.uses("inventory.services", "read", "catalog.Product", "reserve")
    b.graph.graph["dynamic_loads"] = [
        {
            "module": "inventory.services",
            "function": "reserve",
            "model": "catalog.Product",
            "access": access,
            "site": f"inventory/services.py:{line}:reserve",
        }
        for access, line in (("read", 12), ("write", 14))
    ]

    (smell,) = smells_of("dynamic-model-load", b.graph)

    assert smell.summary.startswith("inventory.services (")
    assert "loads catalog.Product (" in smell.summary
    assert smell.summary.endswith("by name with apps.get_model in reserve")
    assert smell.where == ("inventory/services.py:12:reserve", "inventory/services.py:14:reserve")
    assert not smells_of("dynamic-model-load")  # the literal shop loads none by name
