"""`strangler up` as users run it: a real process tree, stopped by a real signal."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from strangler_proxy.stack.process import free_port

STRANGLER = Path(sys.executable).parent / "strangler"


def start_up(var_dir: Path, port: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            str(STRANGLER),
            "up",
            "--monolith-port",
            str(port),
            "--seed-size",
            "tiny",
            "--var-dir",
            str(var_dir),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )


class Output:
    """Collects a process's output lines as they come (a thread reads the pipe)."""

    def __init__(self, up: subprocess.Popen[str]) -> None:
        self.up = up
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.up.stdout is not None
        for line in self.up.stdout:
            self.lines.append(line)

    @property
    def text(self) -> str:
        return "".join(self.lines)

    def wait_for(self, marker: str, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while marker not in self.text:
            assert self.up.poll() is None or self.reader.is_alive(), (
                f"strangler up exited early:\n{self.text}"
            )
            assert time.monotonic() < deadline, f"no {marker!r} in time:\n{self.text}"
            time.sleep(0.2)

    def finish(self, timeout: float = 30.0) -> str:
        self.up.wait(timeout)
        self.reader.join(timeout)
        return self.text


def group_is_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


def wait_gone(pgid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if group_is_gone(pgid):
            return True
        time.sleep(0.1)
    return False


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One state directory for the module: the first `up` seeds it, the next one finds data."""
    return tmp_path_factory.mktemp("stack")


@pytest.fixture
def up_and_running(var_dir: Path) -> Iterator[tuple[subprocess.Popen[str], Output, int, int]]:
    """`strangler up` on a free port, its welcome printed: (process, output, port, gunicorn pid)."""
    port = free_port()
    up = start_up(var_dir, port)
    output = Output(up)
    try:
        output.wait_for("strangler traffic --target")  # the last line of the welcome
        assert httpx.get(f"http://127.0.0.1:{port}/health/", trust_env=False).status_code == 200
        gunicorn = int((var_dir / "run" / "monolith.pid").read_text())
        yield up, output, port, gunicorn
    finally:
        if up.poll() is None:
            up.kill()
            up.wait()


@pytest.mark.slow
def test_sigterm_stops_the_whole_stack_and_exits_zero(
    up_and_running: tuple[subprocess.Popen[str], Output, int, int], var_dir: Path
) -> None:
    up, out, port, gunicorn = up_and_running
    token = httpx.post(
        f"http://127.0.0.1:{port}/api/auth/token/",
        json={"username": "customer0001", "password": "shop-demo-pass"},
        trust_env=False,
    )
    assert token.status_code == 200, "the seeded demo account signs in"

    up.send_signal(signal.SIGTERM)
    output = out.finish()

    assert up.returncode == 0, output
    assert wait_gone(gunicorn), "gunicorn's master and workers are gone"
    assert f"http://127.0.0.1:{port}" in output
    assert str(var_dir / "logs" / "monolith.log") in output
    assert "Authorization: Token " in output and "customer0001" in output
    assert "monolith: stopped" in output


@pytest.mark.slow
def test_a_dying_service_is_named_and_the_rest_stopped(
    up_and_running: tuple[subprocess.Popen[str], Output, int, int],
) -> None:
    up, out, _, gunicorn = up_and_running
    os.killpg(gunicorn, signal.SIGKILL)  # the monolith crashes, workers and all
    output = out.finish()

    assert up.returncode == 1, output
    assert "monolith exited on its own (exit code -9); stopping the rest" in output
    assert wait_gone(gunicorn)


@pytest.mark.slow
def test_only_an_empty_database_is_seeded(var_dir: Path) -> None:
    for _ in range(2):  # the first run may seed (if no other test did); the second never does
        up = start_up(var_dir, free_port())
        out = Output(up)
        out.wait_for("strangler traffic --target")
        up.send_signal(signal.SIGINT)
        output = out.finish()
        assert up.returncode == 0, output
    assert "seed: skipped, the database has data already" in output
    assert "migrate: running" in output, "migrations still run: a new version may bring some"


def test_a_busy_port_is_a_clear_error(var_dir: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        up = start_up(var_dir, port)
        output, _ = up.communicate(timeout=120)
    assert up.returncode == 1, output
    assert f"monolith cannot start: 127.0.0.1:{port} is already in use" in output
    assert "Traceback" not in output


def test_a_var_dir_that_cannot_be_created_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = subprocess.run(
        [
            str(STRANGLER),
            "up",
            "--monolith-port",
            str(free_port()),
            "--var-dir",
            str(blocker / "var"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "(--var-dir)" in result.stderr and "Traceback" not in result.stderr


def test_a_bad_option_is_named() -> None:
    result = subprocess.run(
        [str(STRANGLER), "up", "--monolith-port", "0"], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "--monolith-port" in result.stderr
