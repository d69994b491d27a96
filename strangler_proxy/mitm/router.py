"""What the mitmproxy engine does with one request, without mitmproxy (so it is tested in
the main environment and the addon stays a thin adapter).

A ``Router`` keeps the current route table and service instances from the flag store
(through the store's ``TableWatcher``, polled at most every ``poll_interval`` seconds on
the request path: a flip is seen by the first request after that; an unreadable store
keeps the last good table), and turns a request into a ``Plan``: who answers, where, and
where a shadow copy goes. A canary route deciding for a client the routing core cannot
tell apart (no authenticated user, no ``strangler_client`` cookie) gives it a random
canary cookie and decides by it, so browsers behind one address spread across both sides
and then stay where they landed.

>>> router = Router(store)                                      # doctest: +SKIP
>>> plan = router.plan("GET", "/api/catalog/products/7/", {}, "127.0.0.1")  # doctest: +SKIP
>>> plan.served_by, plan.target                                 # doctest: +SKIP
('catalog', Upstream(scheme='http', host='127.0.0.1', port=8101, prefix=''))
"""

from __future__ import annotations

import itertools
import secrets
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from strangler_proxy.registry import ServiceSpec
from strangler_proxy.routing import (
    CANARY_COOKIE,
    MONOLITH,
    Decision,
    Mode,
    RouteTable,
    client_key,
    cookie_client_key,
    is_anonymous,
)
from strangler_proxy.store import FlagStore, TableWatcher

#: Internal request headers: clients may not set them (removed before routing).
INTERNAL_PREFIX = "x-strangler-"


def new_client_id() -> str:
    return secrets.token_urlsafe(16)


def canary_cookie(client_id: str) -> str:
    """The ``Set-Cookie`` value that keeps a browser on its side of every canary."""
    return f"{CANARY_COOKIE}={client_id}; Path=/; HttpOnly; SameSite=Lax"


@dataclass(frozen=True)
class Upstream:
    """A service instance: ``scheme://host:port`` plus an optional path prefix."""

    scheme: str
    host: str
    port: int
    prefix: str = ""  # prepended to the request path, no trailing "/"

    @classmethod
    def parse(cls, url: str) -> Upstream:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as exc:
            raise ValueError(f"bad port in {url!r}") from exc
        return cls(parts.scheme, parts.hostname, port, parts.path.rstrip("/"))


@dataclass(frozen=True)
class Plan:
    decision: Decision
    served_by: str  # "monolith" or the service that answers
    target: Upstream | None  # None: mitmproxy's reverse target (the monolith) answers
    shadow: Upstream | None  # where a copy of the request goes, if anywhere
    set_cookie: str | None = None  # a new canary cookie for the client (``Set-Cookie``)

    def metadata(self) -> dict[str, str | None]:
        """What the flow file records for the comparison tools (``fallback``: why the
        monolith answered instead of the service, set by the addon; None otherwise)."""
        return {
            "role": "primary",
            "route": self.decision.route_id,
            "served_by": self.served_by,
            "shadow": self.decision.shadow if self.shadow else None,
            "fallback": None,
        }


class Router:
    def __init__(
        self,
        store: FlagStore,
        *,
        poll_interval: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
        new_client: Callable[[], str] = new_client_id,
    ) -> None:
        if poll_interval <= 0:
            raise ValueError(f"poll_interval must be positive, got {poll_interval}")
        self._watcher = TableWatcher(store)
        self._poll_interval = poll_interval
        self._clock = clock
        self._new_client = new_client
        self._table = self._watcher.table
        self._instances = _round_robin(self._watcher.services)
        self._checked = clock()

    @property
    def table(self) -> RouteTable:
        return self._table

    def refresh(self) -> bool:
        """Reload the table and instances if the store changed; True if it did."""
        now = self._clock()
        if now - self._checked < self._poll_interval:
            return False
        self._checked = now
        table = self._watcher.poll()
        if table is None:
            return False
        self._table = table
        self._instances = _round_robin(self._watcher.services)
        return True

    def plan(
        self, method: str, path: str, headers: Mapping[str, str], client_addr: str | None
    ) -> Plan:
        """``headers`` with lower-case names; ``path`` without the query string."""
        self.refresh()
        route = self._table.match(method, path)
        key, set_cookie = "", None
        if route is not None and route.mode is Mode.CANARY:  # only a split asks who it is
            key = client_key(headers, client_addr)
            if is_anonymous(key):  # neither a user nor a canary cookie
                client_id = self._new_client()
                key = cookie_client_key(client_id)  # the key it has when it comes back
                set_cookie = canary_cookie(client_id)
        decision = self._table.decide_matched(route, key)
        shadow = self._next(decision.shadow) if decision.shadow else None
        if not decision.to_service:
            return Plan(decision, MONOLITH, None, shadow, set_cookie)
        target = self._next(decision.primary)
        if target is None:  # the store refuses routes to unregistered services; be safe anyway
            return Plan(decision, MONOLITH, None, shadow, set_cookie)
        return Plan(decision, decision.primary, target, shadow, set_cookie)

    def _next(self, service: str) -> Upstream | None:
        cycle = self._instances.get(service)
        return next(cycle) if cycle else None


def _round_robin(services: Iterable[ServiceSpec]) -> dict[str, Iterator[Upstream]]:
    """A cycle over each service's instances (this engine does no health checks)."""
    return {
        spec.name: itertools.cycle([Upstream.parse(url) for url in spec.instances])
        for spec in services
        if spec.instances
    }


def internal_headers(names: Sequence[str]) -> list[str]:
    """The header names a client sent that must be removed (``X-Strangler-*``)."""
    return [name for name in names if name.lower().startswith(INTERNAL_PREFIX)]
