"""The planner is pure: the same world and seed plan the same requests, in a shop-like mix."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest

from strangler_proxy.traffic.pages import PAGES
from strangler_proxy.traffic.plan import TRANSITIONS, PlannedRequest, Ref, World, plan

WORLD = World(
    product_ids=tuple(range(1, 61)),
    category_ids=(1, 2, 3, 4),
    search_terms=("lamp", "desk", "kettle"),
    usernames=("customer0001", "customer0002", "customer0003"),
    password="shop-demo-pass",
    product_count=60,
)


def first(n: int, seed: int = 42, users: int = 5) -> list[PlannedRequest]:
    return list(itertools.islice(plan(WORLD, seed=seed, users=users), n))


def test_the_same_seed_plans_the_same_requests() -> None:
    assert first(2000) == first(2000)


def test_another_seed_plans_other_requests() -> None:
    assert [r.path for r in first(200, seed=1)] != [r.path for r in first(200, seed=2)]


def test_users_take_turns_and_each_stream_is_independent_of_the_others() -> None:
    requests = first(30, users=3)
    assert [r.user for r in requests[:6]] == [0, 1, 2, 0, 1, 2]
    alone = [r for r in first(300, users=3) if r.user == 1][:50]
    assert alone == [r for r in first(300, users=3) if r.user == 1][:50]


def test_the_mix_looks_like_a_shop() -> None:
    requests = first(6000)
    steps = Counter(r.step for r in requests)
    every_step = {
        "auth.token",
        "products.list",
        "categories.list",
        "products.category",
        "products.search",
        "products.detail",
        "products.availability",
        "products.prices",
        "reviews.list",
        "reviews.create",
        "reviews.helpful",
        "cart.add",
        "cart.show",
        "addresses.list",
        "orders.checkout",
        "orders.checkout.declined",
        "orders.list",
        "orders.detail",
        "orders.cancel",
    }
    assert set(steps) == every_step
    reads = sum(1 for r in requests if not r.is_write)
    assert reads / len(requests) > 0.6, "browsing dominates"
    declined, paid = steps["orders.checkout.declined"], steps["orders.checkout"]
    assert 0 < declined < paid * 0.25, "a small share of card payments is declined"
    assert steps["orders.cancel"] < paid


def test_a_user_signs_in_before_anything_personal() -> None:
    for user in range(5):
        steps = [r.step for r in first(3000) if r.user == user]
        first_personal = next(i for i, s in enumerate(steps) if s.startswith(("cart", "orders")))
        assert "auth.token" in steps[:first_personal]


def test_checkout_pays_to_the_captured_address_and_cancel_needs_the_order() -> None:
    requests = first(3000)
    checkout = next(r for r in requests if r.step == "orders.checkout")
    assert checkout.body == {"address": Ref("address"), "payment_method": "card"}
    assert checkout.needs == {"token", "address"}
    assert checkout.capture is not None and checkout.capture.name == "order"
    assert 201 in checkout.expected and 500 not in checkout.expected
    cancel = next(r for r in requests if r.step == "orders.cancel")
    assert cancel.path == "/api/orders/{order}/cancel/"
    assert cancel.template == "/api/orders/{id}/cancel/"
    declined = next(r for r in requests if r.step == "orders.checkout.declined")
    assert declined.body == {"address": Ref("address"), "payment_method": "declined-card"}
    assert 402 in declined.expected


def test_paths_are_concrete_and_only_pick_known_products() -> None:
    for request in first(3000):
        assert request.path.startswith("/api/")
        if request.step == "products.detail":
            product_id = int(request.path.split("/")[-2])
            assert product_id in WORLD.product_ids
        if request.step == "products.search":
            assert request.path.split("search=")[1] in WORLD.search_terms
        if not request.needs - {"token"}:
            assert "{" not in request.path


def test_no_page_beyond_the_catalogue() -> None:
    small = World(
        product_ids=(1, 2),
        category_ids=(),
        search_terms=(),
        usernames=("u",),
        password="p",
        product_count=2,
    )
    requests = list(itertools.islice(plan(small, seed=3, users=2), 500))
    assert not any("page=" in r.path for r in requests)
    assert not any(r.step in ("products.category", "products.search") for r in requests), (
        "no categories or words: the user browses instead"
    )


def test_every_state_has_a_builder_and_leads_somewhere_known() -> None:
    states = set(PAGES) | {"start", "end"}
    for state, choices in TRANSITIONS.items():
        assert state in states
        assert set(choices) <= states


def test_bad_worlds_and_user_counts_are_refused_clearly() -> None:
    with pytest.raises(ValueError, match="no products"):
        World(product_ids=(), category_ids=(), search_terms=(), usernames=("u",), password="p")
    with pytest.raises(ValueError, match="no user accounts"):
        World(product_ids=(1,), category_ids=(), search_terms=(), usernames=(), password="p")
    with pytest.raises(ValueError, match="users must be at least 1"):
        next(plan(WORLD, seed=1, users=0))
