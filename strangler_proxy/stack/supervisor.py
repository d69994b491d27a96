"""Runs a :class:`~strangler_proxy.stack.spec.StackSpec`: prepare, start, watch, stop.

Tasks run in order (their output goes to ``var/logs/prepare-<task>.log``, or to the terminal
for tasks that ``echo``); a failing task stops everything unless it is ``optional`` (then
it is reported, and a later task may run its ``fallback_argv`` instead). Services start in
order, each waited for until its health URLs answer (a worker: until it prints its ready
line; one marked ``concurrent`` is launched while those before it are still starting, and
waited for after them), a task that comes ``after`` one running right after it is up; then
the supervisor watches them.
A service's environment is the stack's, its own, and the variables it reads from files
(``env_files``, read as it starts: a token a set-up task made); its ``fresh_dirs`` are
emptied before each start. The stack's ``files`` (generated configuration) are written and
its ``dirs`` made before anything runs.
Ctrl-C or SIGTERM stops every service (last started first) and :meth:`Supervisor.run`
returns 0; if a service dies on its own, it names it, stops the rest and returns 1, unless
the service is marked ``restart`` (the extracted services, the relay, the deliverer: the
stack lives on without them for a while): then it is started again, up to ``RESTARTS``
times a minute.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, replace
from pathlib import Path
from types import FrameType

from strangler_proxy.stack.process import ManagedProcess, ProcessFailed
from strangler_proxy.stack.spec import ServiceSpec, StackSpec, Task

#: a ``restart`` service started again more often than this within the window stops the stack
RESTARTS = 5
RESTART_WINDOW = 60.0


class StackFailed(RuntimeError):
    """A task failed or a service did not come up; the message says which and why."""


class _StopRequested(Exception):
    """Raised in the main thread by the SIGINT/SIGTERM handler."""


@dataclass(frozen=True)
class Running:
    """A started service, for the "where is everything" table."""

    spec: ServiceSpec
    pid: int | None
    log_path: Path


Say = Callable[[str], None]
#: Shows that something is going on while the block runs (``rich.console.Console.status``).
Busy = Callable[[str], AbstractContextManager[object]]


def _quiet(text: str) -> AbstractContextManager[object]:
    return nullcontext()


def _ignore_stop_signals() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers bind
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _port_zero(spec: ServiceSpec) -> bool:
    """A server told to pick its port, which it then announces."""
    return spec.announces is not None and spec.port == 0 and not spec.worker


def _tail(path: Path, lines: int = 15) -> str:
    if not path.exists():
        return ""
    text = path.read_text(errors="replace").splitlines()[-lines:]
    return f"\n--- last lines of {path} ---\n" + "\n".join(text)


def _empty(folders: tuple[Path, ...]) -> None:
    """Each folder made anew, empty (what a previous run left there is gone)."""
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)


class Supervisor:
    def __init__(
        self, stack: StackSpec, say: Say = print, busy: Busy = _quiet, poll_interval: float = 0.5
    ) -> None:
        self.stack = stack
        self.say = say
        self.busy = busy
        self.poll_interval = poll_interval
        self.started: list[tuple[ServiceSpec, ManagedProcess]] = []
        #: Task name -> ``done``, ``skipped``, ``fallback`` (ran its fallback) or ``failed``.
        self.outcomes: dict[str, str] = {}
        self._step = 0
        self._launched: dict[str, float] = {}  # service name -> when it was launched
        self._restarts: dict[str, list[float]] = {}  # service name -> when it was restarted

    def run(self, on_ready: Callable[[list[Running]], None] | None = None) -> int:
        """Bring the stack up, call ``on_ready``, then wait for a signal (0) or a death (1)."""
        with self._signals():
            try:
                self._check_ports()  # before anything is made or run
                self._make_dirs()
                self._prepare()
                self._start()
                if on_ready is not None:
                    on_ready(self.running())
                return self._watch()
            except _StopRequested:
                self.say("stopping (signal received) ...")
                return 0
            finally:
                _ignore_stop_signals()  # a second Ctrl-C must not cut the clean-up short
                self._stop_all()

    def running(self) -> list[Running]:
        return [
            Running(spec, proc.pid, self.stack.log_dir / spec.log_name)
            for spec, proc in self.started
        ]

    # --- steps ---------------------------------------------------------------------------

    def _make_dirs(self) -> None:
        for folder in (self.stack.log_dir, self.stack.run_dir, *self.stack.dirs):
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StackFailed(f"cannot create {folder} (--var-dir): {exc}") from exc
        for path, text in self.stack.files.items():
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
            except OSError as exc:
                raise StackFailed(f"cannot write {path} (--var-dir): {exc}") from exc

    def _prepare(self, after: str | None = None) -> None:
        """The tasks that run before any service (``after`` None) or once ``after`` is up."""
        for task in self.stack.prepare:
            if task.after == after:
                env = {**os.environ, **self.stack.env, **task.env}
                self.outcomes[task.name] = self._prepare_one(task, env)

    def _prepare_one(self, task: Task, env: dict[str, str]) -> str:
        """Run one task; its outcome: ``done``, ``skipped``, ``fallback`` or ``failed``."""
        step = self._next_step(task.title or task.name)
        if task.skip_probe is not None:
            with self.busy(f"{step}: checking ..."):
                skip = self._probe_says_skip(task, env)
            if skip:
                self.say(f"{task.name}: skipped, {task.skip_reason}")
                return "skipped"
        argv, outcome = task.argv, "done"
        if task.fallback_after and self.outcomes.get(task.fallback_after) == "failed":
            argv, outcome = task.fallback_argv, "fallback"
            self.say(f"{task.name}: {task.fallback_after} failed, so: {' '.join(argv)}")
        started = time.monotonic()
        log_path: Path | None = None
        if task.echo:
            self.say(f"{step} ...")
            code = self._run(argv, env, None)
            log_note = ""
        else:
            log_path = self.stack.log_dir / f"prepare-{task.name}.log"
            with self.busy(f"{step} ..."):
                code = self._run(argv, env, log_path)
            log_note = _tail(log_path)
        took = time.monotonic() - started
        if code == 0:
            if task.tell is not None and log_path is not None:
                for line in task.tell.finditer(log_path.read_text(errors="replace")):
                    self.say(f"{task.name}: {line.group(0)}")
            self.say(f"{task.name}: done in {took:.1f} s")
            return outcome
        failure = f"{task.name} failed with exit code {code}: {' '.join(argv)}" + log_note
        if not task.optional:
            raise StackFailed(failure)
        self.say(f"{failure}\n{task.name}: the stack goes on without it")
        return "failed"

    def _next_step(self, title: str) -> str:
        self._step += 1
        return f"[{self._step}/{len(self.stack.prepare) + len(self.stack.services)}] {title}"

    def _probe_says_skip(self, task: Task, env: dict[str, str]) -> bool:
        assert task.skip_probe is not None
        log_path = self.stack.log_dir / f"prepare-{task.name}-probe.log"
        code = self._run(task.skip_probe, env, log_path)
        if code == 0:
            return True
        if code == task.run_on_probe_exit:
            return False
        raise StackFailed(
            f"{task.name}: the check before it failed with exit code {code}" + _tail(log_path)
        )

    def _run(self, argv: tuple[str, ...], env: dict[str, str], log_path: Path | None) -> int:
        """Run to completion; output to ``log_path``, or to the terminal when it is None."""
        if log_path is None:
            return subprocess.run(argv, env=env, cwd=self.stack.cwd, check=False).returncode
        with open(log_path, "wb") as log:
            return subprocess.run(
                argv, env=env, cwd=self.stack.cwd, stdout=log, stderr=subprocess.STDOUT, check=False
            ).returncode

    def _check_ports(self) -> None:
        """Before anything runs: a taken port is found in a second, not after the set-up,
        named with the option that chose it."""
        for spec in self.stack.services:
            for bind in spec.binds:
                if _port_is_free(bind.host, bind.port):
                    continue
                pick = f"pick another {bind.option}" if bind.option else "pick another port"
                raise StackFailed(
                    f"{bind.who} cannot start: {bind.host}:{bind.port}"
                    f"{f' ({bind.option})' if bind.option else ''} is already in use "
                    f"(another `strangler up`? {pick})"
                )

    def _start(self) -> None:
        """Launch each service (one marked ``concurrent`` while those before it are still
        starting), then wait for each in order; a task ``after`` one runs once it is up."""
        starting: list[int] = []  # indexes in self.started: launched, not waited for yet
        for spec in self.stack.services:
            if not spec.concurrent:
                self._wait_for(starting)
            starting.append(self._launch(spec))
        self._wait_for(starting)

    def _launch(self, spec: ServiceSpec) -> int:
        health_url: str | None = spec.health_url
        if spec.worker:
            health_url = None
        elif _port_zero(spec):
            health_url = f"http://{spec.host}:{{port}}{spec.health_path}"
        proc = ManagedProcess(
            spec.name,
            spec.argv,
            health_url=health_url,
            more_health_urls=[listener.health_url for listener in spec.listeners],
            env={**self.stack.env, **spec.env, **self._read_env_files(spec)},
            cwd=self.stack.cwd,
            log_path=self.stack.log_dir / spec.log_name,
            start_timeout=spec.start_timeout,
            # a worker's: the line it prints once ready
            announces=spec.announces if _port_zero(spec) or spec.worker else None,
        )
        self.started.append((spec, proc))
        self._launched[spec.name] = time.monotonic()
        try:
            _empty(spec.fresh_dirs)
            proc.launch()
        except OSError as exc:
            raise StackFailed(f"{spec.name} could not start: {exc}") from exc
        return len(self.started) - 1

    def _wait_for(self, starting: list[int]) -> None:
        for index in starting:
            self._wait_ready(index)
        starting.clear()

    def _wait_ready(self, index: int) -> None:
        spec, proc = self.started[index]
        step = self._next_step(f"start the {spec.name}")
        where = "a port it picks" if _port_zero(spec) else spec.url
        waiting = f"{step} on {where}, waiting for {spec.health_path} ..."
        try:
            with self.busy(f"{step} ..." if spec.worker else waiting):
                proc.wait_ready()
        except ProcessFailed as exc:
            raise StackFailed(str(exc)) from exc
        if _port_zero(spec):  # from now on it is known by the port it announced
            spec = replace(spec, port=proc.port)
            self.started[index] = (spec, proc)
        urls = ", ".join([spec.url, *(f"{x.name} {x.url}" for x in spec.listeners)])
        state = "running" if spec.worker else f"up on {urls}"
        took = time.monotonic() - self._launched[spec.name]
        if spec.concurrent:  # it started beside the ones before it: no time of its own
            self.say(f"{spec.name}: {state} (launched {took:.1f} s ago, beside the ones before)")
        else:
            self.say(f"{spec.name}: {state} in {took:.1f} s")
        self._prepare(after=spec.name)

    def _read_env_files(self, spec: ServiceSpec) -> dict[str, str]:
        found = {}
        for variable, path in spec.env_files.items():
            try:
                found[variable] = path.read_text().strip()
            except OSError as exc:
                why = f"{spec.name}: cannot read {variable} from {path}: {exc}"
                raise StackFailed(why) from exc
        return found

    def _watch(self) -> int:
        while True:  # a signal ends it (the handler raises _StopRequested)
            time.sleep(self.poll_interval)
            for spec, proc in self.started:
                if proc.running():
                    continue
                died = f"{spec.name} exited on its own (exit code {proc.returncode})"
                if spec.restart and self._may_restart(spec.name):
                    self.say(f"{died}; starting it again")
                    proc.stop()  # closes its log
                    _empty(spec.fresh_dirs)
                    proc.launch()
                    continue
                self.say(f"{died}; stopping the rest" + _tail(self.stack.log_dir / spec.log_name))
                return 1

    def _may_restart(self, name: str) -> bool:
        """At most ``RESTARTS`` restarts of one service within ``RESTART_WINDOW`` seconds: a
        process that cannot stay up stops the stack, named, rather than flapping forever."""
        now = time.monotonic()
        recent = [t for t in self._restarts.get(name, []) if now - t < RESTART_WINDOW]
        self._restarts[name] = [*recent, now]
        return len(recent) < RESTARTS

    def _stop_all(self) -> None:
        for spec, proc in reversed(self.started):
            if proc.pid is None:
                continue
            was_running = proc.running()
            proc.stop()
            if was_running:
                self.say(f"{spec.name}: stopped")
        self.started.clear()

    @contextmanager
    def _signals(self) -> Iterator[None]:
        """SIGINT/SIGTERM interrupt whatever runs (once); the old handlers come back after."""

        def handler(signum: int, frame: FrameType | None) -> None:
            # No lock taken here (an Event.set() could deadlock with the main thread inside
            # that Event's wait, when the signal lands while it holds the lock).
            _ignore_stop_signals()
            raise _StopRequested

        previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, old in previous.items():
                signal.signal(sig, old)
