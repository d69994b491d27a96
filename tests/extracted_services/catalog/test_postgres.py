"""The catalog service on PostgreSQL: its migrations, the backfill and applied events write
explicit ids, and the sequences are moved past them, so the service's own writes take new
ids instead of colliding; writes lock ``entity_version`` rows (composite key) there too."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import psycopg
import pytest
from psycopg import sql

from strangler_proxy.stack.process import ManagedProcess
from tests.conftest import RunningServer
from tests.extracted_services.catalog.events import category, deliver
from tests.extracted_services.catalog.service import backfill, start_catalog
from tests.extracted_services.catalog.tokens import STAFF, Caller, customer, log_in
from tests.strangler_proxy.store.conftest import SERVER_URL, server_answers

pytestmark = pytest.mark.postgres


@dataclass(frozen=True)
class PgCatalog:
    process: ManagedProcess
    url: str

    def max_id(self, table: str) -> int:
        with psycopg.connect(self.url) as db:
            row = db.execute(sql.SQL("SELECT MAX(id) FROM {}").format(sql.Identifier(table)))
            return int(row.fetchone()[0])  # type: ignore[index]


@pytest.fixture(scope="module")
def pg_catalog(
    monolith_server: RunningServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PgCatalog]:
    if not server_answers(SERVER_URL):
        pytest.skip(f"no PostgreSQL server answers at {SERVER_URL}")
    name = f"catalog_{secrets.token_hex(6)}"
    with psycopg.connect(SERVER_URL, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = SERVER_URL.rsplit("/", 1)[0] + f"/{name}"
    var_dir = tmp_path_factory.mktemp("catalog-pg")
    try:
        process = start_catalog(var_dir, monolith_server.base_url, database_url=url)
        try:
            staff = log_in(monolith_server.base_url, STAFF)
            done = backfill(var_dir, monolith_server.base_url, staff.drf_token, url)
            assert done.returncode == 0, done.stderr
            yield PgCatalog(process, url)
        finally:
            process.stop()
    finally:
        with psycopg.connect(SERVER_URL, autocommit=True) as admin:
            drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            admin.execute(drop.format(sql.Identifier(name)))


@pytest.fixture(scope="module")
def staff(monolith_server: RunningServer) -> Caller:
    return log_in(monolith_server.base_url, STAFF)


def create_category(pg: PgCatalog, staff: Caller, name: str) -> httpx.Response:
    return httpx.post(
        f"{pg.process.base_url}/api/catalog/categories/",
        json={"name": name, "slug": name.lower()},
        headers=staff.service,
    )


def test_a_write_after_the_backfill_takes_the_next_id(pg_catalog: PgCatalog, staff: Caller) -> None:
    copied = pg_catalog.max_id("catalog_category")
    made = create_category(pg_catalog, staff, "Backfilled-next")
    assert made.status_code == 201, made.text
    assert made.json()["id"] == copied + 1


def test_a_write_after_applied_events_takes_the_next_id(
    pg_catalog: PgCatalog, staff: Caller
) -> None:
    answer = deliver(pg_catalog.process.base_url, [category(7001, 1, "Evented-pg")])
    assert [r["outcome"] for r in answer.json()["results"]] == ["applied"]
    made = create_category(pg_catalog, staff, "After-events")
    assert made.status_code == 201, made.text
    assert made.json()["id"] == 7002


def test_reviews_and_votes_on_postgresql(
    monolith_server: RunningServer, pg_catalog: PgCatalog
) -> None:
    author = log_in(monolith_server.base_url, customer(3))
    voter = log_in(monolith_server.base_url, customer(4))
    base = pg_catalog.process.base_url
    mine = {
        r["product"]
        for r in httpx.get(f"{base}/api/reviews/?page_size=100").json()["results"]
        if r["author"] == author.username
    }
    product = next(p for p in range(1, 17) if p not in mine)
    made = httpx.post(
        f"{base}/api/reviews/",
        json={"product": product, "rating": 3, "title": "On PostgreSQL"},
        headers=author.service,
    )
    assert made.status_code == 201, made.text
    review = made.json()["id"]
    assert review == pg_catalog.max_id("catalog_review")
    voted = httpx.post(f"{base}/api/reviews/{review}/helpful/", headers=voter.service)
    assert (voted.status_code, voted.json()["helpful_count"]) == (200, 1)
    again = httpx.post(f"{base}/api/reviews/{review}/helpful/", headers=voter.service)
    assert again.status_code == 409
