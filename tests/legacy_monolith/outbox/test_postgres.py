"""The monolith's events on PostgreSQL: row locks order concurrent versions, and the rows
applied with the service's ids leave the id sequences ready for the monolith's own writes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from typing import Any

import httpx
import psycopg
import pytest

from tests.conftest import RunningServer, monolith_env, prepare_monolith_db, start_monolith
from tests.legacy_monolith.outbox.conftest import event
from tests.legacy_monolith.outbox.test_over_http import concurrent_price_changes
from tests.legacy_monolith.test_over_http import login
from tests.legacy_monolith.test_postgres import fresh_database

pytestmark = pytest.mark.postgres

__all__ = ["fresh_database"]  # the module's database fixture, shared with the shop's tests

TOKEN = "pg-events-token"
STAMP = "2026-12-01T11:00:00Z"


@pytest.fixture(scope="module")
def pg_monolith(fresh_database: str, tmp_path_factory) -> Iterator[RunningServer]:
    var_dir = tmp_path_factory.mktemp("monolith-pg-events")
    env = {**monolith_env(var_dir, database_url=fresh_database), "EVENTS_TOKEN": TOKEN}
    prepare_monolith_db(env, size="tiny")
    proc = start_monolith(var_dir, env)
    try:
        yield RunningServer(proc.base_url, proc, env)
    finally:
        proc.stop()


def outbox(server: RunningServer, where: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(server.env["DATABASE_URL"]) as conn:
        sql = f"SELECT type, aggregateversion, origin FROM outbox WHERE {where} ORDER BY seq"
        return conn.execute(sql).fetchall()


def test_applied_ids_leave_room_for_the_monolith_s_own_writes(pg_monolith):
    category = {
        "id": 5000, "name": "Service-made", "slug": "service-made", "parent_id": None,
        "description": "", "created_at": STAMP, "updated_at": STAMP,
    }  # fmt: skip
    product = {
        "id": 6000, "sku": "SVC-6000", "name": "Service kettle", "description": "",
        "category_id": 5000, "tags": ["svc"], "price": "9.99", "weight_kg": 1.0,
        "is_active": True, "rating_avg": None, "rating_count": 0,
        "created_at": STAMP, "updated_at": STAMP,
        "price_history": [{"id": 90000, "price": "9.99", "changed_at": STAMP, "reason": "c"}],
    }  # fmt: skip
    sent = [event("category.upserted", category), event("product.upserted", product)]
    with httpx.Client(base_url=pg_monolith.base_url, trust_env=False, timeout=30) as client:
        answer = client.post(
            "/internal/events/", json={"events": sent}, headers={"Authorization": f"Bearer {TOKEN}"}
        )
        assert answer.status_code == 200, answer.text
        assert [r["outcome"] for r in answer.json()["results"]] == ["applied", "applied"]

    with closing(login(pg_monolith.base_url, "staff", "staff-demo-pass")) as staff:
        made = staff.post("/api/catalog/categories/", json={"name": "Ours", "slug": "ours"})
        assert made.status_code == 201, made.text
        assert made.json()["id"] > 5000
        body = {"sku": "OURS-1", "name": "Ours", "category": 5000, "price": "3.00"}
        ours = staff.post("/api/catalog/products/", json=body)
        assert ours.status_code == 201, ours.text
        assert ours.json()["id"] > 6000
        history = staff.get(f"/api/catalog/products/{ours.json()['id']}/prices/").json()
        assert history["results"][0]["id"] > 90000
        repriced = staff.patch("/api/catalog/products/6000/", json={"price": "8.88"})
        assert repriced.status_code == 200, repriced.text

    assert outbox(pg_monolith, "aggregatetype = 'product' AND aggregateid = '6000'") == [
        ("product.upserted", 2, "monolith")  # the applied event was version 1, from catalog
    ]


def test_concurrent_writes_of_one_product_get_consecutive_versions(pg_monolith):
    versions = concurrent_price_changes(pg_monolith, product=1, writers=8)
    assert versions == list(range(1, 9))
