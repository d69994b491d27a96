import pytest

from strangler_proxy.routing import Mode
from strangler_proxy.routing.imports import Unsupported, pattern_to_template, routes_from_endpoints


@pytest.mark.parametrize(
    ("pattern", "template"),
    [
        ("/api/catalog/products/{pk}/", "/api/catalog/products/{pk}/"),
        ("api/catalog/products/<int:pk>/", "/api/catalog/products/{pk:int}/"),
        (r"^api/catalog/products/(?P<pk>[^/.]+)/$", "/api/catalog/products/{pk}/"),
        (r"^api/orders/(?P<pk>\d+)/cancel/$", "/api/orders/{pk:int}/cancel/"),
        (r"^api/p/(?P<slug>[-\w]+)/$", "/api/p/{slug:slug}/"),
        (r"^static/(?P<path>.*)$", "/static/{path:path}"),
        (r"^robots\.txt$", "/robots.txt"),
        (r"api/^items/$", "/api/items/"),  # an include() prefix joined to a re_path
        (r"^api/items/?$", "/api/items/"),
    ],
)
def test_patterns_become_templates(pattern: str, template: str) -> None:
    assert pattern_to_template(pattern) == template


@pytest.mark.parametrize(
    "pattern", [r"^api/(items|things)/$", r"^api/(?:a)/$", r"^api/[ab]/$", r"^api/x(?P<n>\d+"]
)
def test_regexes_without_a_template_are_unsupported(pattern: str) -> None:
    with pytest.raises(Unsupported):
        pattern_to_template(pattern)


def test_one_monolith_route_per_endpoint() -> None:
    plan = routes_from_endpoints(
        [
            {
                "pattern": "/api/catalog/products/",
                "methods": ["GET", "POST"],
                "name": "product-list",
                "service": "catalog",
            },
            {
                "pattern": "/api/catalog/products/{pk}/",
                "methods": "get,put",
                "name": "product-detail",
            },
            {"pattern": "/api/catalog/products/{pk}/", "methods": ["GET", "PUT"], "name": "dup"},
            {"pattern": "/api/other/{pk}/", "methods": ["GET"], "name": "product-detail"},
            {"pattern": "/health/", "methods": None},
            {"pattern": r"^api/catalog/products\.(?P<format>[a-z0-9]+)/?$", "methods": ["GET"]},
            {"pattern": "/api/x/", "methods": ["GET"], "service": "Not A Service"},
        ]
    )
    by_id = {r.id: r for r in plan.routes}
    assert list(by_id) == [
        "product-list",
        "product-detail",
        "GET /api/other/{pk}/",
        "ANY /health/",
        "GET /api/x/",
    ]
    assert all(r.mode is Mode.MONOLITH for r in plan.routes)
    assert by_id["product-list"].service == "catalog"  # the analyzer's suggestion is kept
    assert by_id["product-detail"].methods == {"GET", "PUT"}
    assert by_id["ANY /health/"].methods == frozenset()
    assert by_id["GET /api/x/"].service is None
    assert [why for _, why in plan.skipped] == [
        "duplicate of an endpoint already imported",
        "format-suffix variant (served by the plain route)",
    ]
