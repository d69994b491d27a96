"""The notifications service as the tests (and the end-to-end tests) run it: its own
process (gunicorn on port 0, its own SQLite file in its var dir) and its manage.py
commands, always as subprocesses. pytest's Django is the monolith's, so the service's
Django never runs inside the test process."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

from strangler_proxy.stack.monolith import GUNICORN_LISTENING
from strangler_proxy.stack.process import ManagedProcess

SETTINGS = "extracted_services.notifications.settings"
DATABASE = "notifications.sqlite3"


def notifications_env(var_dir: Path, **more: str) -> dict[str, str]:
    """Its own settings and database, whatever the monolith's environment says; ``more``
    adds ``EVENTS_TOKEN``, ``JWKS_URL``, ``JWT_ISSUER``, ..."""
    return {
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "NOTIFICATIONS_VAR_DIR": str(var_dir),
        "DATABASE_URL": f"sqlite:///{var_dir / DATABASE}",
        **more,
    }


def start_notifications(var_dir: Path, **more: str) -> ManagedProcess:
    """``python -m extracted_services.notifications --port 0``: migrates, then serves."""
    return ManagedProcess(
        "notifications",
        [sys.executable, "-m", "extracted_services.notifications", "--port", "0"],
        health_url="http://127.0.0.1:{port}/health/",
        announces=GUNICORN_LISTENING,
        env=notifications_env(var_dir, **more),
        log_path=var_dir / "notifications.log",
    ).start()


def manage(var_dir: Path, *args: str, **more: str) -> subprocess.CompletedProcess[str]:
    """The service's ``manage.py`` with its own settings and database."""
    argv = [sys.executable, "-m", "extracted_services.notifications.manage", *args]
    env = {**os.environ, **notifications_env(var_dir, **more)}
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)


def backfill(var_dir: Path, database_url: str, **more: str) -> subprocess.CompletedProcess[str]:
    """``manage.py backfill_notifications --from-db URL`` (the monolith's database)."""
    return manage(var_dir, "backfill_notifications", "--from-db", database_url, **more)


def monolith_database_url(monolith_env: Mapping[str, str]) -> str:
    """The database of a monolith started by ``tests/conftest.py`` (its own or ``DATABASE_URL``)."""
    if "DATABASE_URL" in monolith_env:
        return monolith_env["DATABASE_URL"]
    return f"sqlite:///{Path(monolith_env['STRANGLER_VAR_DIR']) / 'monolith.sqlite3'}"


def tallies(output: str) -> dict[str, str]:
    """``{"notifications": "8 created, 0 updated, 0 unchanged", ...}`` from the report."""
    lines = (line.split(": ", 1) for line in output.splitlines() if ": " in line)
    return {name: tally for name, tally in lines if name != "backfill done"}


def post_events(base_url: str, token: str | None, events: Sequence[object]) -> httpx.Response:
    """One delivery to ``POST /internal/events/``, as the toolkit's deliverer makes it."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(
        f"{base_url}/internal/events/", json={"events": list(events)}, headers=headers
    )


def outcomes(answer: httpx.Response) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [result["outcome"] for result in answer.json()["results"]]


NOTIFICATION_COLUMNS = "id, customer_id, order_id, template, channel, subject, body, read_at"


def stored_notifications(var_dir: Path, where: str = "1", *params: Any) -> list[dict[str, Any]]:
    """The service's notification rows (read from its SQLite file), newest first."""
    with sqlite3.connect(var_dir / DATABASE) as db:
        db.row_factory = sqlite3.Row
        query = f"SELECT {NOTIFICATION_COLUMNS} FROM notifications_notification WHERE {where}"
        return [dict(row) for row in db.execute(f"{query} ORDER BY id DESC", params)]
