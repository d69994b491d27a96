"""The store tests run against both backends: ``store_url`` is a fresh, empty store, once
on SQLite (a file in ``tmp_path``) and once on PostgreSQL (a schema of its own, chosen with
``search_path`` in the URL, in a database made for this test session and dropped after it).

PostgreSQL is the server on 127.0.0.1:5432, user postgres, trust auth
(``STRANGLER_TEST_POSTGRES`` to point elsewhere). Its parameter is skipped, with that reason,
only when nothing answers there; a server that answers but refuses us fails the tests.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from psycopg import sql

SERVER_URL = os.environ.get(
    "STRANGLER_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def server_answers(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), 2):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """``strangler_test_<random>`` on the server: its URL; dropped at the end of the session."""
    if not server_answers(SERVER_URL):
        pytest.skip(f"no PostgreSQL server answers at {SERVER_URL}")
    name = f"strangler_test_{secrets.token_hex(6)}"
    with psycopg.connect(SERVER_URL, autocommit=True, connect_timeout=5) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield SERVER_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with psycopg.connect(SERVER_URL, autocommit=True, connect_timeout=5) as admin:
            drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            admin.execute(drop.format(sql.Identifier(name)))


@pytest.fixture
def postgres_url(postgres_database: str) -> str:
    """An empty schema of the session's database, as a store URL that works in it."""
    schema = f"t_{secrets.token_hex(6)}"
    with psycopg.connect(postgres_database, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    return f"{postgres_database}?options=-csearch_path%3D{schema}"


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a new, empty flag store on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'flags.sqlite3'}"
    return str(request.getfixturevalue("postgres_url"))
