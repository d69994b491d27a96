"""``strangler proxy run``: bad options are refused before anything starts, naming the option."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from strangler_proxy.cli import main
from strangler_proxy.store import open_store

MONOLITH = ("--monolith", "http://127.0.0.1:8000")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--monolith", "ftp://shop"), "--monolith: upstream URL must be http://host[:port]"),
        (("--listen", "8080", *MONOLITH), "--listen: expected HOST:PORT, got '8080'"),
        (("--listen", "127.0.0.1:99999", *MONOLITH), "--listen: expected HOST:PORT"),
        (("--workers", "0", *MONOLITH), "--workers: must be greater than 0, got 0"),
        (("--read-timeout", "0", *MONOLITH), "--read-timeout: must be greater than 0"),
        (("--trusted-hops", "-1", *MONOLITH), "--trusted-hops: must be 0 or more, got -1"),
        (("--health-path", "health", *MONOLITH), "--health-path: must start with '/'"),
        (("--store", "mysql://db", *MONOLITH), "--store: unsupported store URL 'mysql://db'"),
        (
            ("--access-log", "/no/such/dir/access.log", *MONOLITH),
            "--access-log: no such directory for '/no/such/dir/access.log'",
        ),
        (("--access-log", "/proc/version", *MONOLITH), "--access-log: cannot append to"),
        (
            ("--admin-listen", "127.0.0.1:8081", *MONOLITH),
            "--admin-token-file: required with --admin-listen (no token, no flip)",
        ),
        (
            ("--admin-listen", "127.0.0.1:8081", "--admin-token-file", "nope.token", *MONOLITH),
            "--admin-token-file: no such file nope.token",
        ),
    ],
)
def test_bad_options_are_named(args: tuple[str, ...], message: str) -> None:
    result = CliRunner().invoke(main, ["proxy", "run", *args])
    assert result.exit_code == 2
    assert message in result.output


def test_an_empty_token_file_is_refused(tmp_path: Path) -> None:
    token = tmp_path / "admin.token"
    token.write_text("\n")
    args = ["--admin-listen", "127.0.0.1:8081", "--admin-token-file", str(token), *MONOLITH]
    result = CliRunner().invoke(main, ["proxy", "run", *args])
    assert result.exit_code == 2
    assert f"--admin-token-file: {token} is empty (no token, no flip)" in result.output


def test_a_weak_token_is_refused(tmp_path: Path) -> None:
    token = tmp_path / "admin.token"
    token.write_text("t0ken\n")
    args = ["--admin-listen", "127.0.0.1:8081", "--admin-token-file", str(token), *MONOLITH]
    result = CliRunner().invoke(main, ["proxy", "run", *args])
    assert result.exit_code == 2
    assert "--admin-token-file: admin token 'admin' is too short" in result.output


def test_a_taken_admin_port_stops_the_start(tmp_path: Path) -> None:
    token = tmp_path / "admin.token"
    token.write_text("a-long-enough-admin-token\n")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        admin = f"127.0.0.1:{taken.getsockname()[1]}"
        open_store(f"sqlite:///{tmp_path / 'f.db'}", create=True).close()
        result = subprocess.run(
            [str(Path(sys.executable).parent / "strangler"), "proxy", "run", *MONOLITH,
             "--listen", "127.0.0.1:0", "--store", f"sqlite:///{tmp_path / 'f.db'}",
             "--admin-listen", admin, "--admin-token-file", str(token)],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
    assert result.returncode == 1
    assert f"Error: --admin-listen: cannot listen on {admin}: Address already in use" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr


def test_a_taken_proxy_port_is_named_without_a_traceback(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        listen = f"127.0.0.1:{taken.getsockname()[1]}"
        open_store(f"sqlite:///{tmp_path / 'f.db'}", create=True).close()
        result = subprocess.run(
            [str(Path(sys.executable).parent / "strangler"), "proxy", "run", *MONOLITH,
             "--listen", listen, "--store", f"sqlite:///{tmp_path / 'f.db'}"],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
    assert result.returncode == 1
    assert f"Error: --listen: cannot listen on {listen}: Address already in use" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_monolith_is_required() -> None:
    result = CliRunner().invoke(main, ["proxy", "run"])
    assert result.exit_code == 2 and "--monolith" in result.output


def test_help_shows_the_command_line_the_benchmark_uses() -> None:
    result = CliRunner().invoke(main, ["proxy", "run", "--help"])
    assert result.exit_code == 0
    for option in ("--listen", "--monolith", "--store", "--workers", "--admin-listen"):
        assert option in result.output
