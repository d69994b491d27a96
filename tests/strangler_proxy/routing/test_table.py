import pytest

from strangler_proxy.routing import (
    UNMATCHED,
    Decision,
    InvalidFlag,
    Mode,
    RequestFacts,
    Route,
    RouteTable,
    decision_for,
    in_canary,
)

GET = frozenset({"GET"})


def route(
    id: str,
    template: str,
    mode: Mode = Mode.MONOLITH,
    service: str | None = None,
    *,
    methods: frozenset[str] = GET,
    percent: int = 0,
    priority: int = 0,
) -> Route:
    return Route(id, methods, template, service, mode, percent, priority)


def decide(table: RouteTable, method: str, path: str, key: str = "addr:127.0.0.1") -> Decision:
    return table.decide(RequestFacts(method, path, key))


def test_every_mode_decides_as_declared() -> None:
    table = RouteTable.build(
        [
            route("mono", "/mono/"),
            route("shadow", "/shadow/", Mode.SHADOW, "catalog"),
            route("svc", "/svc/", Mode.SERVICE, "catalog"),
            route("all-in", "/all-in/", Mode.CANARY, "catalog", percent=100),
            route("none-in", "/none-in/", Mode.CANARY, "catalog", percent=0),
        ],
        version=7,
    )
    assert table.version == 7
    assert decide(table, "GET", "/mono/") == Decision("mono", "monolith", None, False)
    assert decide(table, "GET", "/shadow/") == Decision("shadow", "monolith", "catalog", False)
    assert decide(table, "GET", "/svc/") == Decision("svc", "catalog", None, True)
    assert decide(table, "GET", "/all-in/") == Decision("all-in", "catalog", None, True)
    # a canary's monolith side sends the service copies, when the comparison is sampled
    assert decide(table, "GET", "/none-in/") == Decision(
        "none-in", "monolith", "catalog", False, sampled_only=True
    )
    assert decide(table, "GET", "/elsewhere/") == UNMATCHED


def test_canary_follows_the_client_bucket_and_is_sticky() -> None:
    table = RouteTable.build([route("c", "/c/{pk:int}/", Mode.CANARY, "orders", percent=25)])
    keys = [f"cookie:{i}" for i in range(2_000)]
    first = {k: decide(table, "GET", "/c/1/", k).primary for k in keys}
    assert {k: decide(table, "GET", "/c/99/", k).primary for k in keys} == first
    for k, primary in first.items():
        assert (primary == "orders") is in_canary(k, "c", 25)
    assert 0.2 < sum(p == "orders" for p in first.values()) / len(keys) < 0.3


def test_methods_filter_and_get_implies_head() -> None:
    table = RouteTable.build(
        [
            route("read", "/api/items/", Mode.SERVICE, "catalog"),
            route("write", "/api/items/", Mode.SHADOW, "catalog", methods=frozenset({"post"})),
        ]
    )
    assert table.match("GET", "/api/items/") == table.get("read")
    assert table.match("HEAD", "/api/items/") == table.get("read")
    assert table.match("POST", "/api/items/") == table.get("write")
    assert table.match("DELETE", "/api/items/") is None
    assert table.get("write") is not None and table.get("write").methods == {"POST"}  # type: ignore[union-attr]


def test_a_cors_preflight_goes_where_the_get_goes() -> None:
    table = RouteTable.build(
        [
            route("detail", "/api/items/{pk:int}/", Mode.SERVICE, "catalog", methods=GET),
            route("create", "/api/items/", Mode.SERVICE, "orders", methods=frozenset({"POST"})),
        ]
    )
    assert table.match("OPTIONS", "/api/items/7/") == table.get("detail")
    assert decide(table, "OPTIONS", "/api/items/7/", "addr:1").primary == "catalog"
    assert table.match("OPTIONS", "/api/items/") is None  # no GET there: the monolith answers


def test_any_method_route_matches_unlisted_methods() -> None:
    table = RouteTable.build(
        [
            route("get-only", "/x/", methods=GET),
            route("any", "/x/", methods=frozenset()),
        ]
    )
    assert table.match("GET", "/x/") == table.get("get-only")  # method-specific first
    assert table.match("PURGE", "/x/") == table.get("any")


def test_precedence_literal_beats_typed_beats_str_beats_path() -> None:
    routes = [
        route("rest", "/api/{rest:path}"),
        route("any-seg", "/api/products/{key}/"),
        route("by-pk", "/api/products/{pk:int}/"),
        route("featured", "/api/products/featured/"),
    ]
    table = RouteTable.build(routes)
    assert [r.id for r in table.routes()] == ["featured", "by-pk", "any-seg", "rest"]
    assert table.match("GET", "/api/products/featured/").id == "featured"  # type: ignore[union-attr]
    assert table.match("GET", "/api/products/12/").id == "by-pk"  # type: ignore[union-attr]
    assert table.match("GET", "/api/products/red-shoe/").id == "any-seg"  # type: ignore[union-attr]
    assert table.match("GET", "/api/orders/1/").id == "rest"  # type: ignore[union-attr]


def test_explicit_priority_overrides_specificity() -> None:
    table = RouteTable.build(
        [
            route("featured", "/api/products/featured/"),
            route("catch-all", "/api/{rest:path}", Mode.SERVICE, "edge", priority=10),
        ]
    )
    assert table.routes()[0].id == "catch-all"
    assert decide(table, "GET", "/api/products/featured/").primary == "edge"


def test_many_routes_in_one_table() -> None:
    routes = [route(f"r{i}", f"/api/r{i}/{{pk:int}}/", Mode.SERVICE, f"s{i}") for i in range(300)]
    table = RouteTable.build(routes)
    assert len(table) == 300
    assert decide(table, "GET", "/api/r217/5/").primary == "s217"


def test_table_is_immutable() -> None:
    table = RouteTable.build([route("a", "/a/")], version=1)
    with pytest.raises(AttributeError):
        table.version = 2
    with pytest.raises(TypeError):
        RouteTable()


def test_duplicate_ids_refused() -> None:
    with pytest.raises(InvalidFlag, match="duplicate route id 'a'"):
        RouteTable.build([route("a", "/a/"), route("a", "/b/")])


def test_decision_for_agrees_with_decide() -> None:
    canary = route("c", "/c/", Mode.CANARY, "orders", percent=40)
    table = RouteTable.build([canary])
    for i in range(200):
        key = f"cookie:{i}"
        expected = decide(table, "GET", "/c/", key)
        assert decision_for(table.match("GET", "/c/"), key) == expected
        assert table.decide_matched(table.match("GET", "/c/"), key) == expected
    assert decision_for(None, "k") == UNMATCHED == table.decide_matched(None, "k")
    elsewhere = route("c", "/c/", Mode.SERVICE, "orders")  # same id, not this table's route
    assert table.decide_matched(elsewhere, "k").primary == "orders"


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"mode": "sideways"}, "mode", "unknown mode 'sideways'"),
        ({"mode": Mode.CANARY, "service": None, "percent": 5}, "service", "needs a service"),
        ({"mode": Mode.SERVICE, "service": None}, "service", "needs a service"),
        ({"mode": Mode.SHADOW, "service": None}, "service", "needs a service"),
        ({"mode": Mode.CANARY, "service": "orders", "percent": 101}, "percent", "0 and 100"),
        ({"mode": Mode.CANARY, "service": "orders", "percent": -1}, "percent", "0 and 100"),
        ({"percent": "10"}, "percent", "integer"),
        ({"service": "Bad Name"}, "service", "bad service name"),
        ({"service": "monolith", "mode": Mode.SERVICE}, "service", "not a service name"),
        ({"template": "no-slash"}, "template", "starting with '/'"),
        ({"methods": frozenset({"GE T"})}, "methods", "bad HTTP method"),
        ({"id": ""}, "id", "printable"),
        ({"id": "two\nlines"}, "id", "printable"),
        ({"id": " padded"}, "id", "no outer spaces"),
    ],
)
def test_invalid_routes_name_the_field(kwargs: dict[str, object], field: str, message: str) -> None:
    values: dict[str, object] = {
        "id": "r",
        "methods": GET,
        "template": "/r/",
        "service": None,
        "mode": Mode.MONOLITH,
    }
    values.update(kwargs)
    with pytest.raises(InvalidFlag, match=message) as err:
        Route(**values)  # type: ignore[arg-type]
    assert err.value.field == field


def test_with_flag_validates_and_keeps_the_rest() -> None:
    r = route("r", "/r/{pk:int}/", priority=3)
    flipped = r.with_flag(mode="canary", percent=10, service="orders")
    assert (flipped.mode, flipped.percent, flipped.service, flipped.priority) == (
        Mode.CANARY,
        10,
        "orders",
        3,
    )
    with pytest.raises(InvalidFlag) as err:
        r.with_flag(mode="service", service=None)
    assert err.value.field == "service"
