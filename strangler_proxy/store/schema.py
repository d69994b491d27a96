"""The flag store's SQLite schema, versioned with ``PRAGMA user_version``.

A new version adds a step to ``migrate`` (run in one ``BEGIN IMMEDIATE`` transaction, so
two processes opening a fresh file at once cannot both create it).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from strangler_proxy.store.base import StoreError

SCHEMA_VERSION = 2
SCHEMA = """
CREATE TABLE state (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL);
INSERT INTO state (id, version) VALUES (1, 0);
CREATE TABLE routes (
    id TEXT PRIMARY KEY,
    methods TEXT NOT NULL,          -- comma-separated and sorted, empty = any method
    template TEXT NOT NULL,
    service TEXT,
    mode TEXT NOT NULL,
    percent INTEGER NOT NULL,
    priority INTEGER NOT NULL,
    shadow_writes INTEGER NOT NULL DEFAULT 0  -- 1: shadow copies of writes are sent too
);
CREATE TABLE services (name TEXT PRIMARY KEY, instances TEXT NOT NULL);  -- JSON list
CREATE TABLE audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    route TEXT,
    service TEXT,
    before TEXT,                    -- JSON or NULL
    after TEXT,                     -- JSON or NULL
    reason TEXT NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX audit_by_route ON audit (route, seq);
"""


#: STEPS[n] takes a store from version n + 1 to n + 2
STEPS = ("ALTER TABLE routes ADD COLUMN shadow_writes INTEGER NOT NULL DEFAULT 0",)


def has_schema(conn: sqlite3.Connection) -> bool:
    """Whether the file holds the flag store (any version), without writing to it."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0]) > 0


def migrate(conn: sqlite3.Connection, path: Path) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        found = conn.execute("PRAGMA user_version").fetchone()[0]
        if found == 0:
            for statement in SCHEMA.split(";"):  # not executescript(): it would COMMIT
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        elif found < SCHEMA_VERSION:
            for step in STEPS[found - 1 :]:
                conn.execute(step)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        elif found > SCHEMA_VERSION:
            raise StoreError(
                f"{path} has schema version {found}, newer than this toolkit's {SCHEMA_VERSION}"
            )
        conn.execute("COMMIT")
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
