"""Endpoints follow their view's module, unless that module is no domain."""

from __future__ import annotations

from analysis.propose import SHARED, propose
from analysis.propose.routes import endpoint_services
from tests.analysis.shop_graph import GraphBuilder


def small_project() -> GraphBuilder:
    b = GraphBuilder()
    for app, model in (("catalog", "Product"), ("orders", "Order")):
        b.module(f"{app}.models", app)
        b.model(f"{app}.{model}", f"{app}.models")
        b.module(f"{app}.views", app)
        b.uses(f"{app}.views", "read", f"{app}.{model}", "list_view")
        b.endpoint(f"/api/{app}/", f"{app}.views")
    b.module("common.views", "common")  # an app without tables; a data-less health check
    b.imports("common.views", "catalog.models")
    b.endpoint("/health/", "common.views")
    b.module("project.urls", None)
    b.graph.nodes["module:project.urls"]["wiring"] = True
    b.imports("project.urls", "catalog.views", "orders.views")
    b.endpoint("/", "project.urls")
    return b


def test_wiring_shared_and_data_less_views_get_no_service() -> None:
    graph = small_project().graph
    module_service = {
        "catalog.models": "catalog",
        "catalog.views": "catalog",
        "orders.models": "orders",
        "orders.views": "orders",
        "common.views": "catalog",  # placed by its imports: no evidence of a domain
        "project.urls": "orders",
    }
    model_service = {"catalog.Product": "catalog", "orders.Order": "orders"}

    found = endpoint_services(graph, module_service, model_service)

    assert found == {"/api/catalog/": "catalog", "/api/orders/": "orders"}
    module_service["catalog.views"] = SHARED
    assert "/api/catalog/" not in endpoint_services(graph, module_service, model_service)


def test_the_plan_routes_only_suggested_endpoints() -> None:
    proposal = propose(small_project().graph)

    assert "/health/" not in proposal.endpoint_service and "/" not in proposal.endpoint_service
    routed = {r.pattern for step in proposal.extraction_order for r in step.routes}
    assert routed == {"/api/catalog/", "/api/orders/"}
