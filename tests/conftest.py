"""Fixtures that start real things on loopback and clean them up.

``monolith_server`` is the legacy monolith under gunicorn on a free port, on its own SQLite
file, migrated and seeded with the ``tiny`` data set. Proxy, traffic and comparison tests
all talk to it over real sockets.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from strangler_proxy.stack.process import ManagedProcess, free_port

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class RunningServer:
    base_url: str
    process: ManagedProcess
    env: dict[str, str]


def monolith_env(var_dir: Path, database_url: str | None = None) -> dict[str, str]:
    env = {
        "STRANGLER_VAR_DIR": str(var_dir),
        "DJANGO_SETTINGS_MODULE": "legacy_monolith.shop.settings",
    }
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def prepare_monolith_db(env: dict[str, str], size: str = "tiny") -> None:
    """Migrate and seed a fresh monolith database (real manage.py commands)."""
    import os

    full_env = {**os.environ, **env}
    manage = [sys.executable, str(ROOT / "legacy_monolith" / "manage.py")]
    for args in (["migrate", "--noinput", "-v0"], ["seed_shop", "--size", size, "--seed", "42"]):
        result = subprocess.run([*manage, *args], env=full_env, capture_output=True, text=True)
        if result.returncode != 0:
            command = " ".join(args)
            raise RuntimeError(f"manage.py {command} failed:\n{result.stdout}\n{result.stderr}")


def start_monolith(var_dir: Path, env: dict[str, str], workers: int = 2) -> ManagedProcess:
    port = free_port()
    argv = [
        str(BIN / "gunicorn"),
        "legacy_monolith.shop.wsgi:application",
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers),
        "--threads", "4",
        "--worker-class", "gthread",
        "--graceful-timeout", "5",
    ]
    proc = ManagedProcess(
        "monolith",
        argv,
        health_url=f"http://127.0.0.1:{port}/health/",
        env=env,
        cwd=ROOT,
        log_path=var_dir / "monolith.log",
    )
    proc.port = port  # type: ignore[attr-defined]
    return proc.start()


@pytest.fixture(scope="session")
def monolith_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    var_dir = tmp_path_factory.mktemp("monolith")
    env = monolith_env(var_dir)
    prepare_monolith_db(env)
    proc = start_monolith(var_dir, env)
    try:
        yield RunningServer(f"http://127.0.0.1:{proc.port}", proc, env)  # type: ignore[attr-defined]
    finally:
        proc.stop()
