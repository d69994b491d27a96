"""The two readers: each side's catalog rows over a READ-ONLY connection (never its code).

SQLite is opened with a ``mode=ro`` URI, PostgreSQL in a read-only, repeatable-read
transaction; each side is read in one transaction, so its kinds come from one snapshot.
The SQL follows the tables the two sides' migrations create: the monolith's
``catalog_*``, ``reviews_review`` (author through ``customers_customer`` to
``auth_user.username``), the service's ``catalog_*`` (tags as a JSON list, the author's
username in the review).
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import quote

import psycopg
from psycopg.rows import dict_row

from strangler_proxy.reconcile.canonical import (
    CATALOG,
    CATEGORIES,
    PRICES,
    PRODUCTS,
    REVIEWS,
    Row,
    canonical,
)
from strangler_proxy.store.base import redact


class ReconcileError(RuntimeError):
    """A database that cannot be read; the message names the side, the URL and why, and
    ``option`` the command-line option that gave the URL."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(message)
        self.option = option


@dataclass(frozen=True)
class Side:
    """Where one side's rows are: its name (``monolith``), the option naming its URL."""

    name: str
    option: str
    url: str

    def fail(self, why: str) -> ReconcileError:
        return ReconcileError(self.option, f"{self.name} database {redact(self.url)}: {why}")


class Reader(Protocol):
    def tables(self) -> set[str]: ...

    def rows(self, sql: str) -> list[dict[str, object]]: ...


_CATEGORY = "SELECT id, name, slug, parent_id, description, created_at, updated_at FROM "
_PRODUCT = (
    "SELECT id, sku, name, description, category_id, price, weight_kg, is_active, rating_avg, "
    "rating_count, created_at, updated_at{tags} FROM catalog_product"
)
_PRICE = "SELECT id, product_id, price, changed_at, reason FROM catalog_pricehistory"
_REVIEW = (
    "SELECT r.id, r.product_id, {author} AS author, r.rating, r.title, r.body, r.helpful_count, "
    "r.verified_purchase, r.created_at, r.updated_at FROM {tables}"
)

#: side -> kind name -> SQL; the monolith's product tags come from their join table.
MONOLITH_SQL = {
    CATEGORIES.name: _CATEGORY + "catalog_category",
    PRODUCTS.name: _PRODUCT.format(tags=""),
    PRICES.name: _PRICE,
    REVIEWS.name: _REVIEW.format(
        author="u.username",
        tables="reviews_review r LEFT JOIN customers_customer c ON c.id = r.author_id "
        "LEFT JOIN auth_user u ON u.id = c.user_id",
    ),
}
MONOLITH_TAGS = (
    "SELECT pt.product_id, t.name FROM catalog_product_tags pt "
    "JOIN catalog_tag t ON t.id = pt.tag_id"
)
SERVICE_SQL = {
    CATEGORIES.name: _CATEGORY + "catalog_category",
    PRODUCTS.name: _PRODUCT.format(tags=", tags"),
    PRICES.name: _PRICE,
    REVIEWS.name: _REVIEW.format(author="r.author", tables="catalog_review r"),
}
MONOLITH_TABLES = (
    "catalog_category",
    "catalog_product",
    "catalog_product_tags",
    "catalog_tag",
    "catalog_pricehistory",
    "reviews_review",
    "customers_customer",
    "auth_user",
)
SERVICE_TABLES = ("catalog_category", "catalog_product", "catalog_pricehistory", "catalog_review")


def read_monolith(side: Side) -> dict[str, list[Row]]:
    """The monolith's catalog, canonical rows per kind."""
    with _reading(side, MONOLITH_TABLES) as reader:
        raw = {kind: reader.rows(sql) for kind, sql in MONOLITH_SQL.items()}
        tags: dict[object, list[str]] = defaultdict(list)
        for pair in reader.rows(MONOLITH_TAGS):
            tags[pair["product_id"]].append(str(pair["name"]))
    for product in raw[PRODUCTS.name]:
        product["tags"] = tags.get(product["id"], [])
    return _canonical(raw)


def read_service(side: Side) -> dict[str, list[Row]]:
    """The catalog service's rows, canonical rows per kind."""
    with _reading(side, SERVICE_TABLES) as reader:
        raw = {kind: reader.rows(sql) for kind, sql in SERVICE_SQL.items()}
    return _canonical(raw)


def _canonical(raw: Mapping[str, list[dict[str, object]]]) -> dict[str, list[Row]]:
    return {kind.name: [canonical(kind, row) for row in raw[kind.name]] for kind in CATALOG}


@contextmanager
def _reading(side: Side, needed: tuple[str, ...]) -> Iterator[Reader]:
    """A read-only snapshot of ``side``'s database with every ``needed`` table in it."""
    opener = _postgres if side.url.startswith(("postgres://", "postgresql://")) else _sqlite
    with opener(side) as reader:
        missing = [table for table in needed if table not in reader.tables()]
        if missing:
            raise side.fail(
                f"no table {', '.join(missing)} (not the {side.name}'s database, or not migrated)"
            )
        yield reader


def sqlite_path(url: str) -> Path:
    """The file of a ``sqlite:///relative`` or ``sqlite:////absolute`` URL (or a plain path).

    >>> sqlite_path("sqlite:////srv/var/monolith.sqlite3"), sqlite_path("sqlite:///var/a.db")
    (PosixPath('/srv/var/monolith.sqlite3'), PosixPath('var/a.db'))
    """
    return Path(url.removeprefix("sqlite:///"))


class _SqliteReader:
    def __init__(self, side: Side, conn: sqlite3.Connection) -> None:
        self.side, self.conn = side, conn

    def tables(self) -> set[str]:
        return {row[0] for row in self.conn.execute("SELECT name FROM sqlite_master")}

    def rows(self, sql: str) -> list[dict[str, object]]:
        try:
            return [dict(row) for row in self.conn.execute(sql)]
        except sqlite3.Error as exc:
            raise self.side.fail(f"{exc} (reading: {sql})") from exc


@contextmanager
def _sqlite(side: Side) -> Iterator[Reader]:
    if not side.url.startswith("sqlite:///") and "://" in side.url:
        raise side.fail("expected sqlite:///PATH or postgresql://...")
    path = sqlite_path(side.url)
    if not path.is_file():
        raise side.fail(f"no database file {path} (is the stack set up? `strangler up`)")
    try:
        conn = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise side.fail(str(exc)) from exc
    conn.row_factory = sqlite3.Row
    conn.isolation_level = None
    try:
        conn.execute("BEGIN")  # one snapshot for every kind
        yield _SqliteReader(side, conn)
    except sqlite3.DatabaseError as exc:
        raise side.fail(f"not a readable SQLite database: {exc}") from exc
    finally:
        conn.close()


class _PostgresReader:
    def __init__(self, side: Side, conn: psycopg.Connection[dict[str, object]]) -> None:
        self.side, self.conn = side, conn

    def tables(self) -> set[str]:
        found = self.conn.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = ANY(current_schemas(false))"
        )
        return {str(row["table_name"]) for row in found}

    def rows(self, sql: str) -> list[dict[str, object]]:
        try:
            return list(self.conn.execute(sql))
        except psycopg.Error as exc:
            raise self.side.fail(f"{exc} (reading: {sql})") from exc


@contextmanager
def _postgres(side: Side) -> Iterator[Reader]:
    try:
        conn = psycopg.connect(side.url, row_factory=dict_row, connect_timeout=10)
    except psycopg.Error as exc:
        raise side.fail(f"cannot connect: {exc}") from exc
    with conn:
        conn.read_only = True
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        yield _PostgresReader(side, conn)
        conn.rollback()
