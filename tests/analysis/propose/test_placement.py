"""Placement rules for modules, each on the smallest graph that shows it."""

from __future__ import annotations

from analysis.propose import SHARED, cluster
from tests.analysis.shop_graph import GraphBuilder


def two_apps() -> GraphBuilder:
    b = GraphBuilder()
    for app in ("catalog", "orders", "payments"):
        b.module(f"{app}.models", app)
        b.model(f"{app}.Thing", f"{app}.models")
    return b


def test_a_foreign_read_alone_does_not_move_a_module_out_of_its_app() -> None:
    b = two_apps()
    b.module("orders.serializers", "orders")
    b.uses("orders.serializers", "read", "catalog.Thing", "validate")

    assert cluster(b.graph).module_service["orders.serializers"] == "orders"


def test_a_foreign_write_does() -> None:
    b = two_apps()
    b.module("orders.signals", "orders")
    b.uses("orders.signals", "write", "catalog.Thing", "update_rating")

    assert cluster(b.graph).module_service["orders.signals"] == "catalog"


def test_a_data_less_module_inside_an_app_stays_with_its_app() -> None:
    b = two_apps()
    b.module("orders.apps", "orders")
    b.module("orders.permissions", "orders")
    b.imports("orders.permissions", "catalog.models")

    placed = cluster(b.graph).module_service

    assert placed["orders.apps"] == "orders"
    assert placed["orders.permissions"] == "orders"


def test_a_layer_module_without_data_follows_its_package_and_imports() -> None:
    b = two_apps()
    b.module("api.orders.views", None)
    b.module("api.orders.filters", None)
    b.uses("api.orders.views", "write", "orders.Thing", "create")
    b.imports("api.orders.filters", "orders.models")

    assert cluster(b.graph).module_service["api.orders.filters"] == "orders"


def test_using_the_shared_library_does_not_pull_a_module_into_it() -> None:
    b = two_apps()
    b.module("common.utils", None)
    for app in ("catalog", "orders", "payments"):
        b.imports(f"{app}.models", "common.utils")
    b.module("api.helpers", None)
    b.imports("api.helpers", "common.utils", "common.utils", "orders.models")

    placed = cluster(b.graph).module_service

    assert placed["common.utils"] == SHARED
    assert placed["api.helpers"] == "orders"


def test_wiring_nobody_imports_that_reaches_every_service_is_shared() -> None:
    b = two_apps()
    b.module("project.urls", None)
    b.imports("project.urls", "catalog.models", "orders.models", "payments.models")

    assert cluster(b.graph).module_service["project.urls"] == SHARED


def test_code_writing_everyone_s_tables_evenly_is_shared() -> None:
    b = two_apps()
    b.module("tools.seed", None)
    for app in ("catalog", "orders", "payments"):
        b.uses("tools.seed", "write", f"{app}.Thing", "seed")

    assert cluster(b.graph).module_service["tools.seed"] == SHARED


def test_framework_code_imported_from_every_app_is_shared() -> None:
    b = two_apps()
    b.module("project.forms", None)
    for app in ("catalog", "orders", "payments"):
        b.module(f"{app}.forms", app)  # data-less: placed with its app
        b.imports(f"{app}.forms", "project.forms")

    assert cluster(b.graph).module_service["project.forms"] == SHARED
