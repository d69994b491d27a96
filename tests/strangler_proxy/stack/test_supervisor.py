"""The supervisor with stand-in services (real processes: python -m http.server)."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from types import MappingProxyType

import pytest

from strangler_proxy.stack.process import free_port
from strangler_proxy.stack.spec import ServiceSpec, StackSpec, Task
from strangler_proxy.stack.supervisor import Running, StackFailed, Supervisor


def web(name: str, directory: Path) -> ServiceSpec:
    port = free_port()
    argv = (
        sys.executable,
        "-m",
        "http.server",
        str(port),
        "--bind",
        "127.0.0.1",
        "--directory",
        str(directory),
    )
    return ServiceSpec(name, argv, port, log_name=f"{name}.log", health_path="/")


def python(code: str) -> tuple[str, ...]:
    return (sys.executable, "-c", code)


def stack(tmp_path: Path, *services: ServiceSpec, prepare: tuple[Task, ...] = ()) -> StackSpec:
    return StackSpec(tmp_path / "var", tmp_path, MappingProxyType({}), prepare, services)


def gone(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_a_dying_service_stops_the_others(tmp_path: Path) -> None:
    said: list[str] = []
    supervisor = Supervisor(
        stack(tmp_path, web("api", tmp_path), web("proxy", tmp_path)),
        say=said.append,
        poll_interval=0.1,
    )
    seen: list[Running] = []

    def crash_the_first(running: list[Running]) -> None:
        seen.extend(running)
        assert running[0].pid is not None
        os.killpg(running[0].pid, signal.SIGKILL)

    assert supervisor.run(on_ready=crash_the_first) == 1
    assert [r.spec.name for r in seen] == ["api", "proxy"]
    assert any(line.startswith("api exited on its own") for line in said), said
    assert "proxy: stopped" in said
    assert all(r.pid is not None and gone(r.pid) for r in seen)


def test_a_signal_stops_everything_last_started_first(tmp_path: Path) -> None:
    said: list[str] = []
    supervisor = Supervisor(
        stack(tmp_path, web("api", tmp_path), web("proxy", tmp_path)),
        say=said.append,
        poll_interval=0.1,
    )
    pids: list[int | None] = []

    def press_ctrl_c(running: list[Running]) -> None:
        pids.extend(r.pid for r in running)
        os.kill(os.getpid(), signal.SIGINT)

    assert supervisor.run(on_ready=press_ctrl_c) == 0
    assert said[-2:] == ["proxy: stopped", "api: stopped"]
    assert all(pid is not None and gone(pid) for pid in pids)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler, "handlers restored"


def test_tasks_run_in_order_and_a_probe_can_skip_one(tmp_path: Path) -> None:
    marker = tmp_path / "seeded"
    tasks = (
        Task("first", python(f"open({str(marker)!r}, 'w').write('1')")),
        Task(
            "again",
            python("raise SystemExit(9)"),
            skip_probe=python("pass"),
            skip_reason="nothing to do",
        ),
    )
    said: list[str] = []
    supervisor = Supervisor(stack(tmp_path, prepare=tasks), say=said.append, poll_interval=0.1)

    assert supervisor.run(on_ready=lambda running: os.kill(os.getpid(), signal.SIGTERM)) == 0
    assert marker.read_text() == "1"
    assert "again: skipped, nothing to do" in said


def test_a_failing_task_is_named_with_its_output(tmp_path: Path) -> None:
    tasks = (Task("migrate", python("import sys; print('no such table'); sys.exit(3)")),)
    supervisor = Supervisor(stack(tmp_path, prepare=tasks), say=lambda line: None)
    with pytest.raises(StackFailed, match="migrate failed with exit code 3") as caught:
        supervisor.run()
    assert "no such table" in str(caught.value)


def test_a_probe_that_breaks_is_not_taken_for_an_answer(tmp_path: Path) -> None:
    tasks = (Task("seed", python("pass"), skip_probe=python("raise SystemExit(1)")),)
    supervisor = Supervisor(stack(tmp_path, prepare=tasks), say=lambda line: None)
    with pytest.raises(StackFailed, match="seed: the check before it failed with exit code 1"):
        supervisor.run()
