"""What a service's gunicorn config module (``gunicorn -c python:<module>``) takes from the
chassis: JSON error and access logs, and the multiprocess metrics' clean-up.

A service's own module is two lines (``extracted_services/catalog/gunicorn_conf.py``)::

    from extracted_services.chassis.gunicorn_conf import child_exit, json_logconfig, on_starting
    logconfig_dict = json_logconfig("catalog")

(gunicorn reads every global of that module as a setting: only settings and hooks there.)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from extracted_services.chassis.logs import gunicorn_logging

__all__ = ["child_exit", "json_logconfig", "on_starting"]

MULTIPROC = "PROMETHEUS_MULTIPROC_DIR"


def json_logconfig(service: str) -> dict[str, Any]:
    return gunicorn_logging(service)


def on_starting(server: Any) -> None:
    """gunicorn's hook, in the master before any worker: the multiprocess dir exists and
    holds no file of an earlier run (its counts would be added to this one's)."""
    directory = os.environ.get(MULTIPROC)
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        for stale in Path(directory).glob("*.db"):
            stale.unlink(missing_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    """gunicorn's hook: a worker is gone; its live gauges leave the multiprocess dir."""
    if os.environ.get(MULTIPROC):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
