"""``strangler proxy run``: bad options are refused before anything starts, naming the option."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from strangler_proxy.cli import main

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


def test_the_monolith_is_required() -> None:
    result = CliRunner().invoke(main, ["proxy", "run"])
    assert result.exit_code == 2 and "--monolith" in result.output


def test_help_shows_the_command_line_the_benchmark_uses() -> None:
    result = CliRunner().invoke(main, ["proxy", "run", "--help"])
    assert result.exit_code == 0
    for option in ("--listen", "--monolith", "--store", "--workers", "--admin-listen"):
        assert option in result.output
