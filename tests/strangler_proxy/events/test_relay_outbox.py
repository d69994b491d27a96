"""The relay's view of a producer's outbox table over SQL, on SQLite and PostgreSQL: rows in
``seq`` order, marked by ``seq`` (a row committed late under a lower ``seq`` stays
unpublished), pruned past the retention, and a clear error for a missing table."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from strangler_proxy.events.outbox import OutboxError, open_outbox
from strangler_proxy.events.sources import Source
from tests.strangler_proxy.events.outboxes import (
    count_rows,
    producer_url,
    published,
    scratch_database,
    write_events,
)


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    with scratch_database() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def outbox_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return producer_url(request.param, tmp_path, lambda: request.getfixturevalue("database"))


def test_rows_come_in_seq_order_and_are_marked_by_seq(outbox_url: str) -> None:
    ids = write_events(outbox_url, [("product", "1", v, {"v": v}) for v in (1, 2, 3, 4)])
    with open_outbox(Source("monolith", outbox_url)) as outbox:
        rows = outbox.unpublished(limit=10)
        assert [row.event.id for row in rows if row.event] == ids
        assert [row.event.version for row in rows if row.event] == [1, 2, 3, 4]
        first = rows[0].event
        assert first is not None and first.payload == {"v": 1} and first.headers == {}
        assert first.timestamp.endswith("Z") and first.subject == "events.product"
        assert outbox.backlog() == (4, rows[0].seq)
        assert outbox.mark_published([rows[0].seq, rows[2].seq]) == 2
        assert outbox.mark_published([rows[0].seq]) == 0  # already marked
        assert [row.seq for row in outbox.unpublished(limit=10)] == [rows[1].seq, rows[3].seq]
        assert [row.seq for row in outbox.unpublished(limit=1, after=rows[1].seq)] == [rows[3].seq]
    assert published(outbox_url) == {ids[0], ids[2]}


def test_published_rows_past_the_retention_are_pruned(outbox_url: str) -> None:
    write_events(outbox_url, [("product", str(n), 1, {}) for n in range(5)])
    with open_outbox(Source("monolith", outbox_url)) as outbox:
        seqs = [row.seq for row in outbox.unpublished(limit=10)]
        outbox.mark_published(seqs[:3], at=datetime.now(UTC) - timedelta(hours=30))
        outbox.mark_published(seqs[3:4])
        assert outbox.prune(timedelta(hours=24)) == 3
        assert outbox.prune(timedelta(hours=24)) == 0
    assert count_rows(outbox_url) == 2  # the recent one and the unpublished one


@pytest.mark.postgres
def test_a_row_committed_late_under_a_lower_seq_stays_unpublished(database: str) -> None:
    url = producer_url("postgresql", Path("."), lambda: database)
    late = psycopg.connect(url)  # a transaction that took its seq first, commits last
    late.execute(
        "INSERT INTO outbox (id, aggregatetype, aggregateid, type, aggregateversion, origin,"
        " payload, headers, timestamp) VALUES (%s, 'product', '1', 'product.upserted', 1,"
        " 'monolith', '{}', '{}', now())",
        (uuid.uuid4(),),
    )
    [early] = write_events(url, [("product", "2", 1, {})])
    with open_outbox(Source("monolith", url)) as outbox:
        rows = outbox.unpublished(limit=10)
        assert [row.event.id for row in rows if row.event] == [early]
        outbox.mark_published([row.seq for row in rows])
        late.commit()
        late.close()
        [row] = outbox.unpublished(limit=10)
        assert row.seq < rows[0].seq and row.event is not None


def test_a_row_that_is_no_event_is_kept_apart_with_its_problem(tmp_path: Path) -> None:
    url = producer_url("sqlite", tmp_path, lambda: "")
    write_events(url, [("product", "1", 1, {})])
    with open_outbox(Source("monolith", url)) as outbox:
        outbox._count("UPDATE outbox SET aggregateversion = 'three'")
        [row] = outbox.unpublished(limit=10)
    assert row.event is None and row.problem == "version: not an integer ('three')"
    assert row.raw is not None and row.raw["aggregateversion"] == "three"


def test_a_database_without_an_outbox_table_is_an_error_naming_it(
    tmp_path: Path, database: str
) -> None:
    empty = tmp_path / "empty.sqlite3"
    empty.write_bytes(b"")
    for url in (f"sqlite:///{empty}", database):
        with pytest.raises(OutboxError, match="no outbox table in the database of source m"):
            open_outbox(Source("m", url))
    with pytest.raises(OutboxError, match="cannot connect to the database of source m"):
        open_outbox(Source("m", "postgresql://postgres@127.0.0.1:1/none"))


def test_one_relay_per_outbox(outbox_url: str) -> None:
    first = open_outbox(Source("monolith", outbox_url))
    first.claim()
    second = open_outbox(Source("monolith", outbox_url))
    with pytest.raises(OutboxError, match="another relay already relays source monolith"):
        second.claim()
    first.close()  # as a relay's end does, SIGKILL included (flock, session lock)
    second.claim()
    second.close()
