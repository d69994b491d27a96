"""Runs a :class:`~strangler_proxy.stack.spec.StackSpec`: prepare, start, watch, stop.

Tasks run in order (their output goes to ``var/logs/prepare-<task>.log``, or to the terminal
for tasks that ``echo``); services start in order, each waited for until its health URL
answers; then the supervisor watches them.
Ctrl-C or SIGTERM stops every service (last started first) and :meth:`Supervisor.run`
returns 0; if a service dies on its own, it names it, stops the rest and returns 1.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from strangler_proxy.stack.process import ManagedProcess, ProcessFailed
from strangler_proxy.stack.spec import ServiceSpec, StackSpec, Task


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


def _tail(path: Path, lines: int = 15) -> str:
    if not path.exists():
        return ""
    text = path.read_text(errors="replace").splitlines()[-lines:]
    return f"\n--- last lines of {path} ---\n" + "\n".join(text)


class Supervisor:
    def __init__(
        self, stack: StackSpec, say: Say = print, busy: Busy = _quiet, poll_interval: float = 0.5
    ) -> None:
        self.stack = stack
        self.say = say
        self.busy = busy
        self.poll_interval = poll_interval
        self.started: list[tuple[ServiceSpec, ManagedProcess]] = []
        self._stop = threading.Event()

    def run(self, on_ready: Callable[[list[Running]], None] | None = None) -> int:
        """Bring the stack up, call ``on_ready``, then wait for a signal (0) or a death (1)."""
        with self._signals():
            try:
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

    def _prepare(self) -> None:
        for folder in (self.stack.log_dir, self.stack.run_dir):
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StackFailed(f"cannot create {folder} (--var-dir): {exc}") from exc
        env = {**os.environ, **self.stack.env}
        for task in self.stack.prepare:
            if task.skip_probe is not None and self._probe_says_skip(task, env):
                self.say(f"{task.name}: skipped, {task.skip_reason}")
                continue
            if task.echo:
                self.say(f"{task.name}: running")
                code = self._run(task.argv, env, None)
                log_note = ""
            else:
                log_path = self.stack.log_dir / f"prepare-{task.name}.log"
                self.say(f"{task.name}: running (output in {log_path})")
                with self.busy(f"{task.name} ..."):
                    code = self._run(task.argv, env, log_path)
                log_note = _tail(log_path)
            if code != 0:
                raise StackFailed(
                    f"{task.name} failed with exit code {code}: {' '.join(task.argv)}" + log_note
                )

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

    def _start(self) -> None:
        for spec in self.stack.services:
            if not _port_is_free(spec.host, spec.port):
                raise StackFailed(
                    f"{spec.name} cannot start: {spec.host}:{spec.port} is already in use "
                    "(another `strangler up`? pick another port)"
                )
            self.say(f"{spec.name}: starting on {spec.url}")
            proc = ManagedProcess(
                spec.name,
                spec.argv,
                health_url=spec.health_url,
                env=dict(self.stack.env),
                cwd=self.stack.cwd,
                log_path=self.stack.log_dir / spec.log_name,
                start_timeout=spec.start_timeout,
            )
            self.started.append((spec, proc))
            try:
                with self.busy(f"waiting for {spec.health_url} ..."):
                    proc.start()
            except ProcessFailed as exc:
                raise StackFailed(str(exc)) from exc
            except OSError as exc:
                raise StackFailed(f"{spec.name} could not start: {exc}") from exc

    def _watch(self) -> int:
        while not self._stop.wait(self.poll_interval):
            for spec, proc in self.started:
                if not proc.running():
                    self.say(
                        f"{spec.name} exited on its own (exit code {proc.returncode}); "
                        "stopping the rest" + _tail(self.stack.log_dir / spec.log_name)
                    )
                    return 1
        return 0

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
            _ignore_stop_signals()
            self._stop.set()
            raise _StopRequested

        previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, old in previous.items():
                signal.signal(sig, old)
