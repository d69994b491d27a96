"""What each page of the shop asks its API, as planned requests (pure).

A :class:`Visitor` is the planner's memory of one virtual user; each entry of :data:`PAGES`
turns the visitor's next page into a :class:`PlannedRequest` (method, path template, the
concrete path, body, expected statuses). Values only the target knows are *needs* and
*captures*, filled in by the runner.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from urllib.parse import urlencode

#: DRF's default page size: product lists page only as far as the catalogue reaches.
PAGE_SIZE = 20
ORDERINGS = ("price", "-price", "name", "-created_at")


@dataclass(frozen=True)
class World:
    """What the planner may pick from: discovered on the target before a run."""

    product_ids: tuple[int, ...]
    category_ids: tuple[int, ...]
    search_terms: tuple[str, ...]
    usernames: tuple[str, ...]
    password: str
    product_count: int = 0

    def __post_init__(self) -> None:
        if not self.product_ids:
            raise ValueError("the world has no products to browse")
        if not self.usernames:
            raise ValueError("the world has no user accounts to sign in with")


@dataclass(frozen=True)
class Ref:
    """A body value captured earlier from an answer to the same user (``Ref("address")``)."""

    name: str


@dataclass(frozen=True)
class Capture:
    """Keep ``answer[path...]`` of a successful answer as the user's value ``name``."""

    name: str
    path: tuple[str | int, ...]


@dataclass(frozen=True)
class PlannedRequest:
    """One request a virtual user will send, as far as it can be known before sending."""

    user: int
    step: str
    method: str
    template: str
    path: str
    expected: frozenset[int]
    body: Mapping[str, object] | None = None
    needs: frozenset[str] = frozenset()
    capture: Capture | None = None

    @property
    def is_write(self) -> bool:
        return self.method != "GET"


@dataclass
class Visitor:
    """The planner's memory of one user: the product they look at, where they are."""

    user: int
    rng: random.Random
    product: int = 0
    signed_in: bool = False
    state: str = "start"
    steps: int = 0
    after_login: str | None = None


def _request(
    v: Visitor,
    step: str,
    template: str,
    *,
    method: str = "GET",
    path: str | None = None,
    query: Mapping[str, object] | None = None,
    body: Mapping[str, object] | None = None,
    expected: frozenset[int] = frozenset({200}),
    needs: frozenset[str] = frozenset(),
    capture: Capture | None = None,
) -> PlannedRequest:
    """A request of ``v``; ``path`` defaults to ``template`` plus the encoded ``query``."""
    concrete = (path or template) + (f"?{urlencode(query)}" if query else "")
    return PlannedRequest(
        v.user,
        step,
        method,
        template,
        concrete,
        expected,
        body=body,
        needs=needs,
        capture=capture,
    )


_AUTH = frozenset({"token"})


def _login(w: World, v: Visitor) -> PlannedRequest:
    body = {"username": w.usernames[v.user % len(w.usernames)], "password": w.password}
    return _request(
        v,
        "auth.token",
        "/api/auth/token/",
        method="POST",
        body=body,
        capture=Capture("token", ("token",)),
    )


def _browse(w: World, v: Visitor) -> PlannedRequest:
    query: dict[str, object] = {"ordering": v.rng.choice(ORDERINGS)}
    if v.rng.random() < 0.25:  # a price band (first page only: it may hold fewer products)
        low = v.rng.choice((0, 5, 10, 20))
        query["min_price"] = low
        query["max_price"] = low + v.rng.choice((20, 50, 200))
    else:  # paging only as far as the catalogue reaches
        page = v.rng.randint(1, max(1, min(3, w.product_count // PAGE_SIZE)))
        if page > 1:
            query["page"] = page
    return _request(v, "products.list", "/api/catalog/products/", query=query)


def _categories(w: World, v: Visitor) -> PlannedRequest:
    return _request(v, "categories.list", "/api/catalog/categories/")


def _category(w: World, v: Visitor) -> PlannedRequest:
    if not w.category_ids:
        return _browse(w, v)
    query = {"category": v.rng.choice(w.category_ids), "ordering": v.rng.choice(ORDERINGS)}
    return _request(v, "products.category", "/api/catalog/products/", query=query)


def _search(w: World, v: Visitor) -> PlannedRequest:
    if not w.search_terms:
        return _browse(w, v)
    query = {"search": v.rng.choice(w.search_terms)}
    return _request(v, "products.search", "/api/catalog/products/", query=query)


def _product(w: World, v: Visitor) -> PlannedRequest:
    v.product = v.rng.choice(w.product_ids)
    return _request(
        v,
        "products.detail",
        "/api/catalog/products/{id}/",
        path=f"/api/catalog/products/{v.product}/",
    )


def _product_sub(step: str, suffix: str) -> Callable[[World, Visitor], PlannedRequest]:
    template = f"/api/catalog/products/{{id}}/{suffix}/"

    def build(w: World, v: Visitor) -> PlannedRequest:
        return _request(v, step, template, path=f"/api/catalog/products/{v.product}/{suffix}/")

    return build


def _reviews(w: World, v: Visitor) -> PlannedRequest:
    return _request(
        v,
        "reviews.list",
        "/api/reviews/",
        query={"product": v.product},
        capture=Capture("review", ("results", 0, "id")),
    )


def _helpful(w: World, v: Visitor) -> PlannedRequest:
    # A second vote for the same review, or one for your own, is a 409 conflict.
    return _request(
        v,
        "reviews.helpful",
        "/api/reviews/{id}/helpful/",
        method="POST",
        path="/api/reviews/{review}/helpful/",
        needs=_AUTH | {"review"},
        expected=frozenset({200, 409}),
    )


def _write_review(w: World, v: Visitor) -> PlannedRequest:
    rating = v.rng.choice((5, 5, 4, 4, 3, 2, 1))
    body = {
        "product": v.product,
        "rating": rating,
        "title": v.rng.choice(("Does the job", "Great value", "Not for me", "Solid", "Meh")),
        "body": f"Bought it for the workshop, {rating} stars.",
    }
    # One review per product and customer: a second one is a validation error (400).
    return _request(
        v,
        "reviews.create",
        "/api/reviews/",
        method="POST",
        body=body,
        needs=_AUTH,
        expected=frozenset({201, 400}),
    )


def _add_to_cart(w: World, v: Visitor) -> PlannedRequest:
    body = {"product": v.product, "quantity": v.rng.choice((1, 1, 1, 2, 3))}
    return _request(
        v,
        "cart.add",
        "/api/orders/cart/items/",
        method="POST",
        body=body,
        needs=_AUTH,
        expected=frozenset({201}),
    )


def _cart(w: World, v: Visitor) -> PlannedRequest:
    return _request(v, "cart.show", "/api/orders/cart/", needs=_AUTH)


def _addresses(w: World, v: Visitor) -> PlannedRequest:
    return _request(
        v,
        "addresses.list",
        "/api/customers/addresses/",
        needs=_AUTH,
        capture=Capture("address", ("results", 0, "id")),
    )


def _checkout(
    step: str, payment_method: str, expected: set[int]
) -> Callable[[World, Visitor], PlannedRequest]:
    def build(w: World, v: Visitor) -> PlannedRequest:
        body = {"address": Ref("address"), "payment_method": payment_method}
        return _request(
            v,
            step,
            "/api/orders/checkout/",
            method="POST",
            body=body,
            needs=_AUTH | {"address"},
            expected=frozenset(expected),
            capture=Capture("order", ("id",)),
        )

    return build


def _orders(w: World, v: Visitor) -> PlannedRequest:
    return _request(v, "orders.list", "/api/orders/", needs=_AUTH)


def _order(w: World, v: Visitor) -> PlannedRequest:
    return _request(
        v,
        "orders.detail",
        "/api/orders/{id}/",
        path="/api/orders/{order}/",
        needs=_AUTH | {"order"},
    )


def _cancel(w: World, v: Visitor) -> PlannedRequest:
    return _request(
        v,
        "orders.cancel",
        "/api/orders/{id}/cancel/",
        method="POST",
        path="/api/orders/{order}/cancel/",
        needs=_AUTH | {"order"},
    )


PAGES: Mapping[str, Callable[[World, Visitor], PlannedRequest]] = MappingProxyType(
    {
        "login": _login,
        "browse": _browse,
        "categories": _categories,
        "category": _category,
        "search": _search,
        "product": _product,
        "reviews": _reviews,
        "helpful": _helpful,
        "availability": _product_sub("products.availability", "availability"),
        "prices": _product_sub("products.prices", "prices"),
        "add_to_cart": _add_to_cart,
        "cart": _cart,
        "addresses": _addresses,
        # An empty cart (every add refused as out of stock) and sold-out stock are answers too.
        "checkout": _checkout("orders.checkout", "card", {201, 400, 409}),
        "checkout_declined": _checkout(
            "orders.checkout.declined", "declined-card", {402, 400, 409}
        ),
        "orders": _orders,
        "order": _order,
        "cancel": _cancel,
        "write_review": _write_review,
    }
)

#: States that need a signed-in customer; an anonymous visitor signs in first.
NEEDS_LOGIN = frozenset(
    {
        "helpful",
        "write_review",
        "add_to_cart",
        "cart",
        "addresses",
        "checkout",
        "checkout_declined",
        "orders",
        "order",
        "cancel",
    }
)
