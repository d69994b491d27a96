"""What only the SQLite store does: its file, its schema version, its URLs. The behaviour
both stores share is in test_contract.py."""

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from strangler_proxy.store import SqliteFlagStore, StoreError, open_store


def test_store_urls(tmp_path: Path) -> None:
    assert isinstance(open_store(str(tmp_path / "plain.sqlite3")), SqliteFlagStore)
    assert isinstance(open_store(f"sqlite:///{tmp_path / 'url.sqlite3'}"), SqliteFlagStore)
    with pytest.raises(ValueError, match="has no file path"):
        open_store("sqlite:///")
    with pytest.raises(ValueError, match=r"unsupported store URL 'redis://localhost'"):
        open_store("redis://localhost")


def test_the_sqlite_store_needs_no_postgresql_driver(tmp_path: Path) -> None:
    """The mitmproxy environment has the standard library only: psycopg stays unimported."""
    check = (
        "import sys; from strangler_proxy.store import open_store; "
        "open_store(sys.argv[1]).version(); "
        "assert 'psycopg' not in sys.modules, 'psycopg imported'"
    )
    url = f"sqlite:///{tmp_path / 'flags.sqlite3'}"
    subprocess.run([sys.executable, "-c", check, url], check=True, timeout=60)


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    SqliteFlagStore(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(StoreError, match="schema version 99"):
        SqliteFlagStore(path)


def test_the_file_is_in_wal_mode(tmp_path: Path) -> None:
    store = SqliteFlagStore(tmp_path / "flags.sqlite3")
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
