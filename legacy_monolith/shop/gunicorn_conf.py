"""gunicorn's config for the monolith (``gunicorn -c python:legacy_monolith.shop.gunicorn_conf``):
JSON error and access logs (``STRANGLER_LOG_FORMAT=text``: gunicorn's own text, no access
log), and the multiprocess metrics' files: none left from an earlier run, a dead worker's
live gauges dropped. gunicorn reads every global here as a setting: only settings and hooks."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from legacy_monolith.shop.observability.logs import gunicorn_logging

logconfig_dict = gunicorn_logging("legacy-monolith")


def on_starting(server: Any) -> None:
    """In the master before any worker: the multiprocess dir exists and holds no file of an
    earlier run (its counts would be added to this one's)."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        for stale in Path(directory).glob("*.db"):
            stale.unlink(missing_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    """A worker is gone: its live gauges leave ``PROMETHEUS_MULTIPROC_DIR``."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
