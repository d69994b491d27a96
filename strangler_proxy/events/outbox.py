"""A producer's ``outbox`` table (DESIGN §1), read and marked over SQL as CDC would: the
relay never imports the producer's code. SQLite (the standard library) or PostgreSQL
(psycopg, imported only for a PostgreSQL URL).

    outbox = open_outbox(parse_source("monolith=sqlite:///var/monolith.sqlite3"))
    rows = outbox.unpublished(limit=500)          # ORDER BY seq
    ...publish them...
    outbox.mark_published([row.seq for row in rows])
    outbox.prune(timedelta(days=1))               # published rows older than that

Rows are marked by their ``seq``, never by a range: on PostgreSQL a transaction that took a
lower ``seq`` may commit after a higher one was read, and its row must stay unpublished.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from strangler_proxy.events.sources import COLUMNS, Row, Source, row_to_event
from strangler_proxy.store.base import redact

#: how the relay's PostgreSQL sessions are named (pg_stat_activity.application_name)
APPLICATION = "strangler-relay"
_SELECT = ", ".join(f'"{c}"' for c in COLUMNS)


class OutboxError(RuntimeError):
    """The outbox cannot be read or written; the message names the source and its URL."""


class Outbox(ABC):
    """One connection to one producer's database (autocommit: each call its own statement)."""

    placeholder = "?"

    def __init__(self, source: Source) -> None:
        self.source = source
        self.where = f"{source.name} ({redact(source.url)})"

    # -- what the backends provide
    @abstractmethod
    def _execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    @abstractmethod
    def _count(self, sql: str, params: Sequence[Any] = ()) -> int: ...

    def _time(self, moment: datetime) -> Any:
        return moment

    @abstractmethod
    def close(self) -> None: ...

    def signature(self) -> object:
        """Something that changes whenever a transaction commits to the database (the
        relay skips polling while it stays the same); None: no such thing, always poll."""
        return None

    @abstractmethod
    def claim(self) -> None:
        """Be the one relay of this outbox while open (two would interleave its events):
        ``OutboxError`` when another relay holds it."""
        ...

    def _taken(self) -> OutboxError:
        return OutboxError(
            f"another relay already relays source {self.where}: one relay per outbox keeps "
            "each entity's events in order (stop the other one first)"
        )

    # -- the relay's operations
    def unpublished(self, limit: int, after: int = 0) -> list[Row]:
        """Up to ``limit`` unpublished rows with ``seq > after``, in ``seq`` order."""
        p = self.placeholder
        rows = self._execute(
            f"SELECT {_SELECT} FROM outbox WHERE published_at IS NULL AND seq > {p} "
            f"ORDER BY seq LIMIT {p}",
            (after, limit),
        )
        return [row_to_event(values) for values in rows]

    def mark_published(self, seqs: Sequence[int], at: datetime | None = None) -> int:
        """Set ``published_at`` on the rows ``seqs``; how many were changed."""
        if not seqs:
            return 0
        moment = self._time(at or datetime.now(UTC))
        changed = 0
        for start in range(0, len(seqs), 500):
            chunk = list(seqs[start : start + 500])
            marks = ", ".join([self.placeholder] * len(chunk))
            changed += self._count(
                f"UPDATE outbox SET published_at = {self.placeholder} "
                f"WHERE seq IN ({marks}) AND published_at IS NULL",
                [moment, *chunk],
            )
        return changed

    def prune(self, retention: timedelta, now: datetime | None = None) -> int:
        """Delete the rows published longer than ``retention`` ago; how many."""
        cutoff = self._time((now or datetime.now(UTC)) - retention)
        return self._count(
            f"DELETE FROM outbox WHERE published_at IS NOT NULL "
            f"AND published_at < {self.placeholder}",
            [cutoff],
        )

    def backlog(self) -> tuple[int, int]:
        """How many rows wait to be published, and the lowest such ``seq`` (0: none)."""
        (count, lowest), *_ = self._execute(
            "SELECT COUNT(*), COALESCE(MIN(seq), 0) FROM outbox WHERE published_at IS NULL"
        )
        return int(count), int(lowest)

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class SqliteOutbox(Outbox):
    def __init__(self, source: Source) -> None:
        super().__init__(source)
        path = self._path = Path(source.url.removeprefix("sqlite:///"))
        self._lock: int | None = None
        if not path.is_file():
            raise OutboxError(f"no database file for source {self.where}: {path} is missing")
        try:
            # mode=rw: never create an empty database for a mistyped path
            self._conn = sqlite3.connect(
                f"file:{quote(str(path.resolve()))}?mode=rw",
                uri=True,
                timeout=10.0,
                isolation_level=None,
                check_same_thread=False,  # one task uses it at a time, from worker threads
            )
            found = self._conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'outbox'"
            ).fetchone()
            (journal,) = self._conn.execute("PRAGMA journal_mode").fetchone()
            if str(journal).lower() == "wal":
                # this connection's marks skip the fsync of each commit (a crash may lose the
                # last ones: those rows are published again, and deduped), as the producers'
                # own connections do; in a rollback journal that could corrupt: left as is
                self._conn.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.Error as exc:
            raise OutboxError(f"cannot open the database of source {self.where}: {exc}") from exc
        if found is None:
            self._conn.close()
            raise OutboxError(
                f"no outbox table in the database of source {self.where}: "
                "run the producer's migrations first"
            )

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise OutboxError(f"outbox of {self.where}: {exc}") from exc

    def _count(self, sql: str, params: Sequence[Any] = ()) -> int:
        """A write, in a transaction that takes the write lock at once (as the producers'
        IMMEDIATE transactions do): waiting on the busy timeout, never failing midway."""
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                count = self._conn.execute(sql, params).rowcount
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
            return count
        except sqlite3.Error as exc:
            raise OutboxError(f"outbox of {self.where}: {exc}") from exc

    def _time(self, moment: datetime) -> Any:
        # as Django keeps a DateTimeField on SQLite: UTC, no offset, microseconds
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    def signature(self) -> object:
        """The size and modification time of the database file and its WAL (a commit
        writes to one of them): two stat calls, not a query."""
        found = []
        for path in (self._path, self._path.with_name(self._path.name + "-wal")):
            try:
                info = path.stat()
            except FileNotFoundError:
                found.append((0, 0))
                continue
            found.append((info.st_size, info.st_mtime_ns))
        return tuple(found)

    def claim(self) -> None:
        """An exclusive lock on ``<database>.relay-lock`` beside it (flock: the kernel lets
        it go when the process ends, even by SIGKILL)."""
        lock = self._path.with_name(self._path.name + ".relay-lock")
        try:
            self._lock = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise self._taken() from exc
        except OSError as exc:
            raise OutboxError(f"cannot lock {lock} for source {self.where}: {exc}") from exc

    def close(self) -> None:
        self._conn.close()
        if self._lock is not None:
            os.close(self._lock)  # and so its flock
            self._lock = None


class PostgresOutbox(Outbox):
    placeholder = "%s"

    def __init__(self, source: Source) -> None:
        super().__init__(source)
        import psycopg

        self._errors: type[Exception] = psycopg.Error
        self._claimed = False
        try:
            self._conn = psycopg.connect(
                source.url, autocommit=True, connect_timeout=5, application_name=APPLICATION
            )
        except psycopg.Error as exc:
            raise OutboxError(
                f"cannot connect to the database of source {self.where}: {exc}"
            ) from exc
        (found,) = self._one("SELECT to_regclass('outbox') IS NOT NULL")
        if not found:
            self._conn.close()
            raise OutboxError(
                f"no outbox table in the database of source {self.where}: "
                "run the producer's migrations first"
            )

    def _one(self, sql: str) -> tuple[Any, ...]:
        rows = self._execute(sql)
        return rows[0]

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._conn.execute(sql, params).fetchall()
        except self._errors as exc:
            raise OutboxError(f"outbox of {self.where}: {exc}") from exc

    def _count(self, sql: str, params: Sequence[Any] = ()) -> int:
        try:
            return self._conn.execute(sql, params).rowcount
        except self._errors as exc:
            raise OutboxError(f"outbox of {self.where}: {exc}") from exc

    def claim(self) -> None:
        """A session advisory lock named after the schema's outbox (PostgreSQL lets it go
        with the connection)."""
        (held,) = self._one(
            "SELECT pg_try_advisory_lock(hashtext(current_schema() || '.outbox relay'))"
        )
        if not held:
            raise self._taken()
        self._claimed = True

    def close(self) -> None:
        if self._claimed and not self._conn.closed:
            # let go now: the server ends a closed session's backend a moment later, and a
            # relay opening the outbox again at once would find it still held
            with contextlib.suppress(self._errors):
                self._conn.execute("SELECT pg_advisory_unlock_all()")
        self._conn.close()


def open_outbox(source: Source) -> Outbox:
    """The outbox of ``source``; ``OutboxError`` naming it when its database or table is
    missing."""
    if source.kind == "sqlite":
        return SqliteOutbox(source)
    return PostgresOutbox(source)
