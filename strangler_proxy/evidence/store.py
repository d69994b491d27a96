"""The evidence store: comparisons kept in SQLite (default) or PostgreSQL, bounded by retention.

Proxies on several hosts may write to one PostgreSQL database. Every write also prunes its
routes: at most ``Retention.per_route`` samples each (the newest kept) and none older than
``Retention.max_age``, so the store cannot grow without bound.

>>> import tempfile, time
>>> folder = tempfile.TemporaryDirectory()
>>> store = open_evidence(f"sqlite:///{folder.name}/evidence.sqlite3", create=True,
...                       retention=Retention(per_route=2))
>>> for n in range(3):
...     store.record([Sample("r", time.time(), "GET", f"/a/{n}/", "", (), None, "match")])
>>> [s.path for s in store.samples("r")]
['/a/2/', '/a/1/']
>>> store.close(); folder.cleanup()
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from strangler_proxy.compare.diff import Difference, Kind
from strangler_proxy.evidence.sample import Sample

#: differences kept per sample (the summary needs paths, people need a few examples)
KEPT_DIFFERENCES = 50
COLUMNS = (
    "route, at, method, path, query, headers, body, verdict, monolith_status, service_status,"
    " differences, noise, error"
)
SCHEMA = """
CREATE TABLE IF NOT EXISTS strangler_evidence (
    id {serial},
    route TEXT NOT NULL,
    at {real} NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    query TEXT NOT NULL,
    headers TEXT NOT NULL,
    body TEXT,
    verdict TEXT NOT NULL,
    monolith_status INTEGER,
    service_status INTEGER,
    differences TEXT NOT NULL,
    noise TEXT NOT NULL,
    error TEXT
);
CREATE INDEX IF NOT EXISTS strangler_evidence_route ON strangler_evidence (route, id);
CREATE INDEX IF NOT EXISTS strangler_evidence_at ON strangler_evidence (at)
"""


class EvidenceError(RuntimeError):
    """The evidence store cannot be used; the message says which and why."""


class NoEvidence(EvidenceError):
    """No evidence store at that URL (nothing was recorded there yet, or a typo)."""


@dataclass(frozen=True, slots=True)
class Retention:
    per_route: int = 1000
    max_age: float = 7 * 24 * 3600.0  # seconds


class EvidenceStore:
    """One connection, shared by threads (a lock orders them); ``begin`` opens a transaction."""

    def __init__(
        self,
        connection: Any,
        placeholder: str,
        retention: Retention,
        begin: Callable[[], AbstractContextManager[Any]],
    ) -> None:
        self._db = connection
        self._mark = placeholder
        self._begin = begin
        self._lock = threading.Lock()
        self.retention = retention

    def _sql(self, text: str) -> str:
        return text.replace("?", self._mark)

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        try:
            with self._lock, self._begin():  # commits, or rolls back on an exception
                yield self._db.cursor()
        except (sqlite3.Error, _pg_errors()) as exc:
            raise EvidenceError(f"evidence store: {exc}") from exc

    def record(self, samples: Sequence[Sample]) -> None:
        """Keep ``samples`` and prune their routes, in one transaction."""
        if not samples:
            return
        rows = [_row(s) for s in samples]
        marks = ", ".join("?" * len(rows[0]))
        with self._transaction() as cur:
            cur.executemany(
                self._sql(f"INSERT INTO strangler_evidence ({COLUMNS}) VALUES ({marks})"), rows
            )
            for route in {s.route for s in samples}:
                cur.execute(
                    self._sql(
                        "DELETE FROM strangler_evidence WHERE route = ? AND id <= (SELECT id FROM"
                        " strangler_evidence WHERE route = ? ORDER BY id DESC LIMIT 1 OFFSET ?)"
                    ),
                    (route, route, self.retention.per_route),
                )
            cur.execute(
                self._sql("DELETE FROM strangler_evidence WHERE at < ?"),
                (time.time() - self.retention.max_age,),
            )

    def routes(self) -> list[str]:
        with self._transaction() as cur:
            cur.execute("SELECT DISTINCT route FROM strangler_evidence ORDER BY route")
            return [row[0] for row in cur.fetchall()]

    def samples(self, route: str | None = None, limit: int | None = None) -> list[Sample]:
        """Newest first; all routes when ``route`` is None."""
        where = "WHERE route = ?" if route is not None else ""
        cap = f"LIMIT {int(limit)}" if limit is not None else ""
        with self._transaction() as cur:
            cur.execute(
                self._sql(
                    f"SELECT {COLUMNS} FROM strangler_evidence {where} ORDER BY id DESC {cap}"
                ),
                (route,) if route is not None else (),
            )
            return [_sample(row) for row in cur.fetchall()]

    def close(self) -> None:
        self._db.close()


def open_evidence(
    url: str, *, create: bool = False, retention: Retention = Retention()
) -> EvidenceStore:
    """``sqlite:///path`` or ``postgresql://...``; ``NoEvidence`` when absent, unless ``create``."""
    if url.startswith(("postgresql://", "postgres://")):
        return _postgres(url, create, retention)
    if url.startswith("sqlite:///") or "://" not in url:
        path = Path(url.removeprefix("sqlite:///"))
        if not path.exists() and not create:
            raise NoEvidence(f"no evidence store at {path} (a proxy in shadow mode makes one)")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(path, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA busy_timeout=5000")
            db.executescript(SCHEMA.format(serial="INTEGER PRIMARY KEY AUTOINCREMENT", real="REAL"))
        except (OSError, sqlite3.Error) as exc:
            raise EvidenceError(f"evidence store {path}: {exc}") from exc
        return EvidenceStore(db, "?", retention, lambda: db)
    raise EvidenceError(
        f"unsupported evidence URL {url!r}: expected sqlite:///path or postgresql://..."
    )


def _postgres(url: str, create: bool, retention: Retention) -> EvidenceStore:
    import psycopg

    try:
        db = psycopg.connect(url, autocommit=True)
    except psycopg.Error as exc:
        raise EvidenceError(f"evidence store {url}: {exc}") from exc
    try:
        with db.transaction():
            exists = db.execute("SELECT to_regclass('strangler_evidence')").fetchone()
            if exists is None or exists[0] is None:
                if not create:
                    raise NoEvidence(
                        f"no evidence store in {url} (a proxy in shadow mode makes one)"
                    )
                schema = SCHEMA.format(serial="BIGSERIAL PRIMARY KEY", real="DOUBLE PRECISION")
                for statement in schema.split(";"):
                    db.execute(statement)
    except (psycopg.Error, NoEvidence) as exc:
        db.close()
        if isinstance(exc, NoEvidence):
            raise
        raise EvidenceError(f"evidence store {url}: {exc}") from exc
    return EvidenceStore(db, "%s", retention, db.transaction)


def _pg_errors() -> type[Exception]:
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency of the main environment
        return sqlite3.Error
    return psycopg.Error


def _row(sample: Sample) -> tuple[Any, ...]:
    differences = [
        {"path": d.path, "kind": d.kind.value, "monolith": d.monolith, "service": d.service}
        for d in sample.differences[:KEPT_DIFFERENCES]
    ]
    return (
        sample.route,
        sample.at,
        sample.method,
        sample.path,
        sample.query,
        orjson.dumps(sample.headers).decode(),
        sample.body,
        sample.verdict,
        sample.monolith_status,
        sample.service_status,
        orjson.dumps(differences, default=str).decode(),
        orjson.dumps(sample.noise).decode(),
        sample.error,
    )


def _sample(row: Sequence[Any]) -> Sample:
    (
        route,
        at,
        method,
        path,
        query,
        headers,
        body,
        verdict,
        m_status,
        s_status,
        found,
        noise,
        error,
    ) = row
    return Sample(
        route,
        float(at),
        method,
        path,
        query,
        tuple((k, v) for k, v in orjson.loads(headers)),
        body,
        verdict,
        m_status,
        s_status,
        tuple(
            Difference(d["path"], Kind(d["kind"]), d["monolith"], d["service"])
            for d in orjson.loads(found)
        ),
        tuple(orjson.loads(noise)),
        error,
    )


def default_evidence_url(store_url: str) -> str:
    """Beside the flag store: ``evidence.sqlite3`` in the SQLite store's folder, or the
    PostgreSQL store's own database.

    >>> default_evidence_url("sqlite:///var/flags.sqlite3")
    'sqlite:///var/evidence.sqlite3'
    >>> default_evidence_url("postgresql://flags@db/strangler")
    'postgresql://flags@db/strangler'
    """
    if store_url.startswith(("postgresql://", "postgres://")):
        return store_url
    path = Path(store_url.removeprefix("sqlite:///"))
    return "sqlite:///" + os.fspath(path.with_name("evidence.sqlite3"))
