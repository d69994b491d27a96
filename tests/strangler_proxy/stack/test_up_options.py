"""`strangler up` checks every option, and that its ports are free, before it does any
work: a bad one is named, nothing runs and nothing is made in the var dir."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from strangler_proxy.cli import up as command
from strangler_proxy.stack.process import free_port

STRANGLER = Path(sys.executable).parent / "strangler"


def up(*args: str) -> subprocess.CompletedProcess[str]:
    ports = {free_port() for _ in range(3)}  # never the default ports: another stack's
    while len(ports) < 3:
        ports.add(free_port())
    monolith, proxy, admin = sorted(ports)
    argv = [str(STRANGLER), "up", "--monolith-port", str(monolith), "--proxy-port", str(proxy)]
    argv += ["--admin-port", str(admin), *args]  # a later --admin-port wins
    return subprocess.run(argv, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--seed-size", "huge"],
            "Invalid value for '--seed-size': 'huge' is not one of 'tiny', 'small', 'default', "
            "'large'",
        ),
        (["--admin-port", "0"], "Invalid value for '--admin-port': must be a TCP port 1-65535"),
    ],
)
def test_a_bad_option_stops_up_before_any_work(
    args: list[str], message: str, tmp_path: Path
) -> None:
    var = tmp_path / "var"
    done = up(*args, "--var-dir", str(var))
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr
    assert "migrate" not in done.stdout + done.stderr, "nothing ran"
    assert not var.exists(), "nothing made in the var dir"


def test_a_var_dir_that_cannot_be_created_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    done = up("--var-dir", str(blocker / "var"))
    assert done.returncode == 2
    assert (
        f"Invalid value for '--var-dir': cannot create {blocker}/var: {blocker} is not a directory"
    ) in done.stderr
    assert "Traceback" not in done.stderr


def test_a_taken_admin_port_is_named_as_the_admin_port(tmp_path: Path) -> None:
    var = tmp_path / "var"
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        done = up("--admin-port", str(port), "--var-dir", str(var))
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert (
        f"proxy's admin API cannot start: 127.0.0.1:{port} (--admin-port) is already in use "
        "(another `strangler up`? pick another --admin-port)"
    ) in output
    assert "migrate" not in output, "found before any set-up runs"
    assert not var.exists(), "nothing made in the var dir"
    assert "Traceback" not in output


def test_without_prometheus_up_prometheus_names_make_prometheus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("shutil.which", lambda name: None)
    monkeypatch.setattr(command, "DEBIAN_BINARY", tmp_path / "no-prometheus-here")
    var = tmp_path / "var"
    done = CliRunner().invoke(command.up, ["--prometheus", "--var-dir", str(var)])
    assert done.exit_code == 1, done.output
    assert "prometheus is not installed: `make prometheus` installs" in done.output
    assert not var.exists(), "nothing made in the var dir"
