"""The dead-letter store, on SQLite and on PostgreSQL (the server on loopback)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from strangler_proxy.events.deadletters import (
    DeadLetterError,
    DeadLetterStore,
    NoDeadLetters,
    UnknownDeadLetter,
    open_dead_letters,
)
from tests.strangler_proxy.store.conftest import postgres_database, postgres_url

__all__ = ["postgres_database", "postgres_url"]  # fixtures, used by name


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DeadLetterStore]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'var' / 'dead-letters.sqlite3'}"
    else:
        url = str(request.getfixturevalue("postgres_url"))
    with pytest.raises(NoDeadLetters):
        open_dead_letters(url)  # reading where no deliverer wrote: an error, not a new store
    opened = open_dead_letters(url, create=True)
    yield opened
    opened.close()


def test_a_letter_keeps_the_event_the_reason_the_attempts_and_both_times(
    store: DeadLetterStore,
) -> None:
    store.add("catalog", "e-1", b'{"id": "e-1"}', "answered 503", attempts=5, at=100.0,
              first_failed_at=60.0)  # fmt: skip
    store.add("notifications", "e-1", b'{"id": "e-1"}', "rejected: no order", attempts=1, at=110)
    again = store.add("catalog", "e-1", b'{"id": "e-1"}', "did not answer", attempts=5, at=200.0)
    assert (again.id, again.attempts, again.reason) == (1, 10, "did not answer")
    assert (again.first_failed_at, again.last_failed_at) == (60.0, 200.0)
    assert [(d.id, d.subscriber) for d in store.letters()] == [(1, "catalog"), (2, "notifications")]
    assert [d.id for d in store.letters("notifications")] == [2]
    assert store.get(2).to_json()["first_failed_at"] == "1970-01-01T00:01:50.000000Z"
    assert store.counts() == {"catalog": 1, "notifications": 1}


def test_replays_are_recorded_and_a_failed_one_leaves_the_letter_pending(
    store: DeadLetterStore,
) -> None:
    letter = store.add("catalog", "e-2", b"{}", "rejected: bad price", attempts=1)
    failed = store.mark_failed_replay(letter.id, "catalog at http://x did not answer")
    assert (failed.pending, failed.attempts, failed.reason) == (
        True, 2, "catalog at http://x did not answer"
    )  # fmt: skip
    done = store.mark_replayed(letter.id, "applied")
    assert (done.pending, done.replay_outcome) == (False, "applied")
    assert store.counts() == {}
    with pytest.raises(UnknownDeadLetter, match="no dead letter 99 "):
        store.get(99)


def test_a_bad_url_is_named() -> None:
    with pytest.raises(DeadLetterError, match="unsupported dead-letter store URL 'redis://x'"):
        open_dead_letters("redis://x")
