"""Run the engine: the listening sockets, one or more worker processes, the admin app.

The sockets are bound here, before anything else, so a taken port stops the start (a
``ConfigError`` naming ``--listen`` or ``--admin-listen``). Port 0 lets the kernel pick; once
bound, the engine reports where it serves on standard output, in one line of a fixed format
(``LISTENING`` reads it back)::

    strangler proxy listening on http://127.0.0.1:41023 (admin http://127.0.0.1:41025)

With one worker the engine runs in this process (uvloop, ``front.Front`` over the socket) and
the admin reads its counters live; with several, spawned workers share the socket, each with
its own engine polling the store, and each writes a snapshot file the admin merges. Every
worker is built by ``runtime.build_engine``. SIGTERM or SIGINT drains: no new connection is
accepted, in-flight requests get ``graceful_seconds``. The admin app is not the engine's to
make: the caller passes a factory that gets the ``WorkerStatus`` to report on.

For example (serves until SIGTERM; the engine tests start it for real)::

    run_engine(EngineSettings(monolith_url="http://127.0.0.1:8000", port=0))
    # prints: strangler proxy listening on http://127.0.0.1:41023
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import multiprocessing
import re
import shutil
import signal
import socket
import tempfile
import threading
from collections.abc import Awaitable, Callable
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import uvicorn
import uvloop

from strangler_proxy.engine import tracing
from strangler_proxy.engine.front import Front
from strangler_proxy.engine.runtime import EngineRuntime, build_engine
from strangler_proxy.engine.settings import ConfigError, EngineSettings
from strangler_proxy.engine.status import WorkerStatus
from strangler_proxy.registry import Origin
from strangler_proxy.telemetry.logs import json_logging

log = logging.getLogger("strangler.proxy")
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)

#: the admin ASGI app for the workers a ``WorkerStatus`` reports on
AdminFactory = Callable[[WorkerStatus], Callable[..., Awaitable[None]]]

_HOST = r"\[[^\]]+\]|[^\s:/]+"
#: the line the engine prints once its sockets are bound (stable: tests and people read it)
LISTENING = re.compile(
    rf"^strangler proxy listening on http://(?P<host>{_HOST}):(?P<port>\d+)"
    rf"(?: \(admin http://(?P<admin_host>{_HOST}):(?P<admin_port>\d+)\))?$",
    re.MULTILINE,
)


def url(host: str, port: int) -> str:
    """The base URL of ``host:port`` (the registry's ``Origin`` writes it).

    >>> url("::1", 8080)
    'http://[::1]:8080'
    """
    return str(Origin(host, port))


def listening_line(settings: EngineSettings) -> str:
    """The one line that says where the engine serves (``LISTENING`` reads it back).

    >>> bound = EngineSettings(
    ...     monolith_url="http://m", port=41023, admin_host="127.0.0.1", admin_port=41025
    ... )
    >>> listening_line(bound)
    'strangler proxy listening on http://127.0.0.1:41023 (admin http://127.0.0.1:41025)'
    >>> LISTENING.match(listening_line(bound))["admin_port"]
    '41025'
    """
    line = f"strangler proxy listening on {url(settings.host, settings.port)}"
    if settings.admin_host is not None and settings.admin_port is not None:
        line += f" (admin {url(settings.admin_host, settings.admin_port)})"
    return line


@dataclasses.dataclass(frozen=True)
class Listeners:
    """The bound sockets, and the settings with the ports the kernel gave (for port 0)."""

    settings: EngineSettings
    proxy: socket.socket
    admin: socket.socket | None

    def close(self) -> None:
        self.proxy.close()
        if self.admin is not None:
            self.admin.close()


def bind(settings: EngineSettings) -> Listeners:
    """Bind ``--listen`` and, when set, ``--admin-listen``; a port that cannot be had is a
    ``ConfigError`` naming the option."""
    proxy = _listen(settings.host, settings.port, "--listen")
    admin = None
    if settings.admin_host is not None and settings.admin_port is not None:
        try:
            admin = _listen(settings.admin_host, settings.admin_port, "--admin-listen")
        except ConfigError:
            proxy.close()
            raise
    bound = dataclasses.replace(
        settings,
        port=proxy.getsockname()[1],
        admin_port=admin.getsockname()[1] if admin is not None else None,
    )
    return Listeners(bound, proxy, admin)


def _listen(host: str, port: int, option: str) -> socket.socket:
    """A listening socket, or a ``ConfigError`` naming ``option`` (a taken port, say)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=2048)
    except OSError as exc:
        raise ConfigError(
            f"{option}: cannot listen on {host}:{port}: {exc.strerror or exc}"
        ) from exc


async def serve(
    engine: EngineRuntime, sock: socket.socket, stop: asyncio.Event | None = None
) -> None:
    """One worker: ``engine`` on ``sock`` until ``stop`` is set (by default: SIGTERM or
    SIGINT), then a graceful drain. Given a ``stop``, no signal handler is installed, so a
    test or an embedding program can serve an engine it built on its own loop."""
    settings = engine.settings
    loop = asyncio.get_running_loop()
    signals = _STOP_SIGNALS if stop is None else ()
    stop = stop if stop is not None else asyncio.Event()
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    await engine.start()
    front = Front(engine.app, max_head_bytes=settings.max_header_bytes)
    server = await loop.create_server(front.protocol, sock=sock, backlog=2048)
    try:
        await stop.wait()
    finally:
        server.close()
        await front.drain(settings.graceful_seconds)
        await engine.stop()
        for sig in signals:
            loop.remove_signal_handler(sig)


async def _build_and_serve(
    settings: EngineSettings,
    sock: socket.socket,
    *,
    status: WorkerStatus | None = None,
    state_dir: Path | None = None,
) -> None:
    """Build a worker with the one root, on the running loop, and serve it: the one worker
    of the main process is ``status.local``; a spawned one writes snapshots to ``state_dir``."""
    engine = build_engine(settings, state_dir=state_dir)
    if status is not None:
        status.local = engine
    await serve(engine, sock)


def _worker(settings_json: str, sock: socket.socket, state_dir: str, log_level: int) -> None:
    """A spawned worker process's entry point. A spawned process starts with no logging
    set up: it logs JSON lines as ``strangler proxy run``'s main process does, at its level."""
    json_logging("strangler-proxy", log_level)
    for chatty in ("httpx", "httpcore"):  # a line per health check otherwise
        logging.getLogger(chatty).setLevel(max(logging.WARNING, log_level))
    settings = EngineSettings.from_json(settings_json)
    uvloop.run(_build_and_serve(settings, sock, state_dir=Path(state_dir)))


def run_engine(
    settings: EngineSettings,
    *,
    admin: AdminFactory | None = None,
    on_listening: Callable[[EngineSettings], None] | None = None,
) -> None:
    """Bind, report where (``on_listening`` with the bound settings, then the ``LISTENING``
    line), serve until SIGINT/SIGTERM, then drain in-flight requests and stop."""
    tracing.check_config()
    listeners = bind(settings)
    settings = listeners.settings
    state_dir = Path(tempfile.mkdtemp(prefix="strangler-proxy-")) if settings.workers > 1 else None
    status = WorkerStatus(state_dir)
    admin_server = None
    try:
        if listeners.admin is not None:
            if admin is None:
                raise ConfigError("--admin-listen: no admin app to serve there")
            admin_server = _admin_server(admin(status))
            threading.Thread(
                target=admin_server.run,
                args=([listeners.admin],),
                name="strangler-admin",
                daemon=True,
            ).start()
        if on_listening is not None:
            on_listening(settings)
        print(listening_line(settings), flush=True)
        if state_dir is None:
            uvloop.run(_build_and_serve(settings, listeners.proxy, status=status))
        else:
            _supervise(settings, listeners.proxy, state_dir)
    finally:
        listeners.close()
        if admin_server is not None:
            admin_server.should_exit = True
        if state_dir is not None:
            shutil.rmtree(state_dir, ignore_errors=True)


def _supervise(settings: EngineSettings, sock: socket.socket, state_dir: Path) -> None:
    """Keep ``settings.workers`` processes serving ``sock`` (a dead one is replaced) until
    SIGTERM/SIGINT, then pass the signal on and wait for their drain."""
    spawn = multiprocessing.get_context("spawn")
    stop = threading.Event()
    for sig in _STOP_SIGNALS:
        signal.signal(sig, lambda *_: stop.set())

    def start() -> BaseProcess:
        process = spawn.Process(
            target=_worker,
            args=(
                settings.to_json(),
                sock,
                str(state_dir),
                logging.getLogger().getEffectiveLevel(),
            ),
            daemon=False,
        )
        process.start()
        return process

    workers = [start() for _ in range(settings.workers)]
    while not stop.wait(0.5):
        for i, process in enumerate(workers):
            if not process.is_alive():
                log.warning("worker %s exited with %s; starting another", process.pid,
                            process.exitcode)  # fmt: skip
                workers[i] = start()
    for process in workers:
        process.terminate()  # SIGTERM: the worker drains
    for process in workers:
        process.join(settings.graceful_seconds + 5)
        if process.is_alive():
            process.kill()
            process.join()


def _admin_server(app: Any) -> uvicorn.Server:
    """uvicorn serving the admin app on the socket ``run`` is handed."""
    config = uvicorn.Config(
        app, loop="asyncio", lifespan="auto", log_level="warning", access_log=False
    )
    return uvicorn.Server(config)
