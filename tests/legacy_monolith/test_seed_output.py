"""``seed_shop``'s output reads once: the progress bar redraws in place and leaves nothing
behind, on a terminal (a pseudo-terminal here) and in a pipe or a log."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import monolith_env
from tests.legacy_monolith.shop_db import MANAGE, manage

TITLE = "seed_shop --size default --seed 42"


@pytest.fixture(scope="module")
def empty_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty database file; each test seeds its own copy."""
    var_dir = tmp_path_factory.mktemp("migrated")
    done = manage(monolith_env(var_dir), "migrate", "--noinput", "-v0")
    assert done.returncode == 0, done.stderr
    return var_dir / "monolith.sqlite3"


def fresh_env(empty_db: Path, var_dir: Path) -> dict[str, str]:
    shutil.copy(empty_db, var_dir / "monolith.sqlite3")
    return monolith_env(var_dir)


def test_piped_output_has_each_line_once(empty_db: Path, tmp_path: Path) -> None:
    done = manage(fresh_env(empty_db, tmp_path), "seed_shop", "--size", "default")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].strip().startswith(TITLE), "the result table first: no bar, no blank line"
    assert [line for line, n in Counter(lines).items() if n > 1] == []
    assert "\r" not in done.stdout and "\x1b" not in done.stdout
    assert lines[-1].endswith("or staff / staff-demo-pass."), "the log-in line in one piece"


def test_on_a_terminal_the_bar_leaves_no_line_behind(empty_db: Path, tmp_path: Path) -> None:
    env = {**os.environ, **fresh_env(empty_db, tmp_path), "COLUMNS": "80", "TERM": "xterm"}
    leader, follower = os.openpty()
    seeding = subprocess.Popen(
        [*MANAGE, "seed_shop", "--size", "default"], stdout=follower, stderr=follower, env=env
    )
    os.close(follower)
    output = bytearray()
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
    os.close(leader)
    assert seeding.wait(timeout=120) == 0, output.decode(errors="replace")
    before_table = bytes(output[: output.index(TITLE.encode())])
    assert b"seeding" in before_table, "the bar was drawn"
    # Each frame starts with a carriage return and overwrites the last; the only line feed is
    # the one the bar's teardown takes back (cursor up, erase line) before the table.
    assert before_table.count(b"\n") == before_table.count(b"\x1b[1A") <= 1
