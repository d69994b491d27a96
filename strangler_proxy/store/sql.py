"""The flag store's logic over SQL, written once for the SQLite and PostgreSQL stores.

``SqlFlagStore`` implements the whole ``FlagStore`` protocol: validation, the row <->
``Route`` mapping, the audit records and the version bump. A backend supplies only its
connection and two kinds of transaction:

- ``_read(consistent=...)``: a connection to read from; ``consistent=True`` makes the reads
  one snapshot (routes, services and version agree).
- ``_write()``: a transaction that holds the store's single writer lock from its first
  statement (SQLite ``BEGIN IMMEDIATE``; PostgreSQL ``SELECT ... FOR UPDATE`` on the version
  row), so a change reads, validates and writes without another writer in between. It
  commits when the block ends and rolls back everything if the block raises.

Statements use ``?`` placeholders (the PostgreSQL store translates them) and portable
values: text, integers and JSON text. PostgreSQL hands ``jsonb`` back as objects and
``timestamptz`` as datetimes; the mapping accepts both spellings.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Protocol, Self

from strangler_proxy.registry import ServiceSpec
from strangler_proxy.routing import InvalidFlag, Mode, Route, RouteTable
from strangler_proxy.store.base import (
    AuditRecord,
    Snapshot,
    StaleFlag,
    StoreError,
    UnknownRoute,
    UnknownService,
    UpsertResult,
    flag_of,
    require_text,
)

ROUTE_COLUMNS = "id, methods, template, service, mode, percent, priority, shadow_writes"
AUDIT_COLUMNS = "seq, at, actor, action, route, service, before, after, reason, version"


class Rows(Protocol):
    def fetchone(self) -> Any: ...

    def __iter__(self) -> Iterator[Any]: ...


class Db(Protocol):
    """What the shared logic needs of a connection: rows readable by column name."""

    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Rows: ...


class SqlFlagStore(ABC):
    """``FlagStore`` over a SQL database; subclasses give it connections and transactions."""

    @abstractmethod
    def _read(self, *, consistent: bool = False) -> AbstractContextManager[Db]: ...

    @abstractmethod
    def _write(self) -> AbstractContextManager[Db]: ...

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- reading -------------------------------------------------------------------------

    def version(self) -> int:
        with self._read() as db:
            return _version(db)

    def load(self) -> RouteTable:
        return self.snapshot().table

    def snapshot(self) -> Snapshot:
        with self._read(consistent=True) as db:
            version = _version(db)
            rows = db.execute(f"SELECT {ROUTE_COLUMNS} FROM routes")
            routes = [route_from_row(row) for row in rows]
            services = tuple(_services(db))
        return Snapshot(RouteTable.build(routes, version), services)

    def get_route(self, route_id: str) -> Route:
        with self._read() as db:
            return _get_route(db, route_id)

    def history(self, route_id: str | None = None, limit: int = 100) -> list[AuditRecord]:
        with self._read(consistent=True) as db:
            if route_id is None:
                rows = db.execute(
                    f"SELECT {AUDIT_COLUMNS} FROM audit ORDER BY seq DESC LIMIT ?", (limit,)
                )
            else:
                rows = db.execute(
                    f"SELECT {AUDIT_COLUMNS} FROM audit WHERE route = ? ORDER BY seq DESC LIMIT ?",
                    (route_id, limit),
                )
            records = [audit_from_row(row) for row in rows]
            if route_id is not None and not records:
                _get_route(db, route_id)  # raises UnknownRoute for a route never seen
        return records

    def services(self) -> list[ServiceSpec]:
        with self._read() as db:
            return _services(db)

    # -- writing -------------------------------------------------------------------------

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
        actor, reason = require_text("actor", actor), require_text("reason", reason)
        with self._write() as db:
            before = _get_route(db, route_id)
            if expect_mode is not None and before.mode is not expect_mode:
                raise StaleFlag(route_id, expect_mode.value, before.mode.value)
            after = _changed(before, mode, percent, service, shadow_writes)
            _require_service(db, after)
            version = _bump(db)
            _put_route(db, after)
            _log(db, version, actor, "set", reason, route=after.id, before=before, after=after)
        return after

    def preview_route(
        self,
        route_id: str,
        *,
        mode: Mode | str | None = None,
        percent: int | None = None,
        service: str | None = None,
        shadow_writes: bool | None = None,
    ) -> tuple[Route, Route]:
        """(before, after) of this change, checked as ``set_route`` checks it; nothing is
        written (the admin API asks the promotion gate only about a valid flip)."""
        with self._read() as db:
            before = _get_route(db, route_id)
            after = _changed(before, mode, percent, service, shadow_writes)
            _require_service(db, after)
        return before, after

    def upsert_routes(
        self,
        routes: Iterable[Route],
        *,
        actor: str,
        reason: str,
        keep_flags: bool = False,
        prune: bool = False,
    ) -> UpsertResult:
        """Add or replace routes in one transaction.

        ``keep_flags``: a route that exists keeps its mode, percent, service and priority
        (re-import). ``prune``: routes absent from ``routes`` are removed if they are on
        the monolith; others are kept and listed in ``kept_orphans``.
        """
        actor, reason = require_text("actor", actor), require_text("reason", reason)
        incoming = list(routes)
        RouteTable.build(incoming)  # refuses duplicate ids before anything is written
        added: list[str] = []
        updated: list[str] = []
        unchanged: list[str] = []
        removed: list[str] = []
        orphans: list[str] = []
        with self._write() as db:
            rows = db.execute(f"SELECT {ROUTE_COLUMNS} FROM routes")
            existing = {r.id: r for r in map(route_from_row, rows)}
            version = _version(db) + 1
            for new in incoming:
                old = existing.get(new.id)
                if old is not None and keep_flags:
                    new = replace(
                        new,
                        mode=old.mode,
                        percent=old.percent,
                        service=old.service or new.service,
                        priority=old.priority,
                        shadow_writes=old.shadow_writes,
                    )
                _require_service(db, new)
                if old == new:
                    unchanged.append(new.id)
                    continue
                _put_route(db, new)
                action = "add" if old is None else "update"
                (added if old is None else updated).append(new.id)
                _log(db, version, actor, action, reason, route=new.id, before=old, after=new)
            if prune:
                wanted = {r.id for r in incoming}
                for gone in (r for r in existing.values() if r.id not in wanted):
                    if gone.mode is not Mode.MONOLITH:
                        orphans.append(gone.id)
                        continue
                    db.execute("DELETE FROM routes WHERE id = ?", (gone.id,))
                    removed.append(gone.id)
                    _log(db, version, actor, "remove", reason, route=gone.id, before=gone)
            if added or updated or removed:
                _bump(db)
        return UpsertResult(
            tuple(added), tuple(updated), tuple(unchanged), tuple(removed), tuple(orphans)
        )

    def register_service(
        self, name: str, urls: Sequence[str], *, actor: str, reason: str = ""
    ) -> ServiceSpec:
        """Create a service or replace its instance list."""
        spec = ServiceSpec.create(name, urls)
        actor = require_text("actor", actor)
        reason = reason.strip() if isinstance(reason, str) and reason.strip() else "register"
        with self._write() as db:
            row = db.execute("SELECT instances FROM services WHERE name = ?", (name,)).fetchone()
            version = _bump(db)
            db.execute(
                "INSERT INTO services (name, instances) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET instances = excluded.instances",
                (spec.name, json.dumps(list(spec.instances))),
            )
            _log(
                db,
                version,
                actor,
                "service",
                reason,
                service=spec.name,
                before=None if row is None else {"instances": _json(row["instances"])},
                after={"instances": list(spec.instances)},
            )
        return spec


# -- rows <-> records ------------------------------------------------------------------------


def route_from_row(row: Any) -> Route:
    try:
        return Route(
            id=row["id"],
            methods=frozenset(m for m in row["methods"].split(",") if m),
            template=row["template"],
            service=row["service"],
            mode=Mode(row["mode"]),
            percent=row["percent"],
            priority=row["priority"],
            shadow_writes=bool(row["shadow_writes"]),
        )
    except (InvalidFlag, ValueError) as exc:
        raise StoreError(f"route {row['id']!r} in the store is invalid: {exc}") from exc


def route_to_row(route: Route) -> tuple[object, ...]:
    """The values of ``ROUTE_COLUMNS``, in that order."""
    return (
        route.id,
        ",".join(sorted(route.methods)),
        route.template,
        route.service,
        route.mode.value,
        route.percent,
        route.priority,
        route.shadow_writes,
    )


def audit_from_row(row: Any) -> AuditRecord:
    at = row["at"]
    return AuditRecord(
        seq=row["seq"],
        at=_iso(at) if isinstance(at, datetime) else at,
        actor=row["actor"],
        action=row["action"],
        route=row["route"],
        service=row["service"],
        before=_json(row["before"]),
        after=_json(row["after"]),
        reason=row["reason"],
        version=row["version"],
    )


def _json(value: Any) -> Any:
    """A JSON column as objects: text (SQLite) is parsed, jsonb (PostgreSQL) already is."""
    return json.loads(value) if isinstance(value, str) else value


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


# -- statements ------------------------------------------------------------------------------


def _version(db: Db) -> int:
    return int(db.execute("SELECT version FROM state WHERE id = 1").fetchone()["version"])


def _bump(db: Db) -> int:
    row = db.execute("UPDATE state SET version = version + 1 WHERE id = 1 RETURNING version")
    return int(row.fetchone()["version"])


def _get_route(db: Db, route_id: str) -> Route:
    found = db.execute(f"SELECT {ROUTE_COLUMNS} FROM routes WHERE id = ?", (route_id,)).fetchone()
    if found is None:
        raise UnknownRoute(route_id)
    return route_from_row(found)


def _put_route(db: Db, route: Route) -> None:
    db.execute(
        f"INSERT INTO routes ({ROUTE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET methods = excluded.methods, "
        "template = excluded.template, service = excluded.service, mode = excluded.mode, "
        "percent = excluded.percent, priority = excluded.priority, "
        "shadow_writes = excluded.shadow_writes",
        route_to_row(route),
    )


def _services(db: Db) -> list[ServiceSpec]:
    rows = db.execute("SELECT name, instances FROM services ORDER BY name")
    return [ServiceSpec(row["name"], tuple(_json(row["instances"]))) for row in rows]


def _changed(
    before: Route,
    mode: Mode | str | None,
    percent: int | None,
    service: str | None,
    shadow_writes: bool | None,
) -> Route:
    """The route with these changes (``None``: keep), validated."""
    after = before.with_flag(
        mode=before.mode if mode is None else mode,
        percent=before.percent if percent is None else percent,
        service=before.service if service is None else service,
    )
    return after if shadow_writes is None else replace(after, shadow_writes=shadow_writes)


def _require_service(db: Db, route: Route) -> None:
    """A route that sends traffic to a service needs that service registered."""
    if route.mode is Mode.MONOLITH or route.service is None:
        return
    if db.execute("SELECT 1 FROM services WHERE name = ?", (route.service,)).fetchone() is None:
        raise UnknownService(route.service)


def _log(
    db: Db,
    version: int,
    actor: str,
    action: str,
    reason: str,
    *,
    route: str | None = None,
    service: str | None = None,
    before: Route | dict[str, object] | None = None,
    after: Route | dict[str, object] | None = None,
) -> None:
    """Append one audit record; a route is kept as its flag (everything but its id)."""

    def as_json(state: Route | dict[str, object] | None) -> str | None:
        if state is None:
            return None
        return json.dumps(flag_of(state) if isinstance(state, Route) else state)

    db.execute(
        "INSERT INTO audit (at, actor, action, route, service, before, after, reason, version)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            _iso(datetime.now(UTC)),
            actor,
            action,
            route,
            service,
            as_json(before),
            as_json(after),
            reason,
            version,
        ),
    )
