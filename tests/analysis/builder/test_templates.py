"""Django URL patterns -> the proxy's template syntax."""

from pathlib import Path
from textwrap import dedent

import pytest

from analysis import build_graph
from analysis.builder.endpoints import template


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("products/<int:pk>/", "products/{pk:int}/"),
        ("products/<slug:slug>/", "products/{slug:slug}/"),
        ("tokens/<uuid:token>/", "tokens/{token:uuid}/"),
        ("files/<path:rest>", "files/{rest:path}"),
        ("users/<username>/", "users/{username}/"),
        ("users/<str:username>/", "users/{username}/"),
        ("items/<custom:thing>/", "items/{thing}/"),
    ],
)
def test_path_converters(pattern: str, expected: str) -> None:
    assert template(pattern, regex=False) == expected


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"^orders/(?P<pk>\d+)/$", "orders/{pk:int}/"),
        (r"^orders/(?P<pk>[0-9]+)/$", "orders/{pk:int}/"),
        (r"^tags/(?P<slug>[-\w]+)/$", "tags/{slug:slug}/"),
        (r"^tags/(?P<slug>[\w-]+)/$", "tags/{slug:slug}/"),
        (
            r"^t/(?P<id>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/$",
            "t/{id:uuid}/",
        ),
        (r"^media/(?P<rest>.+)$", "media/{rest:path}"),
        (r"^u/(?P<name>[^/]+)/$", "u/{name}/"),
        (r"^archive/(\d{4})/$", "archive/{arg0:int}/"),
        (r"^api/v1\.0/", "api/v1.0/"),
        (r"^feed/?$", "feed/"),
    ],
)
def test_regex_patterns(pattern: str, expected: str) -> None:
    assert template(pattern, regex=True) == expected


def test_viewset_lookup_regex_and_regex_action_paths(tmp_path: Path) -> None:
    root = tmp_path / "site"
    (root / "api").mkdir(parents=True)
    (root / "api/__init__.py").write_text("")
    (root / "api/urls.py").write_text(
        dedent(
            """
            from rest_framework import viewsets
            from rest_framework.decorators import action
            from rest_framework.routers import SimpleRouter

            class ItemViewSet(viewsets.ReadOnlyModelViewSet):
                lookup_value_regex = "[0-9]+"

                @action(detail=True, url_path=r"parts/(?P<part>[-\\w]+)")
                def part(self, request, pk=None, part=None):
                    pass

            router = SimpleRouter()
            router.register("items", ItemViewSet, basename="item")
            urlpatterns = router.urls
            """
        )
    )
    graph = build_graph(root, cache_dir=tmp_path / "cache").graph
    patterns = sorted(d["pattern"] for _, d in graph.nodes(data=True) if d["kind"] == "endpoint")
    assert patterns == [
        "/items/",
        "/items/{pk:int}/",
        "/items/{pk:int}/parts/{part:slug}/",
    ]
