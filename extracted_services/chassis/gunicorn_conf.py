"""What a service's gunicorn config module (``gunicorn -c python:<module>``) takes from the
chassis: JSON error and access logs, and the multiprocess metrics' clean-up.

A service's own module is two lines (``extracted_services/catalog/gunicorn_conf.py``)::

    from extracted_services.chassis.gunicorn_conf import child_exit, json_logconfig
    logconfig_dict = json_logconfig("catalog")
"""

from __future__ import annotations

import os
from typing import Any

from extracted_services.chassis.logs import gunicorn_logging

__all__ = ["child_exit", "json_logconfig"]


def json_logconfig(service: str) -> dict[str, Any]:
    return gunicorn_logging(service)


def child_exit(server: Any, worker: Any) -> None:
    """gunicorn's hook: a worker is gone; its live gauges leave the multiprocess dir."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
