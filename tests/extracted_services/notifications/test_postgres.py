"""The backfill from a monolith on PostgreSQL (a read-only session), and the service itself on
PostgreSQL: the copied ids move its id sequence along, so notifications made from events
afterwards take new ids. Skips, with the reason, only when no PostgreSQL server answers."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path

import psycopg
import pytest

from extracted_services.notifications.source import SourceError, open_source
from tests.conftest import monolith_env, prepare_monolith_db
from tests.extracted_services.notifications.conftest import EVENTS_TOKEN
from tests.extracted_services.notifications.events import OrderEvents
from tests.extracted_services.notifications.service import (
    backfill,
    manage,
    outcomes,
    post_events,
    start_notifications,
    tallies,
)

pytestmark = pytest.mark.postgres

PG_URL = os.environ.get("STRANGLER_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres")


def admin() -> psycopg.Connection[tuple[object, ...]]:
    try:
        return psycopg.connect(PG_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL server answers at {PG_URL}: {exc}".strip())


@pytest.fixture(scope="module")
def databases() -> Iterator[tuple[str, str]]:
    """Two fresh databases (the monolith's, the service's), dropped at the end."""
    names = [f"notify_test_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    with closing(admin()) as db:
        for name in names:
            db.execute(f'CREATE DATABASE "{name}"')
    try:
        base = PG_URL.rsplit("/", 1)[0]
        yield f"{base}/{names[0]}", f"{base}/{names[1]}"
    finally:
        with closing(admin()) as db:
            for name in names:
                db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def monolith_pg(databases: tuple[str, str], tmp_path_factory: pytest.TempPathFactory) -> str:
    """The monolith's database on PostgreSQL, migrated and seeded (no server needed)."""
    url = databases[0]
    prepare_monolith_db(monolith_env(tmp_path_factory.mktemp("monolith-pg"), database_url=url))
    return url


def scalar(url: str, query: str) -> int:
    with closing(psycopg.connect(url)) as db:
        row = db.execute(query).fetchone()
    assert row is not None
    return int(row[0])


def count(url: str, table: str) -> int:
    return scalar(url, f"SELECT COUNT(*) FROM {table}")


def test_the_backfill_reads_a_monolith_on_postgresql(monolith_pg: str, tmp_path: Path) -> None:
    assert manage(tmp_path, "migrate", "--noinput").returncode == 0
    done = backfill(tmp_path, monolith_pg)
    assert done.returncode == 0, done.stderr
    notes = count(monolith_pg, "notifications_notification")
    assert tallies(done.stdout)["notifications"] == f"{notes} created, 0 updated, 0 unchanged"
    assert backfill(tmp_path, monolith_pg).stdout.splitlines()[-1] == (
        "backfill done: 0 rows written"
    )


def test_the_postgresql_session_is_read_only(monolith_pg: str) -> None:
    source = open_source(monolith_pg)
    try:
        with pytest.raises(SourceError, match="read-only transaction"):
            source.rows("DELETE FROM notifications_notification")
    finally:
        source.close()
    assert count(monolith_pg, "notifications_notification") > 0


def test_the_service_on_postgresql_takes_new_ids_after_the_copy(
    monolith_pg: str, databases: tuple[str, str], tmp_path: Path
) -> None:
    service_db = databases[1]
    with start_notifications(tmp_path, DATABASE_URL=service_db, EVENTS_TOKEN=EVENTS_TOKEN) as svc:
        done = backfill(tmp_path, monolith_pg, DATABASE_URL=service_db)
        assert done.returncode == 0, done.stderr
        copied_top = scalar(monolith_pg, "SELECT MAX(id) FROM notifications_notification")
        order = {
            "id": 990_001,
            "number": str(uuid.uuid4()),
            "customer": 1,
            "total": "1.00",
            "placed_at": "2026-12-01T11:00:00Z",
            "lines": [],
        }
        events = OrderEvents(order)
        lifecycle = [events.placed("x"), events.status_changed("shipped")]
        # the same batch at once from several deliverers: each event applies once
        with ThreadPoolExecutor(max_workers=4) as pool:
            answers = list(
                pool.map(lambda _: post_events(svc.base_url, EVENTS_TOKEN, lifecycle), range(4))
            )
        every = sorted(o for answer in answers for o in outcomes(answer))
        assert every == ["applied"] * 2 + ["duplicate"] * 6
    made = scalar(
        service_db, "SELECT MIN(id) FROM notifications_notification WHERE order_id = 990001"
    )
    assert made > copied_top
    assert (
        scalar(
            service_db, "SELECT COUNT(*) FROM notifications_notification WHERE order_id = 990001"
        )
        == 2
    )
