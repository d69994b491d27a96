"""``start_on_a_free_port`` gets past a port someone took after it was picked, and only that."""

from __future__ import annotations

import socket
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import tests.ports
from strangler_proxy.stack.process import ManagedProcess, ProcessFailed, free_port
from tests.ports import start_on_a_free_port

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
