"""The flag store on PostgreSQL: one store for proxies on several hosts.

For example (tests/strangler_proxy/store runs the store contract on the local server)::

    store = open_store("postgresql://flags@db.internal/strangler")

Same behaviour as the SQLite store (the logic is ``SqlFlagStore``'s): every change is one
transaction that first locks the single ``state`` row (``SELECT ... FOR UPDATE``), so
writers from any number of processes and hosts queue up and none reads a stale ``before``;
the transaction validates, writes, appends its audit rows and bumps ``state.version``, and
either all of it commits or none of it. ``version()`` is one primary-key read on an
autocommit connection (prepared after a few calls), cheap enough to poll twice a second.
``snapshot()`` reads in one ``REPEATABLE READ`` transaction.

The tables (``state``, ``routes``, ``services``, ``audit``) live in the first schema of the
connection's ``search_path``: give the store its own database, or its own schema with
``?options=-csearch_path%3Dflags`` in the URL (the schema must exist). Only an open with
``create=True`` (``strangler routes import``) creates them; for every other reader a
database or schema without them is ``NoStore``, as a missing file is for SQLite.
A lost connection (server restart, failover) is a ``StoreError`` for the call that meets
it; the next call connects again, so a poller keeps its last table for one tick.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import DictRow, dict_row

from strangler_proxy.store.base import NoStore, StoreError, redact
from strangler_proxy.store.sql import SqlFlagStore

SCHEMA_VERSION = 2
SCHEMA = """
CREATE TABLE state (
    id integer PRIMARY KEY CHECK (id = 1),
    version bigint NOT NULL,
    schema_version integer NOT NULL
);
INSERT INTO state (id, version, schema_version) VALUES (1, 0, 2);
CREATE TABLE routes (
    id text PRIMARY KEY,
    methods text NOT NULL,          -- comma-separated and sorted, empty = any method
    template text NOT NULL,
    service text,
    mode text NOT NULL,
    percent integer NOT NULL,
    priority integer NOT NULL,
    shadow_writes boolean NOT NULL DEFAULT false  -- shadow copies of writes are sent too
);
CREATE TABLE services (name text PRIMARY KEY, instances jsonb NOT NULL);
CREATE TABLE audit (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at timestamptz NOT NULL,
    actor text NOT NULL,
    action text NOT NULL,
    route text,
    service text,
    before jsonb,
    after jsonb,
    reason text NOT NULL,
    version bigint NOT NULL
);
CREATE INDEX audit_by_route ON audit (route, seq);
"""
#: STEPS[n] takes a store from version n + 1 to n + 2
STEPS = (
    "ALTER TABLE routes ADD COLUMN IF NOT EXISTS shadow_writes boolean NOT NULL DEFAULT false",
)
_MIGRATION_LOCK = 0x5354_5247  # pg_advisory_xact_lock key: one process creates the tables
_CONNECTION_DEFAULTS: dict[str, str | int] = {
    "fallback_application_name": "strangler flag store",
    # a server that goes silent (a partition, a dead host) is a StoreError within seconds,
    # not a read that hangs until the kernel gives up
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
    "tcp_user_timeout": 10_000,  # ms
}

Connection = psycopg.Connection[DictRow]


class PostgresFlagStore(SqlFlagStore):
    """``FlagStore`` on a PostgreSQL database. Safe across threads, processes and ``fork``."""

    def __init__(
        self,
        url: str,
        *,
        create: bool = False,
        connect_timeout: float = 5.0,
        lock_timeout: float = 5.0,
    ) -> None:
        self.url = url
        self.where = redact(url)
        self._create = create
        self.connect_timeout = connect_timeout
        self.lock_timeout = lock_timeout
        self._lock = threading.RLock()
        self._connection: Connection | None = None
        self._pid = 0
        with self._lock:
            self._connect()

    def close(self) -> None:
        with self._lock:
            if self._connection is not None and self._pid == os.getpid():
                self._connection.close()
            self._connection = None

    def __repr__(self) -> str:
        return f"<PostgresFlagStore {self.where}>"

    def _connect(self) -> Connection:
        conn = self._connection
        if conn is not None and not conn.closed and self._pid == os.getpid():
            return conn
        # A connection inherited through fork() is dropped, never closed: psycopg leaves
        # it open for the parent. A broken one (psycopg closes it) is simply replaced.
        self._connection = conn = None
        try:
            params = {
                **_CONNECTION_DEFAULTS,
                "connect_timeout": max(1, round(self.connect_timeout)),
                **conninfo_to_dict(self.url),  # the URL's own settings win
            }
            conninfo = make_conninfo("", **params)
            conn = psycopg.connect(conninfo, autocommit=True, row_factory=dict_row)
            # a writer waiting longer than this for the version row gets a StoreError
            conn.execute(
                "SELECT set_config('lock_timeout', %s, false)",
                (f"{int(self.lock_timeout * 1000)}ms",),
            )
            _migrate(conn, self.where, create=self._create)
        except (psycopg.Error, StoreError) as exc:
            if conn is not None:
                conn.close()
            if isinstance(exc, StoreError):
                raise
            raise StoreError(f"cannot open flag store {self.where}: {exc}") from exc
        self._connection, self._pid = conn, os.getpid()
        self._create = False  # from now on the tables must be there
        return conn

    @contextmanager
    def _read(self, *, consistent: bool = False) -> Iterator[_Qmark]:
        with self._lock:
            conn = self._connect()
            try:
                if not consistent:
                    yield _Qmark(conn)
                    return
                with conn.transaction():
                    conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    yield _Qmark(conn)
            except psycopg.Error as exc:
                raise StoreError(f"reading {self.where} failed: {exc}") from exc

    @contextmanager
    def _write(self) -> Iterator[_Qmark]:
        with self._lock:
            conn = self._connect()
            try:
                with conn.transaction():
                    # the writer lock, held until COMMIT; later statements (READ COMMITTED)
                    # see everything the previous writer committed
                    conn.execute("SELECT version FROM state WHERE id = 1 FOR UPDATE")
                    yield _Qmark(conn)
            except psycopg.Error as exc:
                raise StoreError(f"writing {self.where} failed: {exc}") from exc


class _Qmark:
    """A connection that takes the shared statements' ``?`` placeholders."""

    __slots__ = ("_conn",)

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> psycopg.Cursor[DictRow]:
        return self._conn.execute(_pyformat(sql), parameters)


@functools.lru_cache(maxsize=64)
def _pyformat(sql: str) -> str:
    return sql.replace("?", "%s")  # the shared statements hold no other ? or %


def _migrate(conn: Connection, where: str, *, create: bool) -> None:
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        found = conn.execute(
            "SELECT to_regclass('state') IS NOT NULL AS found, current_schema() AS schema"
        ).fetchone()
        if found is None or not found["found"]:
            if create:
                conn.execute(SCHEMA)
                return
            schema = found and found["schema"]
            raise NoStore(
                where,
                f"no flag store tables in schema {schema!r}"
                if schema
                else "no schema of its search_path exists",
            )
        found = conn.execute("SELECT max(schema_version) AS v FROM state").fetchone()
        version = None if found is None else found["v"]
        if version is None:
            raise StoreError(f"{where} has a 'state' table that is not the flag store's")
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{where} has schema version {version}, newer than this toolkit's {SCHEMA_VERSION}"
            )
        for step in STEPS[version - 1 :]:
            conn.execute(step)
        if version < SCHEMA_VERSION:
            conn.execute("UPDATE state SET schema_version = %s", (SCHEMA_VERSION,))
