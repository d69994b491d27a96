"""Ownership: the writer owns the table; a table written from two services is contested."""

from __future__ import annotations

from analysis.propose import propose
from tests.analysis.shop_graph import GraphBuilder, shop_graph


def test_a_model_belongs_to_the_service_that_writes_it() -> None:
    owners = {o.model: o for o in propose(shop_graph()).ownership}

    assert owners["catalog.Product"].service == "catalog"
    assert owners["catalog.Product"].defined_in == "shop.catalog.models"
    assert {r.module for r in owners["catalog.Product"].readers} == {
        "api.catalog.views",
        "shop.catalog.views",
        "shop.orders.services",
    }


def test_a_model_written_from_two_services_is_contested_with_its_write_sites() -> None:
    proposal = propose(shop_graph())

    (payment,) = proposal.contested
    assert payment.model == "payments.Payment"
    assert payment.service == "payments"  # two write sites against one
    assert payment.writing_services == ("orders", "payments")
    foreign = [w for w in payment.writers if w.service == "orders"]
    assert foreign[0].sites == ("shop/orders/services.py:10:checkout",)


def test_the_defining_module_breaks_a_tie_between_writers() -> None:
    b = GraphBuilder()
    b.module("a.models", "a")
    b.module("b.models", "b")
    b.model("a.Thing", "a.models")
    b.model("b.Other", "b.models")
    b.uses("a.models", "write", "a.Thing", "make")
    b.uses("b.models", "write", "a.Thing", "touch")

    owners = {o.model: o for o in propose(b.graph).ownership}

    assert owners["a.Thing"].service == "a"
    assert owners["a.Thing"].contested


def test_a_model_defined_elsewhere_and_never_written_has_no_owner() -> None:
    b = GraphBuilder()
    b.module("a.models", "a")
    b.model("a.Thing", "a.models")
    b.graph.add_node(
        "model:auth.User",
        kind="model",
        label="auth.User",
        module="x.auth",
        abstract=False,
        proxy=False,
    )
    b.relation("a.Thing", "auth.User", "owner")

    owners = {o.model: o for o in propose(b.graph).ownership}

    assert owners["auth.User"].service is None


def test_the_shared_library_writing_a_table_neither_owns_nor_contests_it() -> None:
    b = GraphBuilder()
    for app in ("a", "b", "c"):
        b.module(f"{app}.models", app)
        b.model(f"{app}.Thing", f"{app}.models")
    b.module("tools.seed", None)
    for app in ("a", "b", "c"):
        b.uses("tools.seed", "write", f"{app}.Thing", "seed", "seed_more")

    proposal = propose(b.graph)
    owners = {o.model: o for o in proposal.ownership}

    assert proposal.module_service["tools.seed"] == "shared"
    assert owners["a.Thing"].service == "a"
    assert not owners["a.Thing"].contested
    assert owners["a.Thing"].library_writes == (
        "tools/seed.py:10:seed",
        "tools/seed.py:11:seed_more",
    )
