"""The monolith's events under gunicorn over real sockets, with its own SQLite file read the
way the relay reads it (plain SQL on the ``outbox`` table)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from strangler_proxy.stack.monolith import manage_py
from tests.conftest import RunningServer, monolith_env, prepare_monolith_db, start_monolith
from tests.legacy_monolith.outbox.conftest import event
from tests.legacy_monolith.test_over_http import checkout, counts, login

TOKEN = "over-http-events-token"


@pytest.fixture(scope="module")
def monolith(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A monolith that takes events and leaves notifications to the service."""
    var_dir = tmp_path_factory.mktemp("monolith-events")
    env = {**monolith_env(var_dir), "EVENTS_TOKEN": TOKEN, "NOTIFICATIONS_BACKEND": "events"}
    prepare_monolith_db(env)
    proc = start_monolith(var_dir, env, workers=1)
    try:
        yield RunningServer(proc.base_url, proc, env)
    finally:
        proc.stop()


def outbox_rows(server: RunningServer, where: str = "1=1", *args: object) -> list[sqlite3.Row]:
    database = Path(server.env["STRANGLER_VAR_DIR"]) / "monolith.sqlite3"
    with closing(sqlite3.connect(database)) as db:
        db.row_factory = sqlite3.Row
        return db.execute(f"SELECT * FROM outbox WHERE {where} ORDER BY seq", args).fetchall()


def test_the_inbox_applies_over_a_real_socket_and_publishes_nothing_back(monolith):
    with httpx.Client(base_url=monolith.base_url, trust_env=False, timeout=30) as client:
        product = client.get("/api/catalog/products/4/").json()
        payload = {
            **{k: product[k] for k in ("id", "sku", "name", "description", "weight_kg")},
            **{k: product[k] for k in ("is_active", "rating_avg", "rating_count")},
            **{k: product[k] for k in ("created_at", "updated_at")},
            "category_id": product["category"],
            "tags": ["from-the-service"],
            "price": "4.44",
            "price_history": [
                {"id": 7777, "price": "4.44", "changed_at": "2026-12-01T11:00:00Z", "reason": "x"}
            ],
        }
        sent = {"events": [event("product.upserted", payload, version=3)]}

        refused = client.post("/internal/events/", json=sent)
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "not_authenticated"

        answer = client.post(
            "/internal/events/", json=sent, headers={"Authorization": f"Bearer {TOKEN}"}
        )
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"results": [{"id": sent["events"][0]["id"], "outcome": "applied"}]}
        served = client.get("/api/catalog/products/4/").json()
        assert served["price"] == "4.44" and served["tags"] == ["from-the-service"]
        prices = client.get("/api/catalog/products/4/prices/").json()["results"]
        assert [row["id"] for row in prices] == [7777]
    assert outbox_rows(monolith, "aggregatetype = 'product' AND aggregateid = '4'") == []


def test_a_price_change_commits_with_its_event(monolith):
    with closing(login(monolith.base_url, "staff", "staff-demo-pass")) as staff:
        changed = staff.patch("/api/catalog/products/2/", json={"price": "12.34"})
        assert changed.status_code == 200, changed.text
        newest = staff.get("/api/catalog/products/2/prices/").json()["results"][0]
    rows = outbox_rows(monolith, "aggregatetype = 'product' AND aggregateid = '2'")
    assert [(r["type"], r["aggregateversion"], r["origin"]) for r in rows] == [
        ("product.upserted", 1, "monolith")
    ]
    payload = json.loads(rows[0]["payload"])
    assert payload["price"] == "12.34"
    assert payload["price_history"][0]["id"] == newest["id"]
    assert rows[0]["published_at"] is None and len(rows[0]["id"]) >= 32


def test_checkout_with_the_events_backend_writes_no_notification(monolith):
    with closing(login(monolith.base_url, "customer0005")) as client:
        before = counts(client)
        response = checkout(client)
        assert response.status_code == 201, response.text
        after = counts(client)
    assert after["/api/notifications/"] == before["/api/notifications/"]
    assert after["/api/orders/"] == before["/api/orders/"] + 1
    order_id = str(response.json()["id"])
    rows = outbox_rows(monolith, "aggregatetype = 'order' AND aggregateid = ?", order_id)
    assert [r["type"] for r in rows] == ["order.placed", "payment.captured", "order.status_changed"]


def shell(monolith: RunningServer, code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(manage_py()), "shell", "-c", code],
        env={**os.environ, **monolith.env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    "code",
    [
        "from legacy_monolith.outbox.recorder import record\n"
        "record('product', 1, 'product.upserted', {'id': 1})",
        "from legacy_monolith.catalog.models import Product\n"
        "p = Product.objects.get(pk=1); p.name = 'unrecorded'; p.save()",
    ],
)
def test_nothing_is_recorded_or_written_outside_a_transaction(monolith, code):
    """In autocommit (a shell), the change could only be recorded after its commit: refused."""
    before = len(outbox_rows(monolith))
    done = shell(monolith, code)
    assert done.returncode != 0
    assert "NotInTransaction" in done.stderr and "outside transaction.atomic()" in done.stderr
    assert len(outbox_rows(monolith)) == before
    with httpx.Client(base_url=monolith.base_url, trust_env=False) as client:
        assert client.get("/api/catalog/products/1/").json()["name"] != "unrecorded"


def concurrent_price_changes(server: RunningServer, product: int, writers: int) -> list[int]:
    """``writers`` staff clients change one product's price at once (its first writes: the
    version row does not exist yet); the versions its events got, in relay order."""
    with closing(login(server.base_url, "staff", "staff-demo-pass")) as staff:
        authorization = staff.headers["Authorization"]

    def change(writer: int) -> httpx.Response:
        # a fresh connection per writer: none sits idle past gunicorn's keep-alive meanwhile
        with httpx.Client(base_url=server.base_url, trust_env=False, timeout=60) as client:
            return client.patch(
                f"/api/catalog/products/{product}/",
                json={"price": f"{50 + writer}.00"},
                headers={"Authorization": authorization},
            )

    with ThreadPoolExecutor(writers) as pool:
        answers = list(pool.map(change, range(writers)))
    assert [a.status_code for a in answers] == [200] * writers, [a.text for a in answers]
    return [version for _, version in outbox_rows_of(server, product)]


def outbox_rows_of(server: RunningServer, product: int) -> list[tuple[str, int]]:
    where = f"aggregatetype = 'product' AND aggregateid = '{product}'"
    if "DATABASE_URL" in server.env:
        import psycopg

        with psycopg.connect(server.env["DATABASE_URL"]) as conn:
            sql = f"SELECT type, aggregateversion FROM outbox WHERE {where} ORDER BY seq"
            return [(t, v) for t, v in conn.execute(sql).fetchall()]
    return [(r["type"], r["aggregateversion"]) for r in outbox_rows(server, where)]


def test_concurrent_writes_of_one_product_get_consecutive_versions(monolith):
    assert concurrent_price_changes(monolith, product=5, writers=6) == list(range(1, 7))


def test_a_reference_the_commit_refuses_asks_for_a_later_delivery(monolith):
    """SQLite checks foreign keys at COMMIT: the whole event rolls back, the batch is 409."""
    review = {
        "id": 4242, "product_id": 4, "author_id": 1, "author": "customer0001", "rating": 3,
        "title": "t", "body": "", "helpful_count": 0, "verified_purchase": False,
        "created_at": "2026-12-01T11:00:00Z", "updated_at": "2026-12-01T11:00:00Z",
        "votes": [{"voter_id": 99999, "created_at": "2026-12-01T11:00:00Z"}],
    }  # fmt: skip
    sent = {"events": [event("review.upserted", review)]}
    with httpx.Client(base_url=monolith.base_url, trust_env=False, timeout=30) as client:
        answer = client.post(
            "/internal/events/", json=sent, headers={"Authorization": f"Bearer {TOKEN}"}
        )
        assert answer.status_code == 409, answer.text
        assert answer.json()["error"]["code"] == "conflict"
        assert client.get("/api/reviews/4242/").status_code == 404
