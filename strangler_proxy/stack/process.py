"""A real child process that is up once its health URL answers.

>>> import sys
>>> nap = [sys.executable, "-c", "import time; time.sleep(60)"]
>>> with ManagedProcess("sleeper", nap, health_url=None) as child:
...     child.running()   # started (with a health URL: once it answered 200)
True
>>> child.returncode      # leaving the block sent SIGTERM to its process group
-15

A child that does not stop within ``stop_timeout`` gets SIGKILL. One that exits before it
answers its health URL fails at once, with the tail of its log:

>>> gone = [sys.executable, "-c", "raise SystemExit(3)"]
>>> ManagedProcess("broken", gone, health_url="http://127.0.0.1:1/health/").start()
Traceback (most recent call last):
...
strangler_proxy.stack.process.ProcessFailed: broken exited with code 3 before it answered ...
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

import httpx


class ProcessFailed(RuntimeError):
    """A managed process exited or never became healthy."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class ManagedProcess:
    """One child process in its own process group, with its output in a log file."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        health_url: str | None,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        log_path: Path | None = None,
        start_timeout: float = 30.0,
        stop_timeout: float = 10.0,
        more_health_urls: Sequence[str] = (),
        announces: re.Pattern[str] | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.health_url = health_url
        #: Further URLs that must answer 200 too (a second port, such as an admin API).
        self.more_health_urls = tuple(more_health_urls)
        #: For a child told to listen on port 0: the line it prints once it listens. Its
        #: named groups (``port``, ...) land in ``announced`` and fill the ``{port}``-style
        #: placeholders of the health URLs before they are asked.
        self.announces = announces
        self.announced: dict[str, str] = {}
        self._url_templates = (health_url, self.more_health_urls)
        if announces is not None and log_path is None:
            raise ValueError(f"{name}: reading the port it announces needs a log_path")
        self.env = {**os.environ, **(env or {})}
        self.cwd = cwd
        self.log_path = log_path
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: object = None
        self._offset = 0  # where this run's output starts in the log

    @property
    def base_url(self) -> str:
        """Where it serves: the scheme, host and port of its health URL.

        >>> ManagedProcess("x", ["x"], health_url="http://127.0.0.1:8000/health/").base_url
        'http://127.0.0.1:8000'
        """
        if self.health_url is None:
            raise ValueError(f"{self.name} has no health URL, so no known address")
        if "{" in self.health_url:
            raise ValueError(f"{self.name} has not said where it listens yet (start it)")
        parts = urlsplit(self.health_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def port(self) -> int:
        """The port of its health URL (the one it announced, for port 0).

        >>> ManagedProcess("x", ["x"], health_url="http://127.0.0.1:8000/health/").port
        8000
        """
        port = urlsplit(self.base_url).port
        if port is None:
            raise ValueError(f"{self.name}: no port in {self.base_url}")
        return port

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def returncode(self) -> int | None:
        """The exit code once the process has ended, else None."""
        return self._proc.poll() if self._proc else None

    def start(self) -> ManagedProcess:
        """Start it and wait until it is ready (announced its port, answers its health URLs)."""
        return self.launch().wait_ready()

    def launch(self) -> ManagedProcess:
        """Start it without waiting (``wait_ready`` waits): several can start at once."""
        offset = 0
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            out = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
            offset = out.tell()
            self._log = out
        else:
            out = subprocess.DEVNULL  # type: ignore[assignment]
        self._proc = subprocess.Popen(
            self.argv,
            env=self.env,
            cwd=self.cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._offset = offset
        return self

    def wait_ready(self) -> ManagedProcess:
        """Wait for the line it announces (if any), then for its health URLs."""
        if self.announces is not None:
            self.announced = self._wait_announced(self.announces, self._offset)
            health, more = self._url_templates
            self.health_url = health.format_map(self.announced) if health else None
            self.more_health_urls = tuple(u.format_map(self.announced) for u in more)
        self.wait_healthy()
        return self

    def _wait_announced(self, pattern: re.Pattern[str], offset: int) -> dict[str, str]:
        """The named groups of the first line of its output (from ``offset`` of the log)
        that ``pattern`` finds; ProcessFailed when it exits or stays silent too long."""
        assert self.log_path is not None and self._proc is not None
        deadline = time.monotonic() + self.start_timeout
        while True:
            with open(self.log_path, "rb") as log:
                log.seek(offset)
                found = pattern.search(log.read().decode(errors="replace"))
            if found is not None:
                return {k: v for k, v in found.groupdict().items() if v is not None}
            if self._proc.poll() is not None:
                self._closing_log()
                raise ProcessFailed(
                    f"{self.name} exited with code {self._proc.returncode} before it said "
                    f"where it listens{self._tail()}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise ProcessFailed(
                    f"{self.name} did not say where it listens within {self.start_timeout:.0f} "
                    f"s (no line matching {pattern.pattern!r}){self._tail()}"
                )
            time.sleep(0.05)

    def wait_healthy(self) -> None:
        """Wait until every health URL answers 200 (in turn, within one ``start_timeout``)."""
        if self.health_url is None:
            return
        deadline = time.monotonic() + self.start_timeout
        with httpx.Client(timeout=2.0, trust_env=False) as client:
            for url in (self.health_url, *self.more_health_urls):
                self._wait_for(client, url, deadline)

    def _wait_for(self, client: httpx.Client, url: str, deadline: float) -> None:
        last_error = "no answer yet"
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                self._closing_log()
                raise ProcessFailed(
                    f"{self.name} exited with code {self._proc.returncode} before it "
                    f"answered {url}{self._tail()}"
                )
            try:
                response = client.get(url)
                if response.status_code == 200:
                    return
                last_error = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                last_error = f"{type(exc).__name__}: {exc}"
            time.sleep(0.1)
        self.stop()
        raise ProcessFailed(
            f"{self.name} did not answer {url} within {self.start_timeout:.0f} s "
            f"({last_error}){self._tail()}"
        )

    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def stop(self) -> int | None:
        """SIGTERM the process group, wait ``stop_timeout``, then SIGKILL. Returns the exit code."""
        proc = self._proc
        if proc is None:
            return None
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self._closing_log()
        return proc.returncode

    def _closing_log(self) -> None:
        log = self._log
        if log is not None:
            log.close()  # type: ignore[attr-defined]
            self._log = None

    def _tail(self, lines: int = 20) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        text = self.log_path.read_text(errors="replace").splitlines()[-lines:]
        return "\n--- last lines of " + str(self.log_path) + " ---\n" + "\n".join(text)

    def __enter__(self) -> ManagedProcess:
        """Starts it, unless it was started already (``with start_x() as x:``, where
        ``start_x`` returns a started process: starting again launched a second one, and
        the first outlived the block)."""
        return self if self._proc is not None else self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
