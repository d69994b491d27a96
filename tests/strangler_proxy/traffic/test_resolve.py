"""Filling a planned request with what the target answered earlier (pure helpers)."""

from __future__ import annotations

from strangler_proxy.traffic.plan import PlannedRequest, Ref
from strangler_proxy.traffic.runner import extract, resolve

CANCEL = PlannedRequest(
    user=0,
    step="orders.cancel",
    method="POST",
    template="/api/orders/{id}/cancel/",
    path="/api/orders/{order}/cancel/",
    expected=frozenset({200}),
    needs=frozenset({"token", "order"}),
)
CHECKOUT = PlannedRequest(
    user=0,
    step="orders.checkout",
    method="POST",
    template="/api/orders/checkout/",
    path="/api/orders/checkout/",
    expected=frozenset({201}),
    body={"address": Ref("address"), "payment_method": "card"},
    needs=frozenset({"token", "address"}),
)


def test_values_fill_the_path_and_the_body() -> None:
    values = {"token": "t", "order": 41, "address": 7}
    assert resolve(CANCEL, values) == ("/api/orders/41/cancel/", None)
    assert resolve(CHECKOUT, values) == (
        "/api/orders/checkout/",
        {"address": 7, "payment_method": "card"},
    )


def test_a_missing_value_means_the_request_is_skipped() -> None:
    assert resolve(CANCEL, {"token": "t"}) is None
    assert resolve(CHECKOUT, {"address": 7}) is None


def test_extract_walks_keys_and_indexes() -> None:
    page = {"count": 2, "results": [{"id": 5}, {"id": 6}]}
    assert extract(page, ("results", 0, "id")) == 5
    assert extract(page, ("results", -1, "id")) == 6
    assert extract(page, ("results", 2, "id")) is None
    assert extract({"results": []}, ("results", 0, "id")) is None
    assert extract(None, ("token",)) is None
    assert extract({"token": "abc"}, ("token",)) == "abc"
