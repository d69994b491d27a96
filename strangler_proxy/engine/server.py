"""Run the engine: uvicorn (uvloop + httptools) with one or more worker processes, and the
admin app (when configured) in a thread of the main process.

With one worker the engine runs in this process and the admin reads its counters live; with
several, uvicorn's supervisor spawns the workers on one shared socket, each with its own
engine polling the store, and each writes a snapshot file the admin merges.

>>> run_engine(EngineSettings(monolith_url="http://127.0.0.1:8000", port=8080))  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess

from strangler_proxy.admin import create_admin_app
from strangler_proxy.engine import runtime
from strangler_proxy.engine.app import ProxyApp
from strangler_proxy.engine.protocol import MAX_HEADER_BYTES_ENV, ProxyHttpProtocol
from strangler_proxy.engine.settings import EngineSettings
from strangler_proxy.metrics import render

SETTINGS_ENV = "STRANGLER_PROXY_SETTINGS"
STATE_DIR_ENV = "STRANGLER_PROXY_STATE_DIR"
log = logging.getLogger("strangler.proxy")


def create_app() -> ProxyApp:
    """uvicorn's app factory, called once in each worker process."""
    settings = EngineSettings.from_json(os.environ[SETTINGS_ENV])
    state_dir = os.environ.get(STATE_DIR_ENV)
    engine = runtime.EngineRuntime(settings, state_dir=Path(state_dir) if state_dir else None)
    if state_dir is None:
        runtime.LOCAL = engine
    return engine.app


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
    state_dir = os.environ.get(STATE_DIR_ENV)
    return runtime.read_states(Path(state_dir)) if state_dir else []


def uvicorn_config(settings: EngineSettings) -> uvicorn.Config:
    return uvicorn.Config(
        "strangler_proxy.engine.server:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        loop="uvloop",
        http=ProxyHttpProtocol,
        ws="none",
        lifespan="on",
        proxy_headers=False,  # X-Forwarded-* are handled by the wire rules (trusted hops)
        server_header=False,  # the upstream's Server and Date headers pass through
        date_header=False,
        access_log=False,
        log_level="warning",
        timeout_graceful_shutdown=int(settings.graceful_seconds),
        timeout_keep_alive=5,
    )


def run_engine(settings: EngineSettings) -> None:
    """Serve until SIGINT/SIGTERM, then drain in-flight requests and stop."""
    os.environ[SETTINGS_ENV] = settings.to_json()
    os.environ[MAX_HEADER_BYTES_ENV] = str(settings.max_header_bytes)
    state_dir: str | None = None
    if settings.workers > 1:
        state_dir = tempfile.mkdtemp(prefix="strangler-proxy-")
        os.environ[STATE_DIR_ENV] = state_dir
    config = uvicorn_config(settings)
    admin = _admin_server(settings)
    try:
        if admin is not None:  # bound here, so a taken admin port stops the start
            admin_socket = admin.config.bind_socket()
            threading.Thread(
                target=admin.run, args=([admin_socket],), name="strangler-admin", daemon=True
            ).start()
        if settings.workers == 1:
            uvicorn.Server(config).run()
        else:
            Multiprocess(config, sockets=[config.bind_socket()]).run()
    finally:
        if admin is not None:
            admin.should_exit = True
        if state_dir is not None:
            shutil.rmtree(state_dir, ignore_errors=True)
            os.environ.pop(STATE_DIR_ENV, None)


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
