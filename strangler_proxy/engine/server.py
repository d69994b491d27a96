"""Run the engine: the listening socket, one or more worker processes, the admin app.

The socket is bound here, before anything else, so a taken port stops the start. With one
worker the engine runs in this process (uvloop, ``front.Front`` over the socket) and the
admin reads its counters live; with several, spawned workers share the socket, each with its
own engine polling the store, and each writes a snapshot file the admin merges. SIGTERM or
SIGINT drains: no new connection is accepted, in-flight requests get ``graceful_seconds``.
A port that cannot be had is a ``ConfigError`` naming ``--listen`` or ``--admin-listen``.

>>> run_engine(EngineSettings(monolith_url="http://127.0.0.1:8000", port=8080))  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import shutil
import signal
import socket
import tempfile
import threading
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

import uvicorn
import uvloop

from strangler_proxy.admin import create_admin_app
from strangler_proxy.engine import runtime
from strangler_proxy.engine.front import Front
from strangler_proxy.engine.settings import ConfigError, EngineSettings
from strangler_proxy.metrics import render

log = logging.getLogger("strangler.proxy")
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
#: where the workers of this process write their snapshots (several workers only)
_state_dir: Path | None = None


def metrics_text() -> str:
    """Prometheus text for every worker of this proxy (the admin app serves it)."""
    return render(state["metrics"] for state in _states())


def health_snapshot() -> dict[str, Any]:
    """Instance health as each worker sees it, plus what it is doing."""
    return {
        "workers": [
            {k: state[k] for k in ("pid", "version", "inflight", "shadow_queue", "health")}
            for state in _states()
        ]
    }


def _states() -> list[dict[str, Any]]:
    if runtime.LOCAL is not None:
        return [runtime.LOCAL.snapshot()]
    return runtime.read_states(_state_dir) if _state_dir is not None else []


def bind(settings: EngineSettings) -> socket.socket:
    return _listen(settings.host, settings.port, "--listen")


def _listen(host: str, port: int, option: str) -> socket.socket:
    """A listening socket, or a ``ConfigError`` naming ``option`` (a taken port, say)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=2048)
    except OSError as exc:
        raise ConfigError(
            f"{option}: cannot listen on {host}:{port}: {exc.strerror or exc}"
        ) from exc


async def serve(settings: EngineSettings, sock: socket.socket, state_dir: Path | None) -> None:
    """One worker: the engine on ``sock`` until SIGTERM/SIGINT, then a graceful drain."""
    engine = runtime.EngineRuntime(settings, state_dir=state_dir)
    if state_dir is None:
        runtime.LOCAL = engine
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in _STOP_SIGNALS:
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
        for sig in _STOP_SIGNALS:
            loop.remove_signal_handler(sig)


def _worker(settings_json: str, sock: socket.socket, state_dir: str) -> None:
    """A spawned worker process's entry point."""
    uvloop.run(serve(EngineSettings.from_json(settings_json), sock, Path(state_dir)))


def run_engine(settings: EngineSettings) -> None:
    """Serve until SIGINT/SIGTERM, then drain in-flight requests and stop."""
    global _state_dir
    sock = bind(settings)
    admin = _admin_server(settings)
    try:
        if admin is not None:  # bound here, so a taken admin port stops the start
            assert settings.admin_host is not None and settings.admin_port is not None
            admin_socket = _listen(settings.admin_host, settings.admin_port, "--admin-listen")
            threading.Thread(
                target=admin.run, args=([admin_socket],), name="strangler-admin", daemon=True
            ).start()
        if settings.workers == 1:
            uvloop.run(serve(settings, sock, None))
        else:
            _state_dir = Path(tempfile.mkdtemp(prefix="strangler-proxy-"))
            _supervise(settings, sock, _state_dir)
    finally:
        sock.close()
        if admin is not None:
            admin.should_exit = True
        if _state_dir is not None:
            shutil.rmtree(_state_dir, ignore_errors=True)
            _state_dir = None


def _supervise(settings: EngineSettings, sock: socket.socket, state_dir: Path) -> None:
    """Keep ``settings.workers`` processes serving ``sock`` (a dead one is replaced) until
    SIGTERM/SIGINT, then pass the signal on and wait for their drain."""
    spawn = multiprocessing.get_context("spawn")
    stop = threading.Event()
    for sig in _STOP_SIGNALS:
        signal.signal(sig, lambda *_: stop.set())

    def start() -> BaseProcess:
        process = spawn.Process(
            target=_worker, args=(settings.to_json(), sock, str(state_dir)), daemon=False
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


def _admin_server(settings: EngineSettings) -> uvicorn.Server | None:
    if settings.admin_port is None or settings.admin_host is None:
        return None
    token = Path(settings.admin_token_file).read_text().strip() if settings.admin_token_file else ""
    app = create_admin_app(
        store_url=settings.store_url,
        token=token,
        metrics_text=metrics_text,
        health_snapshot=health_snapshot,
    )
    config = uvicorn.Config(
        app,
        host=settings.admin_host,
        port=settings.admin_port,
        loop="asyncio",
        lifespan="auto",
        log_level="warning",
        access_log=False,
    )
    return uvicorn.Server(config)
