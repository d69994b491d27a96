"""The service's database on PostgreSQL (its own migrations, the backfilled rows copied in):
the reader's read-only transaction, ``numeric``, ``timestamptz``, ``jsonb`` tags and
``boolean`` read to the same canonical rows as SQLite's."""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import subprocess
import sys
from collections.abc import Iterator

import psycopg
import pytest
from click.testing import CliRunner
from psycopg import sql
from psycopg.types.json import Jsonb

from strangler_proxy.cli import main
from strangler_proxy.reconcile.readers import SERVICE_TABLES
from tests.extracted_services.catalog.service import catalog_env
from tests.strangler_proxy.reconcile.conftest import Sides
from tests.strangler_proxy.store.conftest import SERVER_URL, server_answers

pytestmark = pytest.mark.postgres
BOOLEANS = {"is_active", "verified_purchase"}


@pytest.fixture
def service_pg(sides: Sides) -> Iterator[str]:
    """A database made by the service's own migrations, holding the backfilled rows."""
    if not server_answers(SERVER_URL):
        pytest.skip(f"no PostgreSQL server answers at {SERVER_URL}")
    name = f"reconcile_{secrets.token_hex(6)}"
    with psycopg.connect(SERVER_URL, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = SERVER_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        env = {**os.environ, **catalog_env(sides.service.parent), "DATABASE_URL": url}
        argv = [sys.executable, "-m", "extracted_services.catalog.manage", "migrate", "-v0"]
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        copy_rows(sides, url)
        yield url
    finally:
        with psycopg.connect(SERVER_URL, autocommit=True) as admin:
            drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            admin.execute(drop.format(sql.Identifier(name)))


def copy_rows(sides: Sides, url: str) -> None:
    with sqlite3.connect(sides.service) as source, psycopg.connect(url) as target:
        source.row_factory = sqlite3.Row
        target.execute("SET TIME ZONE 'Europe/Berlin'")  # aware datetimes, not UTC ones
        for table in SERVICE_TABLES:
            for row in source.execute(f"SELECT * FROM {table}"):
                values = {k: convert(k, v) for k, v in dict(row).items()}
                insert = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
                    sql.Identifier(table),
                    sql.SQL(", ").join(map(sql.Identifier, values)),
                    sql.SQL(", ").join(sql.Placeholder() * len(values)),
                )
                target.execute(insert, list(values.values()))


def convert(column: str, value: object) -> object:
    """SQLite's value as PostgreSQL takes it: booleans, jsonb tags, datetimes said in UTC."""
    if column in BOOLEANS:
        return bool(value)
    if column == "tags" and isinstance(value, str):
        return Jsonb(json.loads(value))
    if column.endswith("_at") and isinstance(value, str):
        return value + "+00:00"
    return value


def test_a_postgresql_service_against_the_sqlite_monolith(sides: Sides, service_pg: str) -> None:
    args = ["reconcile", "catalog", "--var-dir", str(sides.var_dir), "--service-db", service_pg]
    same = CliRunner().invoke(main, [*args, "--json"])
    assert same.exit_code == 0, same.output
    assert json.loads(same.output)["drift"] is False
    with psycopg.connect(service_pg, autocommit=True) as conn:
        conn.execute(
            "UPDATE catalog_product SET price = 0.99, is_active = NOT is_active WHERE id = 2"
        )
    changed = CliRunner().invoke(main, [*args, "--json"])
    assert changed.exit_code == 1
    kinds = {k["kind"]: k["rows"] for k in json.loads(changed.output)["kinds"] if k["drift"]}
    (row,) = kinds["products"]
    assert (row["id"], set(row["fields"])) == (2, {"price", "is_active"})
    assert row["fields"]["price"]["service"] == "0.99"
