"""The mitmproxy addon on a store that is not there: mitmdump stops at startup, the option
named, and nothing is created (a typo must not route everything to the monolith). So does
an evidence store it could never write to."""

import subprocess
from pathlib import Path

from strangler_proxy.store import open_store
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


def test_mitmdump_stops_on_an_evidence_url_it_cannot_use(mitm_env: Path, tmp_path: Path) -> None:
    """Caught at startup, not by the first sample: ``.venv-mitm`` has no psycopg, and an
    unknown scheme is no store at all."""
    store = tmp_path / "flags.sqlite3"
    open_store(f"sqlite:///{store}", create=True).close()
    for url, said in [
        ("mysql://evidence", "unsupported evidence URL 'mysql://evidence'"),
        ("postgresql://nobody@127.0.0.1:9/x", "No module named 'psycopg'"),
    ]:
        argv = mitmdump_argv(
            mitm_env, tmp_path, "http://127.0.0.1:9", f"sqlite:///{store}",
            "--set", f"strangler_evidence={url}",
        )  # fmt: skip
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=tmp_path)
        output = done.stdout + done.stderr
        assert done.returncode != 0, output
        assert f"strangler_evidence={url!r}: " in output and said in output, output
