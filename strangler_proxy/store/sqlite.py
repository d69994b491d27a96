"""The flag store on SQLite (WAL): durable, audited, shared by every proxy process on a host.

Every change is one ``BEGIN IMMEDIATE`` transaction that validates, writes, appends its
audit rows and bumps ``state.version``; readers see either all of it or none of it. The
logic is ``SqlFlagStore``'s (shared with the PostgreSQL store); this module only connects.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from strangler_proxy.store.base import StoreError
from strangler_proxy.store.schema import migrate
from strangler_proxy.store.sql import SqlFlagStore


class SqliteFlagStore(SqlFlagStore):
    """``FlagStore`` on one SQLite file. Safe across threads, processes and ``fork``."""

    def __init__(self, path: Path | str, *, busy_timeout: float = 5.0) -> None:
        self.path = Path(path)
        self.busy_timeout = busy_timeout
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
