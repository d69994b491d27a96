"""``services list``: each instance's health as the proxy sees it, in words (pure).

The admin API's ``health`` of a service is what the data plane reports: a list of instance
views (one balancer), or one ``{"pid", "instances"}`` per engine worker (each worker checks
on its own), or ``null`` when the admin API is not attached to a proxy. An instance view::

    {"url", "healthy", "ejected", "ejections", "available", "inflight", "last_check_error"}

plus, when the data plane gives them, ``ejected_until`` and ``last_check_at`` (ISO 8601).

>>> view = {"url": "http://127.0.0.1:8101", "healthy": False, "ejected": False,
...         "inflight": 0, "last_check_error": "HTTP 503"}
>>> describe_instance(view, now=None)
('down', '0', 'failed: HTTP 503')
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from strangler_proxy.cli.tables import Column, Grid

STATE_STYLES = {"up": "green", "down": "red", "ejected": "yellow"}


def services_grid(services: Sequence[Mapping[str, Any]], now: datetime | None = None) -> Grid:
    """One row per instance (per instance and worker when several workers report)."""
    rows: list[tuple[str, ...]] = []
    pids: set[object] = set()
    for service in services:
        name, instances = service["name"], list(service["instances"])
        seen = _views(service.get("health"))
        if seen is None:
            health = service.get("health")
            check = "no proxy reports to this admin API" if health is None else _raw(health)
            rows.extend((name, url, "", "unknown", "-", check) for url in instances)
            continue
        pids.update(pid for pid, _ in seen if pid)
        for url in instances:
            for pid, views in seen:
                view = next((v for v in views if v.get("url") == url), None)
                seen_as = (
                    ("not checked", "-", "-") if view is None else describe_instance(view, now)
                )
                rows.append((name, url, str(pid or ""), *seen_as))
    columns = [
        Column("service"),
        Column("instance"),
        Column("worker", right=True),
        Column("state", styles=STATE_STYLES, keep=False),
        Column("in flight", right=True),
        Column("last check", keep=False),
    ]
    if len(pids) < 2:  # one worker (or one balancer): its pid says nothing
        del columns[2]
        rows = [row[:2] + row[3:] for row in rows]
    grid = Grid("Services (health as the proxy sees it)", columns)
    for row in rows:
        grid.add(*row)
    return grid


def describe_instance(view: Mapping[str, Any], now: datetime | None) -> tuple[str, str, str]:
    """(state, in flight, last check) of one instance view."""
    if view.get("ejected"):
        until = _moment(view.get("ejected_until"))
        state = "ejected" if until is None else f"ejected until {until:%H:%M:%S} UTC"
        if view.get("ejections", 0) > 1:
            state += f" ({view['ejections']} times)"
    else:
        state = "up" if view.get("healthy") else "down"
    error = view.get("last_check_error")
    checked = _moment(view.get("last_check_at"))
    outcome = f"failed: {error}" if error else "ok"
    if checked is not None and now is not None:
        outcome = f"{_age(now, checked)} ago, {outcome}"
    elif not error and "last_check_at" in view and view["last_check_at"] is None:
        outcome = "not yet"
    return state, str(view.get("inflight", "-")), outcome


def _views(health: Any) -> list[tuple[int | None, list[Mapping[str, Any]]]] | None:
    """[(worker pid or None, instance views)], or None for a shape this view cannot read."""
    if not isinstance(health, list) or not all(isinstance(x, Mapping) for x in health):
        return None
    if health and all("instances" in x for x in health):
        return [(x.get("pid"), list(x["instances"])) for x in health]
    if all("url" in x for x in health):
        return [(None, list(health))]
    return None


def _moment(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _age(now: datetime, then: datetime) -> str:
    seconds = max(0, int((now - then).total_seconds()))
    return f"{seconds} s" if seconds < 120 else f"{seconds // 60} min"


def _raw(health: Any) -> str:
    return json.dumps(health, sort_keys=True)
