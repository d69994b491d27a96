"""gunicorn's config for the monolith (``gunicorn -c python:legacy_monolith.shop.gunicorn_conf``):
JSON error and access logs (``STRANGLER_LOG_FORMAT=text``: gunicorn's own text, no access
log), and the multiprocess metrics' clean-up when a worker exits."""

from __future__ import annotations

import os
from typing import Any

from legacy_monolith.shop.observability.logs import gunicorn_logging

logconfig_dict = gunicorn_logging("legacy-monolith")


def child_exit(server: Any, worker: Any) -> None:
    """A worker is gone: its live gauges leave ``PROMETHEUS_MULTIPROC_DIR``."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
