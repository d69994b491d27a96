"""The same monolith on PostgreSQL (127.0.0.1:5432, user postgres): migrate, seed, serve.

A fresh database with a unique name is created for this module and dropped afterwards.
Every test here skips, with the reason, only when no PostgreSQL server answers.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.conftest import monolith_env, prepare_monolith_db, start_monolith
from tests.legacy_monolith.shop_db import dump
from tests.legacy_monolith.test_over_http import checkout, login

pytestmark = pytest.mark.postgres

PG_URL = os.environ.get("STRANGLER_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres")


def admin_connection():
    import psycopg

    try:
        return psycopg.connect(PG_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL server answers at {PG_URL}: {exc}".strip())


@dataclass(frozen=True)
class PgShop:
    base_url: str
    database_url: str
    env: dict[str, str]
    seeded_dump: list[dict[str, Any]]

    def count(self, table: str, where: str = "TRUE") -> int:
        import psycopg

        with psycopg.connect(self.database_url) as conn:
            row = conn.execute(f"SELECT count(*) FROM {table} WHERE {where}").fetchone()
        assert row is not None  # count(*) always answers one row
        return int(row[0])


@pytest.fixture(scope="module")
def fresh_database() -> Iterator[str]:
    """Creates ``strangler_test_<random>``, yields its URL, drops it at the end."""
    name = f"strangler_test_{uuid.uuid4().hex[:12]}"
    with closing(admin_connection()) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with closing(admin_connection()) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def pg_shop(fresh_database, tmp_path_factory) -> Iterator[PgShop]:
    var_dir = tmp_path_factory.mktemp("monolith-pg")
    env = monolith_env(var_dir, database_url=fresh_database)
    prepare_monolith_db(env, size="tiny")
    seeded = dump(env)  # before any test changes the data
    proc = start_monolith(var_dir, env)
    try:
        yield PgShop(proc.base_url, fresh_database, env, seeded)
    finally:
        proc.stop()


def test_it_really_runs_on_postgresql(pg_shop):
    with httpx.Client(base_url=pg_shop.base_url, trust_env=False) as client:
        assert client.get("/health/db/").json() == {"status": "ok", "database": "postgresql"}


def test_checkout_commits_everything_on_postgresql(pg_shop):
    before = {t: pg_shop.count(t) for t in TABLES}
    with closing(login(pg_shop.base_url, "customer0001")) as client:
        response = checkout(client)
    assert response.status_code == 201, response.text
    number = response.json()["number"]
    after = {t: pg_shop.count(t) for t in TABLES}
    assert {t: after[t] - before[t] for t in TABLES} == {
        "orders_order": 1,
        "orders_orderline": 1,
        "inventory_reservation": 1,
        "payments_payment": 1,
        "shipping_shipment": 1,
        "notifications_notification": 2,
    }
    assert pg_shop.count("orders_order", f"number = '{number}' AND status = 'paid'") == 1


@pytest.mark.parametrize(
    ("method", "quantity", "status"), [("declined-card", 1, 402), ("card", 10_000, 409)]
)
def test_failed_checkout_rolls_back_on_postgresql(pg_shop, method, quantity, status):
    before = {t: pg_shop.count(t) for t in TABLES}
    reserved = pg_shop.count("inventory_stockitem", "reserved > 0")
    with closing(login(pg_shop.base_url, "customer0002")) as client:
        client.post("/api/orders/cart/clear/")
        client.post("/api/orders/cart/items/", json={"product": 1, "quantity": 1})
        if quantity > 1:  # more than any warehouse holds: the second line runs out
            big = client.post("/api/orders/cart/items/", json={"product": 3, "quantity": 99})
            assert big.status_code == 201
            _drain_stock(pg_shop, product=3)
        address = client.get("/api/customers/me/").json()["addresses"][0]["id"]
        response = client.post(
            "/api/orders/checkout/", json={"address": address, "payment_method": method}
        )
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] in {"payment_declined", "out_of_stock"}
    assert {t: pg_shop.count(t) for t in TABLES} == before
    assert pg_shop.count("inventory_stockitem", "reserved > 0") == reserved


def test_concurrent_checkouts_of_the_same_products_on_postgresql(pg_shop):
    """4 customers buy the same products, added in opposite orders, all at once."""
    users = ["customer0003", "customer0004", "customer0005", "customer0006"]
    clients = [login(pg_shop.base_url, u) for u in users]

    def shop(numbered: tuple[int, httpx.Client]) -> list[int]:
        n, client = numbered
        address = client.get("/api/customers/me/").json()["addresses"][0]["id"]
        products = [4, 5, 6] if n % 2 else [6, 5, 4]
        codes = []
        for _ in range(3):
            for product in products:
                client.post("/api/orders/cart/items/", json={"product": product, "quantity": 1})
            codes.append(
                client.post(
                    "/api/orders/checkout/", json={"address": address, "payment_method": "card"}
                ).status_code
            )
        return codes

    try:
        with ThreadPoolExecutor(len(clients)) as pool:
            results = [c for codes in pool.map(shop, enumerate(clients)) for c in codes]
    finally:
        for client in clients:
            client.close()
    assert results == [201] * 12


def test_seed_is_deterministic_on_postgresql_and_matches_sqlite(pg_shop, tmp_path):
    sqlite_env = monolith_env(tmp_path)
    prepare_monolith_db(sqlite_env, size="tiny")
    assert pg_shop.seeded_dump == dump(sqlite_env)


TABLES = (
    "orders_order",
    "orders_orderline",
    "inventory_reservation",
    "payments_payment",
    "shipping_shipment",
    "notifications_notification",
)


def _drain_stock(shop: PgShop, product: int) -> None:
    import psycopg

    with psycopg.connect(shop.database_url) as conn:
        conn.execute(
            "UPDATE inventory_stockitem SET quantity = reserved + 1 WHERE product_id = %s",
            (product,),
        )
