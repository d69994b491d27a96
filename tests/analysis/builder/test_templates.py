"""Django URL patterns -> the proxy's template syntax."""

import pytest

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
