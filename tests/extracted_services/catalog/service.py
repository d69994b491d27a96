"""The catalog service as the tests run it: its own process (gunicorn on port 0, its own
SQLite file) and its manage.py commands, always as subprocesses. pytest's Django is the
monolith's, so the service's Django never runs inside the test process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import httpx

from strangler_proxy.stack.monolith import GUNICORN_LISTENING
from strangler_proxy.stack.process import ManagedProcess

SETTINGS = "extracted_services.catalog.settings"

#: the bearer the tests' deliveries present at /internal/events/
EVENTS_TOKEN = "catalog-test-events-token"


def catalog_env(var_dir: Path, database_url: str | None = None) -> dict[str, str]:
    """Its own settings and database (SQLite in ``var_dir`` unless ``database_url``),
    whatever the monolith's environment says."""
    return {
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "CATALOG_VAR_DIR": str(var_dir),
        "DATABASE_URL": database_url or f"sqlite:///{var_dir / 'catalog.sqlite3'}",
    }


def start_catalog(
    var_dir: Path,
    monolith: str | None = None,
    events_token: str | None = EVENTS_TOKEN,
    database_url: str | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> ManagedProcess:
    """``python -m extracted_services.catalog --port 0``: migrates, then serves; verifies
    JWTs with ``monolith``'s published keys and takes events with ``events_token``
    (``extra_env``: tracing, metrics)."""
    env = {**catalog_env(var_dir, database_url), **(extra_env or {})}
    if monolith:
        env["JWKS_URL"] = f"{monolith}/.well-known/jwks.json"
    env["EVENTS_TOKEN"] = events_token or ""
    return ManagedProcess(
        "catalog",
        [sys.executable, "-m", "extracted_services.catalog", "--port", "0"],
        health_url="http://127.0.0.1:{port}/health/",
        announces=GUNICORN_LISTENING,
        env=env,
        log_path=var_dir / "catalog.log",
    ).start()


def manage(
    var_dir: Path, *args: str, database_url: str | None = None
) -> subprocess.CompletedProcess[str]:
    """The service's ``manage.py`` with its own settings and database."""
    argv = [sys.executable, "-m", "extracted_services.catalog.manage", *args]
    env = {**os.environ, **catalog_env(var_dir, database_url)}
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)


def backfill(
    var_dir: Path, monolith: str, token: str, database_url: str | None = None
) -> subprocess.CompletedProcess[str]:
    args = ("backfill_catalog", "--from", monolith, "--token", token)
    return manage(var_dir, *args, database_url=database_url)


def staff_token(monolith: str) -> str:
    """The seeded staff user's DRF token (the backfill reads inactive products with it)."""
    answer = httpx.post(
        f"{monolith}/api/auth/token/",
        json={"username": "staff", "password": "staff-demo-pass"},
    )
    answer.raise_for_status()
    return str(answer.json()["token"])


def tallies(output: str) -> dict[str, str]:
    """``{"products": "16 created, 0 updated, 0 unchanged", ...}`` from the report."""
    lines = (line.split(": ", 1) for line in output.splitlines() if ": " in line)
    return {name: tally for name, tally in lines if name != "backfill done"}
