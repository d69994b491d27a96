"""The catalog backfill task's helper: its skip probe and how it gets the staff token (the
whole backfill runs in test_up.py, against the real monolith and service)."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pytest

from strangler_proxy.stack.backfill import BackfillFailed, main, staff_token
from strangler_proxy.stack.parts import EMPTY_DATABASE


def test_the_probe_says_empty_until_the_catalog_has_a_product(tmp_path: Path) -> None:
    var = tmp_path / "catalog"
    check = ["--check", str(var / "catalog.sqlite3"), "catalog_product"]
    assert main(check) == EMPTY_DATABASE, "no database yet"
    var.mkdir()
    with sqlite3.connect(var / "catalog.sqlite3") as db:
        db.execute("CREATE TABLE other (id INTEGER)")
    assert main(check) == EMPTY_DATABASE, "not migrated yet"
    with sqlite3.connect(var / "catalog.sqlite3") as db:
        db.execute("CREATE TABLE catalog_product (id INTEGER PRIMARY KEY)")
    assert main(check) == EMPTY_DATABASE
    with sqlite3.connect(var / "catalog.sqlite3") as db:
        db.execute("INSERT INTO catalog_product (id) VALUES (1)")
    assert main(check) == 0


def manage_py(tmp_path: Path, code: str) -> Path:
    """A stand-in for the monolith's manage.py."""
    script = tmp_path / "manage.py"
    script.write_text(code)
    return script


def test_the_staff_token_comes_from_drf_create_token(tmp_path: Path) -> None:
    said = "import sys; assert sys.argv[1:] == ['drf_create_token', 'staff']; "
    said += "print('Generated token 9a8b7c for user staff')"
    assert staff_token(sys.executable, manage_py(tmp_path, said)) == "9a8b7c"


def test_no_staff_user_is_named_with_the_monolith_output(tmp_path: Path) -> None:
    failing = "import sys; print('User matching query does not exist.'); sys.exit(1)"
    with pytest.raises(BackfillFailed, match="no token for the monolith's 'staff' user") as caught:
        staff_token(sys.executable, manage_py(tmp_path, failing))
    assert "User matching query does not exist." in str(caught.value)
