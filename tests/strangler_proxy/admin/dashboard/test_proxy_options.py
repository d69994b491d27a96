"""``strangler proxy run``'s dashboard options are checked before anything starts."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from strangler_proxy.cli import main


def test_a_bad_events_source_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "admin.token").write_text("0123456789abcdef0123\n")
    args = ["proxy", "run", "--monolith", "http://127.0.0.1:9", "--listen", "127.0.0.1:0",
            "--store", f"sqlite:///{tmp_path / 'none.sqlite3'}",
            "--events-source", "no-equals-sign"]  # fmt: skip

    result = CliRunner().invoke(main, args)

    assert result.exit_code == 2
    assert "--events-source" in result.output and "expected NAME=URL" in result.output
