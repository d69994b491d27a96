"""The pure scenario planner: seeded shop users walking a Markov-ish journey.

It only decides what each virtual user does next; it never sends anything. Given the same
:class:`World` (what the target sells, who may sign in) and the same seed, :func:`plan`
yields exactly the same sequence of :class:`PlannedRequest`.

Values that only the target can know (a token, the order a checkout created, the customer's
address) are not invented here: a request names them as *needs* (``{order}`` in its path,
:class:`Ref` in its body) and the step that produces one names it as *capture*. The runner
fills them in from the answers of the same user.

>>> world = World(product_ids=(1, 2, 3), category_ids=(1,), search_terms=("lamp",),
...               usernames=("customer0001",), password="shop-demo-pass")
>>> first = next(plan(world, seed=7, users=1))
>>> first.step, first.method, first.path
('auth.token', 'POST', '/api/auth/token/')
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from urllib.parse import urlencode

#: The first page the planner asks for when the world is large enough; DRF's default size.
PAGE_SIZE = 20
#: A user's visit ends after this many requests even if the chain did not reach "end".
MAX_JOURNEY_STEPS = 14
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


# --- the journey model -------------------------------------------------------------------

#: state -> weighted next states. Every visit starts at "start" and ends at "end".
TRANSITIONS: Mapping[str, Mapping[str, int]] = MappingProxyType(
    {
        "start": {"browse": 2, "categories": 1, "search": 1},
        "login": {"browse": 4, "categories": 2, "search": 3, "orders": 1},
        "categories": {"category": 1},
        "category": {"product": 6, "browse": 1, "end": 1},
        "browse": {"product": 6, "browse": 2, "search": 1, "end": 1},
        "search": {"product": 6, "search": 1, "browse": 1, "end": 1},
        "product": {
            "reviews": 3,
            "availability": 2,
            "prices": 1,
            "add_to_cart": 3,
            "browse": 2,
            "end": 1,
        },
        "reviews": {"add_to_cart": 3, "write_review": 1, "helpful": 1, "browse": 2, "end": 1},
        "helpful": {"add_to_cart": 1, "browse": 1, "end": 1},
        "availability": {"add_to_cart": 3, "browse": 1, "end": 1},
        "prices": {"add_to_cart": 1, "browse": 1},
        "add_to_cart": {"cart": 3, "browse": 2, "search": 1},
        "cart": {"addresses": 4, "browse": 1, "end": 1},
        "addresses": {"checkout": 9, "checkout_declined": 1},
        "checkout_declined": {"checkout": 1, "end": 1},
        "checkout": {"order": 3, "orders": 2, "cancel": 1, "end": 3},
        "order": {"cancel": 1, "end": 3},
        "orders": {"order": 1, "browse": 1, "end": 2},
        "cancel": {"orders": 1, "end": 2},
        "write_review": {"browse": 1, "end": 2},
    }
)

#: Share of visits by a signed-in user that sign in again (a new device, an expired session).
RELOGIN_SHARE = 0.05


@dataclass
class _Visitor:
    """The planner's memory of one user: the product they look at, where they are."""

    user: int
    rng: random.Random
    product: int = 0
    signed_in: bool = False
    state: str = "start"
    steps: int = 0
    after_login: str | None = None


def _request(
    v: _Visitor,
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


def _login(w: World, v: _Visitor) -> PlannedRequest:
    body = {"username": w.usernames[v.user % len(w.usernames)], "password": w.password}
    return _request(
        v,
        "auth.token",
        "/api/auth/token/",
        method="POST",
        body=body,
        capture=Capture("token", ("token",)),
    )


def _browse(w: World, v: _Visitor) -> PlannedRequest:
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


def _categories(w: World, v: _Visitor) -> PlannedRequest:
    return _request(v, "categories.list", "/api/catalog/categories/")


def _category(w: World, v: _Visitor) -> PlannedRequest:
    if not w.category_ids:
        return _browse(w, v)
    query = {"category": v.rng.choice(w.category_ids), "ordering": v.rng.choice(ORDERINGS)}
    return _request(v, "products.category", "/api/catalog/products/", query=query)


def _search(w: World, v: _Visitor) -> PlannedRequest:
    if not w.search_terms:
        return _browse(w, v)
    query = {"search": v.rng.choice(w.search_terms)}
    return _request(v, "products.search", "/api/catalog/products/", query=query)


def _product(w: World, v: _Visitor) -> PlannedRequest:
    v.product = v.rng.choice(w.product_ids)
    return _request(
        v,
        "products.detail",
        "/api/catalog/products/{id}/",
        path=f"/api/catalog/products/{v.product}/",
    )


def _product_sub(step: str, suffix: str) -> Callable[[World, _Visitor], PlannedRequest]:
    template = f"/api/catalog/products/{{id}}/{suffix}/"

    def build(w: World, v: _Visitor) -> PlannedRequest:
        return _request(v, step, template, path=f"/api/catalog/products/{v.product}/{suffix}/")

    return build


def _reviews(w: World, v: _Visitor) -> PlannedRequest:
    return _request(
        v,
        "reviews.list",
        "/api/reviews/",
        query={"product": v.product},
        capture=Capture("review", ("results", 0, "id")),
    )


def _helpful(w: World, v: _Visitor) -> PlannedRequest:
    # A second vote for the same review is refused (one vote per customer).
    return _request(
        v,
        "reviews.helpful",
        "/api/reviews/{id}/helpful/",
        method="POST",
        path="/api/reviews/{review}/helpful/",
        needs=_AUTH | {"review"},
        expected=frozenset({200, 201, 400, 409}),
    )


def _write_review(w: World, v: _Visitor) -> PlannedRequest:
    rating = v.rng.choice((5, 5, 4, 4, 3, 2, 1))
    body = {
        "product": v.product,
        "rating": rating,
        "title": v.rng.choice(("Does the job", "Great value", "Not for me", "Solid", "Meh")),
        "body": f"Bought it for the workshop, {rating} stars.",
    }
    # One review per product and customer: a second one is a clear 400/409, not an error.
    return _request(
        v,
        "reviews.create",
        "/api/reviews/",
        method="POST",
        body=body,
        needs=_AUTH,
        expected=frozenset({201, 400, 409}),
    )


def _add_to_cart(w: World, v: _Visitor) -> PlannedRequest:
    body = {"product": v.product, "quantity": v.rng.choice((1, 1, 1, 2, 3))}
    return _request(
        v,
        "cart.add",
        "/api/orders/cart/items/",
        method="POST",
        body=body,
        needs=_AUTH,
        expected=frozenset({200, 201, 409}),
    )


def _cart(w: World, v: _Visitor) -> PlannedRequest:
    return _request(v, "cart.show", "/api/orders/cart/", needs=_AUTH)


def _addresses(w: World, v: _Visitor) -> PlannedRequest:
    return _request(
        v,
        "addresses.list",
        "/api/customers/addresses/",
        needs=_AUTH,
        capture=Capture("address", ("results", 0, "id")),
    )


def _checkout(
    step: str, payment_method: str, expected: set[int]
) -> Callable[[World, _Visitor], PlannedRequest]:
    def build(w: World, v: _Visitor) -> PlannedRequest:
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


def _orders(w: World, v: _Visitor) -> PlannedRequest:
    return _request(v, "orders.list", "/api/orders/", needs=_AUTH)


def _order(w: World, v: _Visitor) -> PlannedRequest:
    return _request(
        v,
        "orders.detail",
        "/api/orders/{id}/",
        path="/api/orders/{order}/",
        needs=_AUTH | {"order"},
    )


def _cancel(w: World, v: _Visitor) -> PlannedRequest:
    return _request(
        v,
        "orders.cancel",
        "/api/orders/{id}/cancel/",
        method="POST",
        path="/api/orders/{order}/cancel/",
        needs=_AUTH | {"order"},
    )


BUILDERS: Mapping[str, Callable[[World, _Visitor], PlannedRequest]] = MappingProxyType(
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
_NEEDS_LOGIN = frozenset(
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


def _next_state(v: _Visitor) -> str:
    choices = TRANSITIONS[v.state]
    return v.rng.choices(list(choices), weights=list(choices.values()))[0]


def _visitor_requests(world: World, v: _Visitor) -> Iterator[PlannedRequest]:
    """One user's endless stream of visits."""
    while True:
        if v.after_login is not None:
            state, v.after_login = v.after_login, None
        else:
            state = _next_state(v)
        if v.state == "start" and v.signed_in and v.rng.random() < RELOGIN_SHARE:
            state = "login"
        if state in _NEEDS_LOGIN and not v.signed_in:
            # an anonymous visitor signs in first, then goes where they wanted to go
            state, v.after_login = "login", state
        if state == "end" or v.steps >= MAX_JOURNEY_STEPS:
            v.state, v.steps = "start", 0
            continue
        if state == "login":
            v.signed_in = True
        if v.product == 0:
            v.product = v.rng.choice(world.product_ids)
        v.state, v.steps = state, v.steps + 1
        yield BUILDERS[state](world, v)


def plan(world: World, seed: int, users: int) -> Iterator[PlannedRequest]:
    """The endless, seeded request sequence of ``users`` virtual users, taking turns."""
    if users < 1:
        raise ValueError("users must be at least 1")
    streams = [
        _visitor_requests(world, _Visitor(user, random.Random(f"{seed}:{user}")))
        for user in range(users)
    ]
    while True:
        for stream in streams:
            yield next(stream)
