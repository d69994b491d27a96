"""What only the SQLite store does: its file, its schema version, its URLs. The behaviour
both stores share is in test_contract.py."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from strangler_proxy.store import NoStore, SqliteFlagStore, StoreError, open_store


def test_store_urls(tmp_path: Path) -> None:
    assert isinstance(open_store(str(tmp_path / "plain.sqlite3"), create=True), SqliteFlagStore)
    assert isinstance(
        open_store(f"sqlite:///{tmp_path / 'url.sqlite3'}", create=True), SqliteFlagStore
    )
    with pytest.raises(ValueError, match="has no file path"):
        open_store("sqlite:///")
    with pytest.raises(ValueError, match=r"unsupported store URL 'redis://localhost'"):
        open_store("redis://localhost")


def test_a_missing_file_is_named_and_nothing_is_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(NoStore) as err:
        open_store("sqlite:///nonexistent/dir/flags.sqlite3")
    assert str(err.value) == (
        "no flag store at nonexistent/dir/flags.sqlite3 "
        f"(no such file: {tmp_path}/nonexistent/dir/flags.sqlite3); "
        "`strangler routes import` creates one"
    )
    assert list(tmp_path.iterdir()) == [], "no folder, no file"


def test_an_empty_file_is_no_store_and_stays_empty(tmp_path: Path) -> None:
    path = tmp_path / "flags.sqlite3"
    path.touch()
    with pytest.raises(NoStore, match="a database without its tables"):
        SqliteFlagStore(path)
    assert path.stat().st_size == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["flags.sqlite3"]
    assert SqliteFlagStore(path, create=True).version() == 0


def test_a_store_whose_file_goes_away_is_not_created_again(tmp_path: Path) -> None:
    """Only the first connection may create: a forked child reconnecting to a deleted
    file gets an error, not a new empty store."""
    path = tmp_path / "var" / "flags.sqlite3"
    store = SqliteFlagStore(path, create=True)
    for name in ("flags.sqlite3", "flags.sqlite3-wal", "flags.sqlite3-shm"):
        (path.parent / name).unlink(missing_ok=True)
    pid = os.fork()
    if pid == 0:  # the child reconnects (a connection is never shared across fork)
        code = 2
        try:
            store.version()
            code = 1
        except NoStore:
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert not path.exists()


def test_the_sqlite_store_needs_no_postgresql_driver(tmp_path: Path) -> None:
    """The mitmproxy environment has the standard library only: psycopg stays unimported."""
    check = (
        "import sys; from strangler_proxy.store import open_store; "
        "open_store(sys.argv[1], create=True).version(); "
        "assert 'psycopg' not in sys.modules, 'psycopg imported'"
    )
    url = f"sqlite:///{tmp_path / 'flags.sqlite3'}"
    subprocess.run([sys.executable, "-c", check, url], check=True, timeout=60)


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    SqliteFlagStore(path, create=True).close()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(StoreError, match="schema version 99"):
        SqliteFlagStore(path)


def test_the_file_is_in_wal_mode(tmp_path: Path) -> None:
    store = SqliteFlagStore(tmp_path / "flags.sqlite3", create=True)
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
