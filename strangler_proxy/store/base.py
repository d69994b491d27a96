"""What every flag store offers (the ``FlagStore`` protocol) and the records it returns."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

from strangler_proxy.registry import ServiceSpec
from strangler_proxy.routing import InvalidFlag, Mode, Route, RouteTable


class StoreError(RuntimeError):
    """The store could not be read or written (locked too long, disk, lost connection...)."""


class NoStore(StoreError):
    """Nothing at the URL is a flag store: no such file, or a database without its tables.

    Only a command that creates stores (``strangler routes import``, ``strangler up``)
    opens one with ``create=True``; every other reader stops with this, so a typo in a
    store URL is an error instead of a fresh, empty store that sends everything to the
    monolith.
    """

    def __init__(self, where: str, detail: str) -> None:
        super().__init__(
            f"no flag store at {where} ({detail}); `strangler routes import` creates one"
        )
        self.where = where


class StaleFlag(StoreError):
    """The route's flag is no longer the one the change was decided on (someone else moved
    it first): nothing was written."""

    def __init__(self, route_id: str, expected: str, found: str) -> None:
        super().__init__(f"route {route_id!r} is {found} now, not {expected}: left as it is")
        self.route_id = route_id


class UnknownRoute(InvalidFlag):
    """No route has this id (the admin API answers 404)."""

    def __init__(self, route_id: str) -> None:
        super().__init__("route", f"unknown route {route_id!r}")
        self.route_id = route_id


class UnknownService(InvalidFlag):
    """No service has this name."""

    def __init__(self, name: str, field: str = "service") -> None:
        super().__init__(field, f"unknown service {name!r} (register it first)")
        self.name = name


@dataclass(frozen=True)
class AuditRecord:
    """One change: who, when, which route (None for a service change), before and after."""

    seq: int
    at: str  # ISO 8601, UTC
    actor: str
    action: str  # "set", "add", "update", "remove", "service"
    route: str | None
    service: str | None
    before: dict[str, object] | None
    after: dict[str, object] | None
    reason: str
    version: int

    def to_json(self) -> dict[str, object]:
        return {
            "seq": self.seq,
            "at": self.at,
            "actor": self.actor,
            "action": self.action,
            "route": self.route,
            "service": self.service,
            "before": self.before,
            "after": self.after,
            "reason": self.reason,
            "version": self.version,
        }


@dataclass(frozen=True)
class Snapshot:
    """Routes and services read in one transaction, at one version."""

    table: RouteTable
    services: tuple[ServiceSpec, ...]

    @property
    def version(self) -> int:
        return self.table.version


@dataclass(frozen=True)
class UpsertResult:
    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    kept_orphans: tuple[str, ...] = field(default=())  # gone from the source, but not monolith


class FlagStore(Protocol):
    """The durable route table + service registry. Every write is one audited transaction."""

    def version(self) -> int:
        """A counter that grows with every change (cheap: poll it twice a second)."""
        ...

    def load(self) -> RouteTable: ...

    def snapshot(self) -> Snapshot: ...

    def get_route(self, route_id: str) -> Route: ...

    def preview_route(
        self,
        route_id: str,
        *,
        mode: Mode | str | None = None,
        percent: int | None = None,
        service: str | None = None,
        shadow_writes: bool | None = None,
    ) -> tuple[Route, Route]:
        """(before, after) of a ``set_route`` with these values, validated; nothing written."""
        ...

    def set_route(
        self,
        route_id: str,
        *,
        mode: Mode | str | None = None,
        percent: int | None = None,
        service: str | None = None,
        shadow_writes: bool | None = None,
        expect_mode: Mode | None = None,
        actor: str,
        reason: str,
    ) -> Route:
        """Change one route's flag; ``None`` keeps the current value. With ``expect_mode``
        the change is made only if the route is still in that mode (``StaleFlag`` else): a
        decision taken on an older flag, by one of several proxies, is not applied twice."""
        ...

    def upsert_routes(
        self,
        routes: Iterable[Route],
        *,
        actor: str,
        reason: str,
        keep_flags: bool = False,
        prune: bool = False,
    ) -> UpsertResult: ...

    def history(self, route_id: str | None = None, limit: int = 100) -> list[AuditRecord]: ...

    def services(self) -> list[ServiceSpec]: ...

    def register_service(
        self, name: str, urls: Sequence[str], *, actor: str, reason: str = ""
    ) -> ServiceSpec: ...

    def close(self) -> None: ...


def route_to_json(route: Route) -> dict[str, object]:
    return {
        "id": route.id,
        "methods": sorted(route.methods),
        "template": route.template,
        "service": route.service,
        "mode": route.mode.value,
        "percent": route.percent,
        "priority": route.priority,
        "shadow_writes": route.shadow_writes,
    }


def flag_of(route: Route) -> dict[str, object]:
    """What an audit record keeps of a route: everything but its id."""
    data = route_to_json(route)
    del data["id"]
    return data


def require_text(field_name: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidFlag(field_name, "must be a non-empty string")
    return value.strip()


def redact(url: str) -> str:
    """``url`` without its password (in the user part or a ``password=`` parameter).

    >>> redact("postgresql://flags:s3cret@db/strangler?password=x&sslmode=require")
    'postgresql://flags:***@db/strangler?password=***&sslmode=require'
    >>> redact("sqlite:////var/lib/flags.sqlite3")
    'sqlite:////var/lib/flags.sqlite3'
    """
    parts = urlsplit(url)
    if parts.password is None and "password=" not in parts.query:
        return url  # as given: urlunsplit would rewrite sqlite:////abs/path
    netloc, query = parts.netloc, parts.query
    if parts.password is not None:
        netloc = netloc.replace(f":{parts.password}@", ":***@", 1)
    if "password=" in query:
        query = "&".join(
            "password=***" if item.startswith("password=") else item for item in query.split("&")
        )
    return urlunsplit(parts._replace(netloc=netloc, query=query))
