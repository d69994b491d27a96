"""The flag store on SQLite (WAL): durable, audited, shared by every proxy process on a host.

Every change is one ``BEGIN IMMEDIATE`` transaction that validates, writes, appends its
audit rows and bumps ``state.version``; readers see either all of it or none of it. The
logic is ``SqlFlagStore``'s (shared with the PostgreSQL store); this module only connects.

``create=True`` makes the file (and its folder) when there is none; otherwise a missing
file, or one without the store's schema, is ``NoStore`` and nothing is written. Either way
only the first connection may create: a file that disappears while the store is open (a
``fork`` reconnects) is an error, not a new empty store.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from strangler_proxy.store.base import NoStore, StoreError
from strangler_proxy.store.schema import has_schema, migrate
from strangler_proxy.store.sql import SqlFlagStore


class SqliteFlagStore(SqlFlagStore):
    """``FlagStore`` on one SQLite file. Safe across threads, processes and ``fork``."""

    def __init__(
        self, path: Path | str, *, create: bool = False, busy_timeout: float = 5.0
    ) -> None:
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self._create = create
        self._lock = threading.RLock()
        self._connection: sqlite3.Connection | None = None
        self._pid = 0
        with self._lock:
            self._connect()

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def __repr__(self) -> str:
        return f"<SqliteFlagStore {self.path}>"

    def _connect(self) -> sqlite3.Connection:
        if self._connection is not None and self._pid == os.getpid():
            return self._connection
        self._connection = None  # a connection inherited through fork() is never reused
        conn: sqlite3.Connection | None = None
        try:
            if self._create:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                target, uri = str(self.path), False
            elif not self.path.is_file():
                raise NoStore(str(self.path), f"no such file{self._full_path()}")
            else:  # read-write, never create: a file removed meanwhile is an error
                target, uri = f"{self.path.resolve().as_uri()}?mode=rw", True
            conn = sqlite3.connect(
                target,
                timeout=self.busy_timeout,
                isolation_level=None,
                check_same_thread=False,
                uri=uri,
            )
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            if not self._create and not has_schema(conn):
                raise NoStore(str(self.path), f"a database without its tables{self._full_path()}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")  # a flip survives a power cut too
            migrate(conn, self.path)
        except (sqlite3.Error, OSError, StoreError) as exc:
            if conn is not None:
                conn.close()
            if isinstance(exc, StoreError):
                raise
            raise StoreError(f"cannot open flag store {self.path}: {exc}") from exc
        self._connection, self._pid = conn, os.getpid()
        self._create = False  # from now on the file must be there
        return conn

    def _full_path(self) -> str:
        """``: /absolute/path`` for a relative path (where it was looked for), else nothing."""
        return "" if self.path.is_absolute() else f": {self.path.absolute()}"

    @contextmanager
    def _read(self, *, consistent: bool = False) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self._connect()
            try:
                if consistent:
                    conn.execute("BEGIN")
                yield conn
                if consistent:
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
                conn.execute("BEGIN IMMEDIATE")  # the writer lock, held until COMMIT
                yield conn
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                raise StoreError(f"writing {self.path} failed: {exc}") from exc
            finally:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
