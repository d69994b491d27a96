"""Clustering: services follow the data, shared utilities are set apart, same input same answer."""

from __future__ import annotations

import pytest

from analysis.propose import SHARED, cluster, cluster_to_count, projection, propose
from tests.analysis.shop_graph import GraphBuilder, shop_graph


def test_each_app_with_data_becomes_a_service_named_after_its_models() -> None:
    proposal = propose(shop_graph())

    assert [s.name for s in proposal.services] == ["catalog", "orders", "payments", SHARED]
    assert proposal.service("orders").models == ("orders.Order", "orders.OrderLine")
    assert proposal.service("payments").modules == (
        "shop.payments.models",
        "shop.payments.services",
        "shop.payments.views",
    )


def test_a_per_domain_api_layer_outside_the_apps_lands_with_its_data() -> None:
    proposal = propose(shop_graph())

    assert proposal.module_service["api.catalog.views"] == "catalog"
    assert proposal.endpoint_service["/api/v2/catalog/products/{pk:int}/"] == "catalog"


def test_data_less_code_used_by_three_services_is_the_shared_library() -> None:
    proposal = propose(shop_graph())

    assert proposal.module_service["shop.common.utils"] == SHARED
    assert proposal.module_service["shop.urls"] == SHARED  # includes every app's urls


def test_data_less_modules_follow_their_neighbours() -> None:
    proposal = propose(shop_graph())

    assert proposal.module_service["shop.catalog.urls"] == "catalog"
    assert proposal.module_service["shop.orders.urls"] == "orders"


def test_same_input_same_output() -> None:
    assert propose(shop_graph(), seed=7) == propose(shop_graph(), seed=7)


def test_write_and_relation_edges_dominate_the_projection() -> None:
    projected = projection(shop_graph())

    imports = projected["module:shop.orders.services"]["module:shop.payments.services"]
    writes = projected["module:shop.orders.services"]["model:orders.Order"]
    assert writes["weight"] > 10 * imports["weight"]
    assert "model:common.TimeStamped" not in projected  # abstract: no table to place


def test_services_count_steers_the_resolution() -> None:
    graph = shop_graph()

    two = cluster_to_count(graph, 2)
    assert two.service_count == 2
    assert propose(graph, services=2).service("orders").models == (
        "orders.Order",
        "orders.OrderLine",
        "payments.Payment",
    )


def test_a_bad_services_count_or_resolution_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="--services must be at least 1"):
        cluster_to_count(shop_graph(), 0)
    with pytest.raises(ValueError, match="--resolution must be positive"):
        propose(shop_graph(), resolution=0)


def test_an_isolated_module_without_data_goes_to_the_shared_library() -> None:
    builder = GraphBuilder()
    builder.module("app.models", "app")
    builder.model("app.Thing", "app.models")
    builder.module("scripts.once", None)

    clustering = cluster(builder.graph)

    assert clustering.module_service == {"app.models": "app", "scripts.once": SHARED}
