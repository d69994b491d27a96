"""Who answers a request: the route table's decision, and the canary cookie that keeps an
anonymous browser on one side of every canary.

Only a canary split needs to know who is asking, so the caller passes a ``who`` callable
that is called for canary routes alone (an engine builds no header map for the rest).
A client the routing core cannot tell apart (no user, no ``strangler_client`` cookie) gets
a random id as a cookie and is decided by it right away, so browsers behind one address
spread across both sides and then stay where they landed.

A shadow copy of a request that writes (anything but GET, HEAD, OPTIONS) would write twice,
once through the monolith and once in the service: it is sent only when the route says its
service is safe to write to (``shadow_writes``).

>>> from strangler_proxy.routing import Mode, Route, RouteTable
>>> table = RouteTable.build([Route("p", frozenset({"GET"}), "/p/{pk:int}/", "catalog",
...                                 Mode.CANARY, 100)])
>>> decided = plan(table, "GET", "/p/7/", lambda: ({}, "10.0.0.1"), new_client=lambda: "c1")
>>> decided.decision.primary, decided.set_cookie
('catalog', 'strangler_client=c1; Path=/; HttpOnly; SameSite=Lax')
>>> plan(table, "GET", "/elsewhere", lambda: ({}, None)).decision.route_id is None
True
>>> shadowed = RouteTable.build([Route("r", frozenset(), "/r/", "reviews", Mode.SHADOW)])
>>> plan(shadowed, "GET", "/r/", lambda: ({}, None)).decision.shadow
'reviews'
>>> plan(shadowed, "POST", "/r/", lambda: ({}, None)).decision.shadow is None
True
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import NamedTuple

from strangler_proxy.policy.verdict import SAFE_METHODS
from strangler_proxy.routing import (
    CANARY_COOKIE,
    UNMATCHED,
    Decision,
    Mode,
    RouteTable,
    client_key,
    cookie_client_key,
    is_anonymous,
)

CANARY_COOKIE_ATTRIBUTES = "Path=/; HttpOnly; SameSite=Lax"

#: ``who()`` -> (headers with lower-case names, the client's address): asked for canaries only
Who = Callable[[], tuple[Mapping[str, str], str | None]]


class Plan(NamedTuple):
    decision: Decision
    set_cookie: str | None = None  # a ``Set-Cookie`` value for the answer, if any


def new_client_id() -> str:
    return secrets.token_urlsafe(16)


def canary_cookie(client_id: str) -> str:
    """The ``Set-Cookie`` value that keeps a browser on its side of every canary."""
    return f"{CANARY_COOKIE}={client_id}; {CANARY_COOKIE_ATTRIBUTES}"


_UNMATCHED = Plan(UNMATCHED)


def plan(
    table: RouteTable,
    method: str,
    path: str,
    who: Who,
    new_client: Callable[[], str] = new_client_id,
) -> Plan:
    """``path`` without the query string."""
    route = table.match(method, path)
    if route is None:
        return _UNMATCHED
    copies_writes = method in SAFE_METHODS or route.shadow_writes
    if route.mode is not Mode.CANARY:
        return Plan(_copying(table.decide_matched(route, ""), copies_writes))
    headers, address = who()
    key = client_key(headers, address)
    if not is_anonymous(key):
        return Plan(_copying(table.decide_matched(route, key), copies_writes))
    client_id = new_client()
    decision = table.decide_matched(route, cookie_client_key(client_id))
    return Plan(_copying(decision, copies_writes), canary_cookie(client_id))


def _copying(decision: Decision, writes_too: bool) -> Decision:
    """The decision without its shadow copy when the request writes and the route's service
    may not be written to twice."""
    return decision if writes_too or decision.shadow is None else replace(decision, shadow=None)


__all__ = ["CANARY_COOKIE_ATTRIBUTES", "Plan", "Who", "canary_cookie", "new_client_id", "plan"]
