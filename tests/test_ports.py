"""A child on port 0 is found where it says it listens (``ManagedProcess(announces=...)``);
for a child that cannot bind port 0 (nginx), ``start_on_a_free_port`` gets past a port
someone took after it was picked, and only that."""

from __future__ import annotations

import re
import socket
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import tests.ports
from strangler_proxy.stack.process import ManagedProcess, ProcessFailed, free_port
from tests.ports import start_on_a_free_port
from tests.strangler_proxy.standin import LISTENING

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def taken() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def standin(tmp_path: Path) -> Callable[[int], ManagedProcess]:
    def make(port: int) -> ManagedProcess:
        argv = [sys.executable, "-m", "tests.strangler_proxy.standin", "x", str(port)]
        return ManagedProcess(
            "standin",
            argv,
            health_url=f"http://127.0.0.1:{port}/health/",
            cwd=ROOT,
            log_path=tmp_path / f"standin-{port}.log",
            start_timeout=10,
        )

    return make


def test_a_port_taken_in_between_is_passed_over(
    taken: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ports = iter([taken, free_port()])
    monkeypatch.setattr(tests.ports, "free_port", lambda: next(ports))
    proc = start_on_a_free_port(standin(tmp_path))
    try:
        assert proc.running() and not proc.base_url.endswith(f":{taken}")
        assert "already in use" in (tmp_path / f"standin-{taken}.log").read_text().lower()
    finally:
        proc.stop()


def test_any_other_failure_is_not_retried(
    taken: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tests.ports, "free_port", lambda: taken)
    with pytest.raises(ProcessFailed, match="already in use"):  # taken every time: gives up
        start_on_a_free_port(standin(tmp_path), attempts=2)
    calls = []

    def broken(port: int) -> ManagedProcess:
        calls.append(port)
        return ManagedProcess(
            "broken", [sys.executable, "-c", "raise SystemExit(3)"],
            health_url=f"http://127.0.0.1:{port}/", log_path=tmp_path / "broken.log",
        )  # fmt: skip

    with pytest.raises(ProcessFailed, match="exited with code 3"):
        start_on_a_free_port(broken)
    assert len(calls) == 1


def test_a_child_on_port_zero_is_found_where_it_says(tmp_path: Path) -> None:
    argv = [sys.executable, "-m", "tests.strangler_proxy.standin", "x", "0"]
    log = tmp_path / "standin.log"
    log.write_text("standin old listening on http://127.0.0.1:1\n")  # a previous run's line
    child = ManagedProcess(
        "standin",
        argv,
        health_url="http://127.0.0.1:{port}/health/",
        announces=LISTENING,
        cwd=ROOT,
        log_path=log,
    )
    with child:
        port = int(child.announced["port"])
        assert port not in (0, 1) and child.port == port
        assert child.base_url == f"http://127.0.0.1:{port}"


def test_a_child_that_exits_before_saying_where_fails_with_its_output(tmp_path: Path) -> None:
    argv = [sys.executable, "-c", "print('no socket for me'); raise SystemExit(4)"]
    child = ManagedProcess(
        "mute",
        argv,
        health_url="http://127.0.0.1:{port}/",
        announces=LISTENING,
        log_path=tmp_path / "mute.log",
    )
    with pytest.raises(ProcessFailed, match=r"(?s)code 4 before it said where.*no socket for me"):
        child.start()


def test_a_child_that_never_says_where_is_stopped_after_its_start_timeout(tmp_path: Path) -> None:
    argv = [sys.executable, "-c", "import time; print('busy', flush=True); time.sleep(60)"]
    child = ManagedProcess(
        "silent",
        argv,
        health_url="http://127.0.0.1:{port}/",
        announces=re.compile(r"listening on :(?P<port>\d+)"),
        log_path=tmp_path / "silent.log",
        start_timeout=1,
    )
    with pytest.raises(ProcessFailed, match="did not say where it listens within 1 s"):
        child.start()
    assert not child.running()


def test_announcing_needs_a_log_to_read_it_from() -> None:
    with pytest.raises(ValueError, match="needs a log_path"):
        ManagedProcess("x", ["x"], health_url="http://127.0.0.1:{port}/", announces=LISTENING)
