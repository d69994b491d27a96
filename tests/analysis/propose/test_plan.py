"""Extraction order: cheapest service first, each step with the concrete cuts to make."""

from __future__ import annotations

from analysis.propose import ForeignKeyCut, RouteCut, SagaCut, propose
from tests.analysis.shop_graph import shop_graph


def test_services_are_ranked_cheapest_first_and_the_shared_library_is_not_extracted() -> None:
    order = propose(shop_graph()).extraction_order

    assert [s.service for s in order] == ["catalog", "payments", "orders"]
    assert [s.rank for s in order] == [1, 2, 3]
    assert order[0].cost <= order[1].cost <= order[2].cost


def test_a_step_lists_the_foreign_keys_to_turn_into_ids() -> None:
    catalog = propose(shop_graph()).extraction_order[0]

    assert catalog.foreign_keys == (
        ForeignKeyCut("orders.OrderLine", "product", "catalog.Product", "fk"),
    )
    assert catalog.crossing_fks == 1


def test_a_step_lists_imports_and_data_access_to_turn_into_api_calls() -> None:
    catalog = propose(shop_graph()).extraction_order[0]

    inbound = {(c.kind, c.source, c.target) for c in catalog.api_calls if c.direction == "inbound"}
    assert inbound == {
        ("import", "shop.orders.models", "shop.catalog.models"),
        ("import", "shop.orders.services", "shop.catalog.models"),
        ("read", "shop.orders.services", "catalog.Product"),
    }
    assert catalog.inbound_coupling == 3


def test_an_atomic_block_spanning_services_becomes_a_saga() -> None:
    payments = propose(shop_graph()).extraction_order[1]

    assert payments.sagas == (
        SagaCut(
            "shop.orders.services",
            "checkout",
            "shop/orders/services.py:12:checkout",
            ("catalog.Product", "orders.Order", "orders.OrderLine", "payments.Payment"),
            ("catalog", "orders", "payments"),
        ),
    )
    assert payments.foreign_writes == 1  # orders writes payments.Payment


def test_a_step_lists_the_routes_to_put_behind_the_proxy() -> None:
    payments = propose(shop_graph()).extraction_order[1]

    assert payments.routes == (RouteCut("/api/payments/", ("GET",), "shop.payments.views.View"),)
    assert payments.endpoint_surface == 1


def test_signals_across_the_cut_are_listed() -> None:
    orders = propose(shop_graph()).extraction_order[2]

    signals = [c for c in orders.api_calls if c.kind == "signal"]
    assert [(c.direction, c.source, c.target) for c in signals] == [
        ("inbound", "shop.payments.services", "shop.orders.models")
    ]
