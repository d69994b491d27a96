"""What the mitmproxy engine does with one request, without mitmproxy (so it is tested in
the main environment and the addon stays a thin adapter).

A ``Router`` keeps the current route table and service instances from the flag store
(through the store's ``TableWatcher``, polled at most every ``poll_interval`` seconds on
the request path: a flip is seen by the first request after that; an unreadable store
keeps the last good table), and turns a request into a ``Plan`` by the policy both engines
follow (``strangler_proxy.policy``): who answers, which instance to try, where a shadow
copy goes, and, when no instance of the chosen service can be tried, the policy's word
(a fallback with ``circuit-open``, or a 503).

>>> import tempfile
>>> from strangler_proxy.routing import Mode, Route
>>> from strangler_proxy.store import open_store
>>> store = open_store(f"sqlite:///{tempfile.mkdtemp()}/flags.sqlite3", create=True)
>>> _ = store.register_service("catalog", ["http://127.0.0.1:8101"], actor="docs")
>>> detail = Route("detail", frozenset({"GET"}), "/products/{pk:int}/", "catalog", Mode.SERVICE)
>>> _ = store.upsert_routes([detail], actor="docs", reason="an example")
>>> plan = Router(store).plan("GET", "/products/7/", {}, "127.0.0.1")
>>> plan.served_by, plan.target.url
('catalog', 'http://127.0.0.1:8101')
>>> store.close()
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from strangler_proxy.policy import (
    Action,
    Tried,
    Verdict,
    is_internal,
    new_client_id,
    plan,
    unavailable,
)
from strangler_proxy.registry import InstanceAddress, ServiceSpec
from strangler_proxy.routing import MONOLITH, Decision, RouteTable
from strangler_proxy.store import FlagStore, TableWatcher


@dataclass(frozen=True)
class Plan:
    decision: Decision
    target: InstanceAddress | None  # the instance to try; None: the monolith answers
    shadow: InstanceAddress | None  # where a copy of the request goes, if anywhere
    set_cookie: str | None = None  # a new canary cookie for the client (``Set-Cookie``)
    unavailable: Verdict | None = None  # no instance to try: fall back, or the proxy's 503

    @property
    def served_by(self) -> str:
        """Who answers if the service's attempt goes well: the service, or the monolith."""
        return self.decision.primary if self.target is not None else MONOLITH

    @property
    def tried(self) -> Tried | None:
        """The service and instance an attempt goes to (named in the proxy's error)."""
        return None if self.target is None else Tried(self.decision.primary, self.target.url)

    @property
    def fallback(self) -> str | None:
        """Why the monolith answers before any attempt (``circuit-open``), if it does."""
        verdict = self.unavailable
        return verdict.reason if verdict and verdict.action is Action.FALLBACK else None

    def metadata(self) -> dict[str, str | None]:
        """What the flow file records for the comparison tools (``fallback``: why the
        monolith answered instead of the service; the addon sets it after an attempt)."""
        return {
            "role": "primary",
            "route": self.decision.route_id,
            "served_by": self.served_by,
            "shadow": self.decision.shadow if self.shadow else None,
            "fallback": self.fallback,
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
        decided = plan(self._table, method, path, lambda: (headers, client_addr), self._new_client)
        decision, cookie = decided.decision, decided.set_cookie
        shadow = self._next(decision.shadow) if decision.shadow else None
        if not decision.to_service:
            return Plan(decision, None, shadow, cookie)
        target = self._next(decision.primary)
        if target is None:
            verdict = unavailable(decision.primary, fallback=decision.fallback)
            return Plan(decision, None, shadow, cookie, verdict)
        return Plan(decision, target, shadow, cookie)

    def _next(self, service: str) -> InstanceAddress | None:
        cycle = self._instances.get(service)
        return next(cycle) if cycle else None


def _round_robin(services: Iterable[ServiceSpec]) -> dict[str, Iterator[InstanceAddress]]:
    """A cycle over each service's reachable instances (this engine does no health checks;
    a URL no engine can reach, https or with a path, stored before they were refused, is left
    out: with no other instance its service is circuit-open, as in the production engine)."""
    cycles: dict[str, Iterator[InstanceAddress]] = {}
    for spec in services:
        addresses: list[InstanceAddress] = []
        for url in spec.instances:
            try:
                addresses.append(InstanceAddress.parse(url))
            except ValueError:
                continue
        if addresses:
            cycles[spec.name] = itertools.cycle(addresses)
    return cycles


def internal_headers(names: Sequence[str]) -> list[str]:
    """The header names a client sent that must be removed (``X-Strangler-*``)."""
    return [name for name in names if is_internal(name)]
