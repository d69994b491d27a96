"""The dead-letter store: events a subscriber rejected or kept failing on, with the reason.

SQLite under the var dir by default (``sqlite:///var/dead-letters.sqlite3``), or PostgreSQL
(``postgresql://...``) when deliverers on several hosts share one. One letter per
(subscriber, event): the same event dead again (a deliverer restarted mid-way, a replay that
failed) updates its letter (attempts added, last reason and time) instead of adding one.

>>> import tempfile
>>> folder = tempfile.TemporaryDirectory()
>>> store = open_dead_letters(f"sqlite:///{folder.name}/dead.sqlite3", create=True)
>>> letter = store.add("catalog", "e-1", b'{"id": "e-1"}', "payload.price: not a decimal",
...                    attempts=1, at=1000.0)
>>> [(d.id, d.subscriber, d.event_id, d.reason, d.attempts) for d in store.letters()]
[(1, 'catalog', 'e-1', 'payload.price: not a decimal', 1)]
>>> store.add("catalog", "e-1", b'{"id": "e-1"}', "503", attempts=5, at=1060.0).attempts
6
>>> store.mark_replayed(1, "applied", at=1100.0).replay_outcome
'applied'
>>> store.counts()  # letters not replayed yet, per subscriber
{}
>>> store.get(7)
Traceback (most recent call last):
...
strangler_proxy.events.deadletters.UnknownDeadLetter: no dead letter 7 (strangler events ...
>>> store.close(); folder.cleanup()
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from strangler_proxy.events.envelope import format_time

DEFAULT_DEAD_LETTERS_URL = "sqlite:///var/dead-letters.sqlite3"
COLUMNS = (
    "id, subscriber, url, event_id, event, reason, attempts, first_failed_at, last_failed_at,"
    " replayed_at, replay_outcome"
)
SCHEMA = """
CREATE TABLE IF NOT EXISTS strangler_dead_letters (
    id {serial},
    subscriber TEXT NOT NULL,
    url TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event TEXT NOT NULL,
    reason TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    first_failed_at {real} NOT NULL,
    last_failed_at {real} NOT NULL,
    replayed_at {real},
    replay_outcome TEXT,
    UNIQUE (subscriber, event_id)
)
"""


class DeadLetterError(RuntimeError):
    """The dead-letter store cannot be used; the message says which and why."""


class NoDeadLetters(DeadLetterError):
    """No dead-letter store at that URL (no deliverer has written one yet, or a typo)."""


class UnknownDeadLetter(DeadLetterError):
    def __init__(self, letter_id: int) -> None:
        super().__init__(f"no dead letter {letter_id} (strangler events dead-letters lists them)")
        self.letter_id = letter_id


@dataclass(frozen=True, slots=True)
class DeadLetter:
    id: int
    subscriber: str
    url: str  # its inbox endpoint when it died there (replay sends it there by default)
    event_id: str
    event: bytes  # the message body as delivered (it may not even be an event)
    reason: str
    attempts: int
    first_failed_at: float  # epoch seconds
    last_failed_at: float
    replayed_at: float | None = None
    replay_outcome: str | None = None  # "applied", "duplicate", ... or why the replay failed

    @property
    def pending(self) -> bool:
        """Not replayed yet (or its replay did not take)."""
        return self.replayed_at is None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "subscriber": self.subscriber,
            "url": self.url,
            "event_id": self.event_id,
            "event": self.event.decode(errors="replace"),
            "reason": self.reason,
            "attempts": self.attempts,
            "first_failed_at": _iso(self.first_failed_at),
            "last_failed_at": _iso(self.last_failed_at),
            "replayed_at": None if self.replayed_at is None else _iso(self.replayed_at),
            "replay_outcome": self.replay_outcome,
        }


class DeadLetterStore:
    """One connection shared by threads (a lock orders them)."""

    def __init__(
        self, connection: Any, placeholder: str, begin: Callable[[], AbstractContextManager[Any]]
    ) -> None:
        self._db, self._mark, self._begin = connection, placeholder, begin
        self._lock = threading.Lock()

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        try:
            with self._lock, self._begin():
                yield self._db.cursor()
        except (sqlite3.Error, _pg_errors()) as exc:
            raise DeadLetterError(f"dead-letter store: {exc}") from exc

    def _run(self, cur: Any, sql: str, params: tuple[Any, ...] = ()) -> Any:
        cur.execute(sql.replace("?", self._mark), params)
        return cur

    def add(
        self,
        subscriber: str,
        event_id: str,
        event: bytes,
        reason: str,
        *,
        attempts: int,
        url: str = "",
        at: float | None = None,
        first_failed_at: float | None = None,
    ) -> DeadLetter:
        """Keep the event as dead for ``subscriber`` (or add to its letter); the letter."""
        now = time.time() if at is None else at
        first = min(now, first_failed_at) if first_failed_at is not None else now
        with self._cursor() as cur:
            self._run(
                cur,
                "INSERT INTO strangler_dead_letters (subscriber, url, event_id, event, reason,"
                " attempts, first_failed_at, last_failed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (subscriber, event_id) DO UPDATE SET reason = excluded.reason,"
                " url = excluded.url,"
                " attempts = strangler_dead_letters.attempts + excluded.attempts,"
                " last_failed_at = excluded.last_failed_at, event = excluded.event,"
                " replayed_at = NULL, replay_outcome = NULL",
                (subscriber, url, event_id, event.decode(errors="replace"), reason, attempts,
                 first, now),
            )  # fmt: skip
            return self._one(cur, "subscriber = ? AND event_id = ?", (subscriber, event_id))

    def letters(self, subscriber: str | None = None) -> list[DeadLetter]:
        """Every letter (of ``subscriber``), oldest first."""
        where, params = ("subscriber = ?", (subscriber,)) if subscriber else ("1 = 1", ())
        with self._cursor() as cur:
            rows = self._run(
                cur, f"SELECT {COLUMNS} FROM strangler_dead_letters WHERE {where} ORDER BY id",
                params,
            ).fetchall()  # fmt: skip
        return [_letter(row) for row in rows]

    def get(self, letter_id: int) -> DeadLetter:
        with self._cursor() as cur:
            return self._one(cur, "id = ?", (letter_id,))

    def mark_replayed(self, letter_id: int, outcome: str, *, at: float | None = None) -> DeadLetter:
        """Record a replay that took (the subscriber answered ``outcome`` for it)."""
        with self._cursor() as cur:
            self._run(
                cur,
                "UPDATE strangler_dead_letters SET replayed_at = ?, replay_outcome = ?"
                " WHERE id = ?",
                (time.time() if at is None else at, outcome, letter_id),
            )
            return self._one(cur, "id = ?", (letter_id,))

    def mark_failed_replay(self, letter_id: int, reason: str) -> DeadLetter:
        """Record a replay that did not take: the letter stays pending, with the new reason."""
        with self._cursor() as cur:
            self._run(
                cur,
                "UPDATE strangler_dead_letters SET reason = ?, attempts = attempts + 1,"
                " last_failed_at = ? WHERE id = ?",
                (reason, time.time(), letter_id),
            )
            return self._one(cur, "id = ?", (letter_id,))

    def counts(self) -> dict[str, int]:
        """Pending letters per subscriber."""
        with self._cursor() as cur:
            rows = self._run(
                cur,
                "SELECT subscriber, COUNT(*) FROM strangler_dead_letters"
                " WHERE replayed_at IS NULL GROUP BY subscriber ORDER BY subscriber",
            ).fetchall()
        return {str(name): int(count) for name, count in rows}

    def _one(self, cur: Any, where: str, params: tuple[Any, ...]) -> DeadLetter:
        row = self._run(
            cur, f"SELECT {COLUMNS} FROM strangler_dead_letters WHERE {where}", params
        ).fetchone()
        if row is None:
            raise UnknownDeadLetter(int(params[0]))
        return _letter(row)

    def close(self) -> None:
        self._db.close()


def open_dead_letters(url: str, *, create: bool = False) -> DeadLetterStore:
    """``sqlite:///path`` (or a bare path) or ``postgresql://...``; ``NoDeadLetters`` when
    there is none there, unless ``create``."""
    if url.startswith(("postgresql://", "postgres://")):
        return _postgres(url, create)
    if url.startswith("sqlite:///") or "://" not in url:
        path = Path(url.removeprefix("sqlite:///"))
        if not path.exists() and not create:
            raise NoDeadLetters(f"no dead-letter store at {path} (no deliverer wrote one yet)")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(path, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA busy_timeout=5000")
            db.executescript(SCHEMA.format(serial="INTEGER PRIMARY KEY AUTOINCREMENT", real="REAL"))
        except (OSError, sqlite3.Error) as exc:
            raise DeadLetterError(f"dead-letter store {path}: {exc}") from exc
        return DeadLetterStore(db, "?", lambda: db)
    raise DeadLetterError(
        f"unsupported dead-letter store URL {url!r}: expected sqlite:///path or postgresql://..."
    )


def _postgres(url: str, create: bool) -> DeadLetterStore:
    import psycopg

    try:
        db = psycopg.connect(url, autocommit=True)
    except psycopg.Error as exc:
        raise DeadLetterError(f"dead-letter store {url}: {exc}") from exc
    try:
        with db.transaction():
            exists = db.execute("SELECT to_regclass('strangler_dead_letters')").fetchone()
            if exists is None or exists[0] is None:
                if not create:
                    raise NoDeadLetters(f"no dead-letter store in {url} (no deliverer wrote one)")
                db.execute(SCHEMA.format(serial="BIGSERIAL PRIMARY KEY", real="DOUBLE PRECISION"))
    except (psycopg.Error, NoDeadLetters) as exc:
        db.close()
        if isinstance(exc, NoDeadLetters):
            raise
        raise DeadLetterError(f"dead-letter store {url}: {exc}") from exc
    return DeadLetterStore(db, "%s", db.transaction)


def _pg_errors() -> type[Exception]:
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency of the main environment
        return sqlite3.Error
    return psycopg.Error


def _letter(row: Any) -> DeadLetter:
    (letter_id, subscriber, url, event_id, event, reason, attempts, first, last, replayed,
     outcome) = row  # fmt: skip
    return DeadLetter(
        int(letter_id), subscriber, url, event_id, str(event).encode(), reason, int(attempts),
        float(first), float(last), None if replayed is None else float(replayed), outcome,
    )  # fmt: skip


def _iso(epoch: float) -> str:
    return format_time(datetime.fromtimestamp(epoch, UTC))
