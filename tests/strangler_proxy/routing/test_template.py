import pytest

from strangler_proxy.routing import InvalidFlag, compile_template, django_route_to_template


def matches(template: str, path: str) -> bool:
    return compile_template(template).regex.fullmatch(path) is not None


@pytest.mark.parametrize(
    ("template", "path", "expected"),
    [
        ("/api/products/", "/api/products/", True),
        ("/api/products/", "/api/products", False),
        ("/api/products/{pk:int}/", "/api/products/42/", True),
        ("/api/products/{pk:int}/", "/api/products/-1/", False),
        ("/api/products/{pk:int}/", "/api/products/4/2/", False),
        ("/api/products/{pk}/", "/api/products/anything/", True),
        ("/api/products/{pk}/", "/api/products/a/b/", False),
        ("/p/{slug:slug}/", "/p/red-shoes_2/", True),
        ("/p/{slug:slug}/", "/p/red shoes/", False),
        ("/o/{id:uuid}/", "/o/0b6e5f0a-3a2c-4f4e-9d55-1f1e2d3c4b5a/", True),
        ("/o/{id:uuid}/", "/o/not-a-uuid/", False),
        ("/static/{rest:path}", "/static/css/site.css", True),
        ("/static/{rest:path}", "/static/", False),
        ("/api/v1.0/", "/api/v1x0/", False),  # literals are escaped, "." is not a wildcard
        ("/files/{name}.json", "/files/report.json", True),
    ],
)
def test_typed_segments(template: str, path: str, expected: bool) -> None:
    assert matches(template, path) is expected


def test_compiled_once_and_cached() -> None:
    assert compile_template("/api/x/{pk:int}/") is compile_template("/api/x/{pk:int}/")


def test_params_and_specificity() -> None:
    t = compile_template("/api/products/{pk:int}/reviews/{rest:path}")
    assert t.params == (("pk", "int"), ("rest", "path"))
    assert t.specificity == (0, 0, 1, 0, 4)


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("api/products/", "starting with '/'"),
        ("/api/{pk:float}/", "unknown type 'float'"),
        ("/api/{1pk}/", "bad parameter name"),
        ("/api/{pk}/{pk}/", "appears twice"),
        ("/api/{pk/", "unbalanced braces"),
        ("/api/products/?page=1", "bare path"),
    ],
)
def test_bad_templates_name_the_field(template: str, message: str) -> None:
    with pytest.raises(InvalidFlag, match=message) as err:
        compile_template(template)
    assert err.value.field == "template"


@pytest.mark.parametrize(
    ("route", "template"),
    [
        ("api/catalog/products/<int:pk>/", "/api/catalog/products/{pk:int}/"),
        ("api/orders/<uuid:ref>/items/<slug>/", "/api/orders/{ref:uuid}/items/{slug}/"),
        ("/health/", "/health/"),
        ("", "/"),
    ],
)
def test_django_path_syntax_converts(route: str, template: str) -> None:
    assert django_route_to_template(route) == template
