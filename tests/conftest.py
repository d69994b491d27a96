"""Fixtures that start real things on loopback and clean them up.

``monolith_server`` is the legacy monolith under gunicorn on a port the kernel picks (gunicorn
binds port 0 and logs which), on its own SQLite file, migrated and seeded with the ``tiny``
data set. Proxy, traffic and comparison tests all talk to it over real sockets.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from strangler_proxy.stack.monolith import (
    GUNICORN_LISTENING,
    gunicorn_argv,
    monolith_env,
    prepare_database,
)
from strangler_proxy.stack.process import ManagedProcess

ROOT = Path(__file__).resolve().parent.parent


__all__ = ["RunningServer", "monolith_env", "prepare_monolith_db", "start_monolith"]


@dataclass(frozen=True)
class RunningServer:
    base_url: str
    process: ManagedProcess
    env: dict[str, str]


def prepare_monolith_db(env: dict[str, str], size: str = "tiny") -> None:
    """Migrate and seed a fresh monolith database (real manage.py commands)."""
    prepare_database(sys.executable, env, size=size)


def start_monolith(
    var_dir: Path, env: dict[str, str], workers: int = 2, config: str | None = None
) -> ManagedProcess:
    """gunicorn on port 0, healthy once the port it logs answers ``/health/`` (``config``:
    a gunicorn configuration module, as ``strangler up`` passes the monolith's)."""
    return ManagedProcess(
        "monolith",
        gunicorn_argv(sys.executable, 0, workers=workers, config=config),
        health_url="http://127.0.0.1:{port}/health/",
        announces=GUNICORN_LISTENING,
        env=env,
        cwd=ROOT,
        log_path=var_dir / "monolith.log",
    ).start()


@pytest.fixture(scope="session")
def monolith_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    var_dir = tmp_path_factory.mktemp("monolith")
    env = monolith_env(var_dir)
    prepare_monolith_db(env)
    proc = start_monolith(var_dir, env)
    try:
        yield RunningServer(proc.base_url, proc, env)
    finally:
        proc.stop()
