"""A read-only connection to the monolith's database (never its code).

SQLite is opened as a ``mode=ro`` URI (the file cannot be written, nor created when the path
is wrong); PostgreSQL with ``default_transaction_read_only`` (every transaction of the
session is read-only: a write fails in the server). Both answer plain rows to the same
queries; ``{p}`` in a query is the driver's placeholder.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import dj_database_url
import psycopg


class SourceError(RuntimeError):
    """The monolith's database could not be opened or read; the message names the URL."""


def redact(url: str) -> str:
    """The URL without its password.

    >>> redact("postgres://shop:secret@127.0.0.1:5432/shop")
    'postgres://shop:***@127.0.0.1:5432/shop'
    >>> redact("sqlite:////var/monolith.sqlite3")
    'sqlite:////var/monolith.sqlite3'
    """
    parts = urlsplit(url)
    if not parts.password:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


class Source(Protocol):
    url: str

    def rows(self, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    def close(self) -> None: ...


class SqliteSource:
    def __init__(self, url: str, path: str) -> None:
        self.url = redact(url)
        uri = f"{Path(path).resolve().as_uri()}?mode=ro"
        try:
            self.db = sqlite3.connect(uri, uri=True, timeout=20)
            self.db.execute("SELECT 1 FROM sqlite_master LIMIT 1")
        except sqlite3.Error as exc:
            raise SourceError(f"cannot open {self.url} read-only: {exc}") from exc

    def rows(self, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return self.db.execute(query.format(p="?"), tuple(params)).fetchall()
        except sqlite3.Error as exc:
            raise SourceError(f"{self.url}: {exc}") from exc

    def close(self) -> None:
        self.db.close()


class PostgresSource:
    def __init__(self, url: str) -> None:
        self.url = redact(url)
        try:
            self.db = psycopg.connect(
                url,
                options="-c default_transaction_read_only=on",
                connect_timeout=10,
                autocommit=True,
            )
        except psycopg.Error as exc:
            raise SourceError(f"cannot connect to {self.url}: {exc}".strip()) from exc

    def rows(self, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            with self.db.cursor() as cursor:
                cursor.execute(query.format(p="%s"), tuple(params))
                return cursor.fetchall()
        except psycopg.Error as exc:
            raise SourceError(f"{self.url}: {exc}".strip()) from exc

    def close(self) -> None:
        self.db.close()


def open_source(url: str) -> Source:
    """The monolith's database at ``url`` (``sqlite:///path`` or ``postgres://...``)."""
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        name = dj_database_url.parse(url)["NAME"]
        if not name or name == ":memory:":
            raise SourceError(f"{redact(url)}: names no database file")
        return SqliteSource(url, str(name))
    if scheme in ("postgres", "postgresql"):
        return PostgresSource(url)
    raise SourceError(
        f"{redact(url)}: give the monolith's database as sqlite:///PATH or postgres://..."
    )
