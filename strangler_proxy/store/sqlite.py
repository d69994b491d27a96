"""The flag store on SQLite (WAL): durable, audited, shared by every proxy process on a host.

Every change is one ``BEGIN IMMEDIATE`` transaction that validates, writes, appends its
audit rows and bumps ``state.version``; readers see either all of it or none of it.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from strangler_proxy.registry import ServiceSpec
from strangler_proxy.routing import InvalidFlag, Mode, Route, RouteTable
from strangler_proxy.store.base import (
    AuditRecord,
    Snapshot,
    StoreError,
    UnknownRoute,
    UnknownService,
    UpsertResult,
    flag_of,
    require_text,
)
from strangler_proxy.store.schema import migrate

_ROUTE_COLUMNS = "id, methods, template, service, mode, percent, priority"


class SqliteFlagStore:
    """``FlagStore`` on one SQLite file. Safe across threads, processes and ``fork``."""

    def __init__(self, path: Path | str, *, busy_timeout: float = 5.0) -> None:
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self._lock = threading.RLock()
        self._connection: sqlite3.Connection | None = None
        self._pid = 0
        with self._lock:
            self._connect()

    # -- reading -------------------------------------------------------------------------

    def version(self) -> int:
        with self._read() as conn:
            return _version(conn)

    def load(self) -> RouteTable:
        return self.snapshot().table

    def snapshot(self) -> Snapshot:
        with self._read(transaction=True) as conn:
            version = _version(conn)
            routes = [_route(row) for row in conn.execute(f"SELECT {_ROUTE_COLUMNS} FROM routes")]
            services = tuple(_services(conn))
        return Snapshot(RouteTable.build(routes, version), services)

    def get_route(self, route_id: str) -> Route:
        with self._read() as conn:
            return _get_route(conn, route_id)

    def history(self, route_id: str | None = None, limit: int = 100) -> list[AuditRecord]:
        with self._read(transaction=True) as conn:
            if route_id is None:
                rows = conn.execute("SELECT * FROM audit ORDER BY seq DESC LIMIT ?", (limit,))
            else:
                rows = conn.execute(
                    "SELECT * FROM audit WHERE route = ? ORDER BY seq DESC LIMIT ?",
                    (route_id, limit),
                )
            records = [_audit(row) for row in rows]
            if route_id is not None and not records:
                _get_route(conn, route_id)  # raises UnknownRoute for a route never seen
        return records

    def services(self) -> list[ServiceSpec]:
        with self._read() as conn:
            return _services(conn)

    # -- writing -------------------------------------------------------------------------

    def set_route(
        self,
        route_id: str,
        *,
        mode: Mode | str | None = None,
        percent: int | None = None,
        service: str | None = None,
        actor: str,
        reason: str,
    ) -> Route:
        actor, reason = require_text("actor", actor), require_text("reason", reason)
        with self._write() as conn:
            before = _get_route(conn, route_id)
            after = before.with_flag(
                mode=before.mode if mode is None else mode,
                percent=before.percent if percent is None else percent,
                service=before.service if service is None else service,
            )
            _require_service(conn, after)
            version = _bump(conn)
            _put_route(conn, after)
            _log(conn, version, actor, "set", reason, route=after.id, before=before, after=after)
        return after

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
        with self._write() as conn:
            existing = {
                r.id: r for r in map(_route, conn.execute(f"SELECT {_ROUTE_COLUMNS} FROM routes"))
            }
            version = _version(conn) + 1
            for new in incoming:
                old = existing.get(new.id)
                if old is not None and keep_flags:
                    new = replace(
                        new,
                        mode=old.mode,
                        percent=old.percent,
                        service=old.service or new.service,
                        priority=old.priority,
                    )
                _require_service(conn, new)
                if old == new:
                    unchanged.append(new.id)
                    continue
                _put_route(conn, new)
                action = "add" if old is None else "update"
                (added if old is None else updated).append(new.id)
                _log(conn, version, actor, action, reason, route=new.id, before=old, after=new)
            if prune:
                wanted = {r.id for r in incoming}
                for gone in (r for r in existing.values() if r.id not in wanted):
                    if gone.mode is not Mode.MONOLITH:
                        orphans.append(gone.id)
                        continue
                    conn.execute("DELETE FROM routes WHERE id = ?", (gone.id,))
                    removed.append(gone.id)
                    _log(conn, version, actor, "remove", reason, route=gone.id, before=gone)
            if added or updated or removed:
                _bump(conn)
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
        with self._write() as conn:
            row = conn.execute("SELECT instances FROM services WHERE name = ?", (name,)).fetchone()
            version = _bump(conn)
            conn.execute(
                "INSERT INTO services (name, instances) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET instances = excluded.instances",
                (spec.name, json.dumps(list(spec.instances))),
            )
            conn.execute(
                "INSERT INTO audit (at, actor, action, route, service, before, after, reason,"
                " version) VALUES (?, ?, 'service', NULL, ?, ?, ?, ?, ?)",
                (
                    _now(),
                    actor,
                    spec.name,
                    None if row is None else json.dumps({"instances": json.loads(row[0])}),
                    json.dumps({"instances": list(spec.instances)}),
                    reason,
                    version,
                ),
            )
        return spec

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def __enter__(self) -> SqliteFlagStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<SqliteFlagStore {self.path}>"

    # -- connection and transactions -----------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        if self._connection is not None and self._pid == os.getpid():
            return self._connection
        self._connection = None  # a connection inherited through fork() is never reused
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False
            )
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")  # a flip survives a power cut too
            migrate(conn, self.path)
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"cannot open flag store {self.path}: {exc}") from exc
        self._connection, self._pid = conn, os.getpid()
        return conn

    @contextmanager
    def _read(self, *, transaction: bool = False) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self._connect()
            try:
                if transaction:
                    conn.execute("BEGIN")
                yield conn
                if transaction:
                    conn.execute("COMMIT")
            except sqlite3.Error as exc:
                raise StoreError(f"reading {self.path} failed: {exc}") from exc
            finally:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self._connect()
            try:
                conn.execute("BEGIN IMMEDIATE")
                yield conn
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                raise StoreError(f"writing {self.path} failed: {exc}") from exc
            finally:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")


def _version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT version FROM state WHERE id = 1").fetchone()[0])


def _bump(conn: sqlite3.Connection) -> int:
    row = conn.execute("UPDATE state SET version = version + 1 WHERE id = 1 RETURNING version")
    return int(row.fetchone()[0])


def _route(row: sqlite3.Row) -> Route:
    try:
        return Route(
            id=row["id"],
            methods=frozenset(m for m in row["methods"].split(",") if m),
            template=row["template"],
            service=row["service"],
            mode=Mode(row["mode"]),
            percent=row["percent"],
            priority=row["priority"],
        )
    except (InvalidFlag, ValueError) as exc:
        raise StoreError(f"route {row['id']!r} in the store is invalid: {exc}") from exc


def _get_route(conn: sqlite3.Connection, route_id: str) -> Route:
    row = conn.execute(f"SELECT {_ROUTE_COLUMNS} FROM routes WHERE id = ?", (route_id,))
    found = row.fetchone()
    if found is None:
        raise UnknownRoute(route_id)
    return _route(found)


def _put_route(conn: sqlite3.Connection, route: Route) -> None:
    conn.execute(
        f"INSERT OR REPLACE INTO routes ({_ROUTE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            route.id,
            ",".join(sorted(route.methods)),
            route.template,
            route.service,
            route.mode.value,
            route.percent,
            route.priority,
        ),
    )


def _services(conn: sqlite3.Connection) -> list[ServiceSpec]:
    rows = conn.execute("SELECT name, instances FROM services ORDER BY name")
    return [ServiceSpec(row["name"], tuple(json.loads(row["instances"]))) for row in rows]


def _require_service(conn: sqlite3.Connection, route: Route) -> None:
    """A route that sends traffic to a service needs that service registered."""
    if route.mode is Mode.MONOLITH or route.service is None:
        return
    if conn.execute("SELECT 1 FROM services WHERE name = ?", (route.service,)).fetchone() is None:
        raise UnknownService(route.service)


def _log(
    conn: sqlite3.Connection,
    version: int,
    actor: str,
    action: str,
    reason: str,
    *,
    route: str,
    before: Route | None = None,
    after: Route | None = None,
) -> None:
    conn.execute(
        "INSERT INTO audit (at, actor, action, route, service, before, after, reason, version)"
        " VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?)",
        (
            _now(),
            actor,
            action,
            route,
            None if before is None else json.dumps(flag_of(before)),
            None if after is None else json.dumps(flag_of(after)),
            reason,
            version,
        ),
    )


def _audit(row: sqlite3.Row) -> AuditRecord:
    return AuditRecord(
        seq=row["seq"],
        at=row["at"],
        actor=row["actor"],
        action=row["action"],
        route=row["route"],
        service=row["service"],
        before=None if row["before"] is None else json.loads(row["before"]),
        after=None if row["after"] is None else json.loads(row["after"]),
        reason=row["reason"],
        version=row["version"],
    )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")
