"""The mitmproxy addon on a store that is not there: mitmdump stops at startup, the option
named, and nothing is created (a typo must not route everything to the monolith)."""

import subprocess
from pathlib import Path

from tests.strangler_proxy.mitm.conftest import mitmdump_argv

TYPO = "sqlite:///nonexistent/dir/flags.sqlite3"


def test_mitmdump_stops_on_a_store_that_is_not_there(mitm_env: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"  # where the relative store path is looked for
    work.mkdir()
    argv = mitmdump_argv(mitm_env, tmp_path, "http://127.0.0.1:9", TYPO)
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=work)
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert (
        f"strangler_store={TYPO!r}: no flag store at nonexistent/dir/flags.sqlite3 "
        f"(no such file: {work}/nonexistent/dir/flags.sqlite3)"
    ) in output
    assert list(work.iterdir()) == [], "nothing created"
