"""The supervisor with stand-in services (real processes: python -m http.server)."""

from __future__ import annotations

import dataclasses
import os
import re
import signal
import sys
import threading
import time
from pathlib import Path
from types import MappingProxyType

import pytest

from strangler_proxy.stack.process import free_port
from strangler_proxy.stack.spec import Listener, ServiceSpec, StackSpec, Task
from strangler_proxy.stack.supervisor import RESTARTS, Running, StackFailed, Supervisor

#: what ``python -m http.server 0`` prints once bound
SERVING = re.compile(r"Serving HTTP on \S+ port (?P<port>\d+) ")


def web(name: str, directory: Path) -> ServiceSpec:
    """A static web server on the port the kernel picks (it says which; ``-u``: at once)."""
    argv = (sys.executable, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1")
    return ServiceSpec(
        name,
        (*argv, "--directory", str(directory)),
        0,
        log_name=f"{name}.log",
        health_path="/",
        announces=SERVING,
    )


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
    assert 0 not in {r.spec.port for r in seen}  # known by the ports they announced
    assert any(line.startswith(f"api: up on {seen[0].spec.url} in") for line in said), said
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


def test_an_optional_task_fails_and_a_later_one_runs_its_fallback(tmp_path: Path) -> None:
    used = tmp_path / "used"
    tasks = (
        Task("analyze", python("import sys; print('cannot parse'); sys.exit(4)"), optional=True),
        Task(
            "routes",
            python(f"open({str(used)!r}, 'w').write('report')"),
            fallback_after="analyze",
            fallback_argv=python(f"open({str(used)!r}, 'w').write('source')"),
        ),
    )
    said: list[str] = []
    supervisor = Supervisor(stack(tmp_path, prepare=tasks), say=said.append, poll_interval=0.1)

    assert supervisor.run(on_ready=lambda running: os.kill(os.getpid(), signal.SIGTERM)) == 0
    assert used.read_text() == "source"
    assert supervisor.outcomes == {"analyze": "failed", "routes": "fallback"}
    failure = next(line for line in said if line.startswith("analyze failed"))
    assert "exit code 4" in failure and "cannot parse" in failure
    assert "analyze: the stack goes on without it" in failure


def test_the_fallback_waits_for_a_failure(tmp_path: Path) -> None:
    tasks = (
        Task("analyze", python("pass"), optional=True),
        Task("routes", python("pass"), fallback_after="analyze", fallback_argv=python("1/0")),
    )
    supervisor = Supervisor(stack(tmp_path, prepare=tasks), say=lambda line: None)
    assert supervisor.run(on_ready=lambda running: os.kill(os.getpid(), signal.SIGTERM)) == 0
    assert supervisor.outcomes == {"analyze": "done", "routes": "done"}


def test_a_taken_port_is_found_before_any_task_runs(tmp_path: Path) -> None:
    import socket

    marker = tmp_path / "ran"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        service = ServiceSpec(
            "proxy",
            python("pass"),
            free_port(),
            log_name="proxy.log",
            listeners=(Listener("admin API", port, "/health", option="--admin-port"),),
        )
        tasks = (Task("migrate", python(f"open({str(marker)!r}, 'w')")),)
        supervisor = Supervisor(stack(tmp_path, service, prepare=tasks), say=lambda line: None)
        with pytest.raises(StackFailed) as failed:
            supervisor.run()
    assert str(failed.value) == (
        f"proxy's admin API cannot start: 127.0.0.1:{port} (--admin-port) is already in use "
        "(another `strangler up`? pick another --admin-port)"
    )
    assert not marker.exists()
    assert not (tmp_path / "var").exists(), "nothing made before the ports are checked"


def test_a_task_can_tell_lines_of_its_log(tmp_path: Path) -> None:
    """``routes`` says on the terminal that it created the flag store (the rest of its
    output stays in its log)."""
    said: list[str] = []
    code = "print('Routes ...'); print('created flag store /x/flags.sqlite3'); print('...')"
    task = Task("routes", python(code), tell=re.compile(r"^created flag store .+$", re.M))
    supervisor = Supervisor(stack(tmp_path, prepare=(task,)), say=said.append)
    assert supervisor.run(on_ready=lambda running: os.kill(os.getpid(), signal.SIGTERM)) == 0
    assert said[:2] == ["routes: created flag store /x/flags.sqlite3", said[1]]
    assert said[1].startswith("routes: done in ")


def test_a_task_after_a_service_runs_once_it_answers_with_its_own_env(tmp_path: Path) -> None:
    """The catalog's backfill reads the monolith: it runs once that service is up, before
    the next one starts; a service reads a token a set-up task wrote as it starts."""
    token, seen = tmp_path / "events.token", tmp_path / "seen"
    api = web("api", tmp_path)
    env_dump = f"import os; open({str(seen)!r}, 'a').write(os.environ['WHO'] + ' ')"
    dumper = ServiceSpec(
        "dumper",
        python(f"{env_dump}; open({str(seen)!r}, 'a').write(os.environ['EVENTS_TOKEN'] + ' ');"
               " print('dumper ready', flush=True); import time; time.sleep(60)"),
        0,
        log_name="dumper.log",
        env=MappingProxyType({"WHO": "dumper"}),
        env_files=MappingProxyType({"EVENTS_TOKEN": token}),
        worker=True,
        announces=re.compile("^dumper ready$", re.M),  # a worker is up once it says so
    )  # fmt: skip
    tasks = (
        Task("backfill", python(env_dump), after="api", env=MappingProxyType({"WHO": "task"})),
        Task("token", python(f"open({str(token)!r}, 'w').write('s3cret\\n')")),
    )
    said: list[str] = []
    supervisor = Supervisor(
        stack(tmp_path, api, dumper, prepare=tasks), say=said.append, poll_interval=0.1
    )

    def check(running: list[Running]) -> None:
        assert [r.spec.name for r in running] == ["api", "dumper"]
        assert "s3cret" in seen.read_text(), "up once it printed its ready line"
        os.kill(os.getpid(), signal.SIGTERM)

    assert supervisor.run(on_ready=check) == 0
    order = [line.split(":")[0] for line in said if ": " in line]
    assert order[:4] == ["token", "api", "backfill", "dumper"], said
    assert any(line.startswith("dumper: running in") for line in said), said
    assert seen.read_text() == "task dumper s3cret ", "no token in the worker's argv"


def test_a_missing_env_file_is_named(tmp_path: Path) -> None:
    service = ServiceSpec(
        "catalog",
        python("pass"),
        0,
        log_name="catalog.log",
        env_files=MappingProxyType({"EVENTS_TOKEN": tmp_path / "nowhere.token"}),
        worker=True,
    )
    supervisor = Supervisor(stack(tmp_path, service), say=lambda line: None)
    with pytest.raises(StackFailed, match=f"catalog: cannot read EVENTS_TOKEN from {tmp_path}"):
        supervisor.run()


def test_a_concurrent_service_starts_while_the_one_before_is_still_starting(
    tmp_path: Path,
) -> None:
    log = tmp_path / "times"

    def worker(name: str, delay: float, *, concurrent: bool) -> ServiceSpec:
        """Notes when it starts, is ready ``delay`` seconds later."""
        note = f"open({str(log)!r}, 'a').write('{name} ' + str(time.time()) + chr(10))"
        code = f"import time; {note}; time.sleep({delay}); print('ready', flush=True); "
        code += "time.sleep(60)"
        return ServiceSpec(
            name, python(code), 0, log_name=f"{name}.log", worker=True,
            announces=re.compile("^ready$", re.M), concurrent=concurrent,
        )  # fmt: skip

    said: list[str] = []
    services = (
        worker("slow", 1.5, concurrent=False),
        worker("eager", 0.0, concurrent=True),
        worker("after", 0.0, concurrent=False),
    )
    supervisor = Supervisor(stack(tmp_path, *services), say=said.append, poll_interval=0.1)
    assert supervisor.run(on_ready=lambda running: os.kill(os.getpid(), signal.SIGTERM)) == 0
    started = {name: float(at) for name, at in map(str.split, log.read_text().splitlines())}
    assert started["eager"] - started["slow"] < 1.0, "launched without waiting for slow"
    assert started["after"] - started["slow"] >= 1.5, "not concurrent: waits for both"
    ready = [line.split(":")[0] for line in said if ": running" in line]
    assert ready == ["slow", "eager", "after"], "waited for in order"
    assert any(line.startswith("eager: running (launched ") for line in said), said


def worker(name: str, code: str) -> ServiceSpec:
    """A worker that says it is ready, then runs ``code``; started again when it dies."""
    argv = python(f"print('{name} ready', flush=True)\n{code}")
    ready = re.compile(f"{name} ready")
    return ServiceSpec(
        name, argv, 0, log_name=f"{name}.log", worker=True, announces=ready, restart=True
    )


def test_a_restart_service_that_dies_is_started_again_and_the_rest_keep_running(
    tmp_path: Path,
) -> None:
    said: list[str] = []
    supervisor = Supervisor(
        stack(tmp_path, web("api", tmp_path), worker("relay", "import time; time.sleep(300)")),
        say=said.append,
        poll_interval=0.1,
    )
    pids: list[int] = []

    def kill_the_relay_then_stop(running: list[Running]) -> None:
        relay = supervisor.started[1][1]
        assert relay.pid is not None
        pids.append(relay.pid)
        os.killpg(relay.pid, signal.SIGKILL)

        def watch() -> None:  # the restarted relay runs with another pid; then Ctrl-C
            deadline = time.monotonic() + 30
            while relay.pid in (None, pids[0]) or not relay.running():
                assert time.monotonic() < deadline, said
                time.sleep(0.05)
            pids.append(relay.pid)
            os.kill(os.getpid(), signal.SIGINT)

        threading.Thread(target=watch, daemon=True).start()

    assert supervisor.run(on_ready=kill_the_relay_then_stop) == 0
    assert len(pids) == 2 and pids[0] != pids[1], said
    assert "relay exited on its own (exit code -9); starting it again" in said
    assert "api: stopped" in said and "relay: stopped" in said


def test_a_restart_service_that_cannot_stay_up_stops_the_stack_named(tmp_path: Path) -> None:
    said: list[str] = []
    crashing = worker("relay", "import time; time.sleep(0.2); raise SystemExit(3)")
    supervisor = Supervisor(stack(tmp_path, crashing), say=said.append, poll_interval=0.05)
    assert supervisor.run() == 1
    again = [line for line in said if line.endswith("; starting it again")]
    assert len(again) == RESTARTS, said
    assert any(line.startswith("relay exited on its own (exit code 3); stopping") for line in said)


def test_fresh_dirs_are_emptied_before_every_start_and_the_stacks_files_written(
    tmp_path: Path,
) -> None:
    """A Django app's multiprocess metrics folder: a previous run's (or a crashed start's)
    files would be summed into the new process's figures."""
    folder = tmp_path / "var" / "metrics" / "app"
    folder.mkdir(parents=True)
    (folder / "counter_1.db").write_text("a previous run's")
    code = (
        "import os, time\n"
        f"folder = {str(folder)!r}\n"
        "print('found', sorted(os.listdir(folder)), flush=True)\n"
        "open(os.path.join(folder, f'counter_{os.getpid()}.db'), 'w').close()\n"
        "time.sleep(0.2)\n"
        "raise SystemExit(3)"
    )
    app = dataclasses.replace(worker("app", code), fresh_dirs=(folder,))
    config = tmp_path / "var" / "prometheus" / "prometheus.yml"
    spec = dataclasses.replace(
        stack(tmp_path, app),
        files=MappingProxyType({config: "global: {}\n"}),
        dirs=(tmp_path / "var" / "traces",),
    )
    said: list[str] = []
    assert Supervisor(spec, say=said.append, poll_interval=0.05).run() == 1
    found = re.findall(r"^found (.*)$", (tmp_path / "var/logs/app.log").read_text(), re.M)
    assert found == ["[]"] * (RESTARTS + 1), found
    assert config.read_text() == "global: {}\n"
    assert (tmp_path / "var" / "traces").is_dir()
