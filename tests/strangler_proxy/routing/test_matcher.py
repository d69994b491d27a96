"""The route table finds a route by its literal leading segments first (a trie), then one
regex of the few candidates: it must pick exactly the route that trying every route in
precedence order picks, for any table and any path."""

from __future__ import annotations

import random

import pytest

from strangler_proxy.routing import Mode, Route, RouteTable
from strangler_proxy.routing.errors import InvalidFlag
from strangler_proxy.routing.template import compile_template

SEGMENTS = ["api", "v1", "items", "{pk:int}", "{slug:slug}", "{s}", "x", "{p:path}", "", "a.b"]
PATH_PARTS = ["api", "v1", "items", "12", "abc", "x", "a.b", "", "zz"]


def first_in_precedence_order(table: RouteTable, method: str, path: str) -> str | None:
    for route in table.routes():
        if route.allows(method) and compile_template(route.template).regex.fullmatch(path):
            return route.id
    return None


def random_table(rng: random.Random) -> RouteTable:
    routes = []
    for i in range(rng.randint(1, 25)):
        template = "/" + "/".join(rng.choice(SEGMENTS) for _ in range(rng.randint(0, 4)))
        template = (template + "/" if rng.random() < 0.5 else template).replace("//", "/")
        methods = frozenset(rng.sample(["GET", "POST", "PUT"], rng.randint(0, 2)))
        try:
            routes.append(
                Route(f"r{i}", methods, template, None, Mode.MONOLITH, 0, rng.randint(0, 1))
            )
        except InvalidFlag:  # e.g. the same parameter twice
            continue
    return RouteTable.build(routes)


@pytest.mark.parametrize("seed", range(40))
def test_the_trie_finds_what_trying_every_route_in_order_finds(seed: int) -> None:
    rng = random.Random(seed)
    table = random_table(rng)
    for _ in range(50):
        path = "/" + "/".join(rng.choice(PATH_PARTS) for _ in range(rng.randint(0, 5)))
        path = path + "/" if rng.random() < 0.3 else path
        for method in ("GET", "POST", "HEAD", "DELETE"):
            found = table.match(method, path)
            expected = first_in_precedence_order(table, method, path)
            assert (found.id if found else None) == expected, (method, path, table.routes())


def test_a_literal_route_wins_over_a_parameter_and_a_root_catch_all_comes_last() -> None:
    table = RouteTable.build(
        [
            Route("any", frozenset(), "/{rest:path}", None, Mode.MONOLITH),
            Route("item", frozenset({"GET"}), "/api/items/{pk:int}/", None, Mode.MONOLITH),
            Route("new", frozenset({"GET"}), "/api/items/new/", None, Mode.MONOLITH),
        ]
    )
    found = [table.match("GET", p) for p in ("/api/items/new/", "/api/items/7/", "/else")]
    assert [r.id if r else None for r in found] == ["new", "item", "any"]
    assert table.match("GET", "*") is None
