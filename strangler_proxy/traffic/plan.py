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
>>> requests = plan(world, seed=7, users=1)
>>> [next(requests).path for _ in range(3)]  # doctest: +NORMALIZE_WHITESPACE
['/api/catalog/categories/', '/api/catalog/products/?category=1&ordering=name',
 '/api/catalog/products/3/']
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from types import MappingProxyType

from strangler_proxy.traffic.pages import (
    NEEDS_LOGIN,
    PAGES,
    Capture,
    PlannedRequest,
    Ref,
    Visitor,
    World,
)

__all__ = ["TRANSITIONS", "Capture", "PlannedRequest", "Ref", "World", "plan"]

#: A user's visit ends after this many requests even if the chain did not reach "end".
MAX_JOURNEY_STEPS = 14


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


def _next_state(v: Visitor) -> str:
    choices = TRANSITIONS[v.state]
    return v.rng.choices(list(choices), weights=list(choices.values()))[0]


def _visitor_requests(world: World, v: Visitor) -> Iterator[PlannedRequest]:
    """One user's endless stream of visits."""
    while True:
        if v.after_login is not None:
            state, v.after_login = v.after_login, None
        else:
            state = _next_state(v)
        if v.state == "start" and v.signed_in and v.rng.random() < RELOGIN_SHARE:
            state = "login"
        if state in NEEDS_LOGIN and not v.signed_in:
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
        yield PAGES[state](world, v)


def plan(world: World, seed: int, users: int) -> Iterator[PlannedRequest]:
    """The endless, seeded request sequence of ``users`` virtual users, taking turns."""
    if users < 1:
        raise ValueError("users must be at least 1")
    streams = [
        _visitor_requests(world, Visitor(user, random.Random(f"{seed}:{user}")))
        for user in range(users)
    ]
    while True:
        for stream in streams:
            yield next(stream)
