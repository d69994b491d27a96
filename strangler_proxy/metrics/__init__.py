"""Per-route counters in Prometheus text format (exposition 0.0.4), written by hand.

Recording is a few dict and list operations (it runs on every request); snapshots are
plain JSON-able dicts so several worker processes can be merged into one exposition.

>>> m = Metrics()
>>> m.request("catalog-list", served_by="catalog", status=200, seconds=0.004)
>>> m.fallback("catalog-list", "refused")
>>> 'strangler_requests_total{route="catalog-list",served_by="catalog",code="2xx"} 1' in m.text()
True

The snapshot (what a worker writes to its status file, what ``merge`` sums): ``requests``
``[[route, served_by, code, n]]``, ``latency`` ``[[route, served_by, hist]]`` (hist: the
bucket counts, ``len(BUCKETS) + 1`` of them, then the count, then the sum), ``fallbacks``
``[[route, reason, n]]``, ``shadow`` ``[[route, outcome, n]]``, ``rollbacks`` ``[[route, n]]``
``routes`` ``[[route, mode, service, canary_percent]]`` (the worker's route table:
``strangler_route_info`` and ``strangler_route_canary_percent``) and ``budgets`` ``[[route,
name, value]]`` (the automatic rollback's budget of each route it watches:
``strangler_rollback_budget``).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping
from typing import Any

from strangler_proxy.routing import Mode, RouteTable

#: latency histogram upper bounds in seconds (+Inf is implicit)
BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_CODE = ("1xx", "2xx", "3xx", "4xx", "5xx")
#: why the monolith answered for a service (``policy.verdict``'s reasons; a test keeps the two
#: alike: metrics and policy are one layer and do not import each other)
FALLBACK_REASONS = ("refused", "timeout", "broken", "5xx", "circuit-open")
#: a comparison's verdicts, as ``strangler_shadow_total`` counts them
VERDICTS = ("match", "mismatch", "noise")

Snapshot = dict[str, Any]


class Metrics:
    """Counters for one process."""

    def __init__(self) -> None:
        # by exact status: the status class is worked out when a snapshot is taken, not on
        # every request
        self._requests: dict[tuple[str, str, int], int] = {}
        # (route, served_by) -> bucket counts..., count, sum
        self._latency: dict[tuple[str, str], list[float]] = {}
        self._fallbacks: dict[tuple[str, str], int] = {}
        self._shadow: dict[tuple[str, str], int] = {}
        self._rollbacks: dict[str, int] = {}
        self._routes: list[list[Any]] = []  # [route, mode, service, canary percent]
        self._budgets: list[list[Any]] = []  # [route, budget's field, value]

    def routes(self, table: RouteTable) -> None:
        """The route table this worker serves now (``strangler_route_info``): set when the
        table is loaded or swapped, not per request.

        The series the rollback's rules read start at 0 for a route a service takes part in
        (its 5xx, its fallbacks, its verdicts): Prometheus's ``rate()`` does not count the
        increment a series appears with, so a route's first mismatch or fallback would be
        missed."""
        self._routes = [
            [r.id, r.mode.value, r.service or "", r.percent if r.mode is Mode.CANARY else 0]
            for r in table.routes()
        ]
        for r in table.routes():
            if r.service is None or r.mode is Mode.MONOLITH:
                continue
            if r.mode is not Mode.SHADOW:
                self._requests.setdefault((r.id, r.service, 500), 0)
                for reason in FALLBACK_REASONS:
                    self._fallbacks.setdefault((r.id, reason), 0)
            if r.mode is not Mode.SERVICE:
                for verdict in VERDICTS:
                    self._shadow.setdefault((r.id, verdict), 0)

    def budgets(self, budgets: Mapping[str, Mapping[str, float]]) -> None:
        """The automatic rollback's budget of each route it watches now (by route, each
        field of the budget): set by its check, so Prometheus's alerts judge by the same
        numbers as the proxy, a rules file's edit included."""
        self._budgets = [
            [route, name, value]
            for route, budget in sorted(budgets.items())
            for name, value in budget.items()
        ]

    def request(self, route: str, *, served_by: str, status: int, seconds: float) -> None:
        requests = self._requests
        key = (route, served_by, status)
        requests[key] = requests.get(key, 0) + 1
        hkey = (route, served_by)
        hist = self._latency.get(hkey)
        if hist is None:
            hist = self._latency[hkey] = [0.0] * (len(BUCKETS) + 3)
        hist[bisect_left(BUCKETS, seconds)] += 1
        hist[-2] += 1
        hist[-1] += seconds

    def fallback(self, route: str, reason: str) -> None:
        key = (route, reason)
        self._fallbacks[key] = self._fallbacks.get(key, 0) + 1

    def rollback(self, route: str) -> None:
        """The proxy flipped ``route`` back to the monolith (its budget was spent)."""
        self._rollbacks[route] = self._rollbacks.get(route, 0) + 1

    def shadow(self, route: str, outcome: str) -> None:
        """``outcome``: same-status, different-status, error, dropped, or a comparison's
        verdict (match, mismatch, noise)."""
        key = (route, outcome)
        self._shadow[key] = self._shadow.get(key, 0) + 1

    def snapshot(self) -> Snapshot:
        by_class: dict[tuple[str, str, str], int] = {}
        # list(d.items()) copies in one C call: safe while the event loop records
        for (route, served_by, status), value in list(self._requests.items()):
            key = (route, served_by, status_class(status))
            by_class[key] = by_class.get(key, 0) + value
        return {
            "requests": [[*k, v] for k, v in by_class.items()],
            "latency": [[*k, list(v)] for k, v in list(self._latency.items())],
            "fallbacks": [[*k, v] for k, v in list(self._fallbacks.items())],
            "shadow": [[*k, v] for k, v in list(self._shadow.items())],
            "rollbacks": [[k, v] for k, v in list(self._rollbacks.items())],
            "routes": list(self._routes),
            "budgets": list(self._budgets),
        }

    def text(self) -> str:
        return render([self.snapshot()])


def status_class(status: int) -> str:
    """``"2xx"`` for 200-299, and so on; anything below 100 counts as 1xx, above 599 as 5xx."""
    return _CODE[min(max(status // 100, 1), 5) - 1]


def merge(snapshots: Iterable[Snapshot]) -> Snapshot:
    """Sum the snapshots of several processes (a route's info: the last worker's, as they
    may be a poll apart)."""
    requests: dict[tuple[str, str, str], int] = {}
    latency: dict[tuple[str, str], list[float]] = {}
    fallbacks: dict[tuple[str, str], int] = {}
    shadow: dict[tuple[str, str], int] = {}
    rollbacks: dict[str, int] = {}
    routes: dict[str, list[Any]] = {}
    budgets: dict[tuple[str, str], float] = {}
    for snap in snapshots:
        for route, served_by, code, value in snap.get("requests", []):
            k3 = (route, served_by, code)
            requests[k3] = requests.get(k3, 0) + value
        for route, served_by, hist in snap.get("latency", []):
            mine = latency.setdefault((route, served_by), [0.0] * len(hist))
            for i, value in enumerate(hist):
                mine[i] += value
        for route, reason, value in snap.get("fallbacks", []):
            fallbacks[(route, reason)] = fallbacks.get((route, reason), 0) + value
        for route, outcome, value in snap.get("shadow", []):
            shadow[(route, outcome)] = shadow.get((route, outcome), 0) + value
        for route, value in snap.get("rollbacks", []):
            rollbacks[route] = rollbacks.get(route, 0) + value
        for info in snap.get("routes", []):
            routes[info[0]] = list(info)
        for route, name, value in snap.get("budgets", []):
            budgets[(route, name)] = value
    return {
        "requests": [[*k, v] for k, v in requests.items()],
        "latency": [[*k, v] for k, v in latency.items()],
        "fallbacks": [[*k, v] for k, v in fallbacks.items()],
        "shadow": [[*k, v] for k, v in shadow.items()],
        "rollbacks": [[k, v] for k, v in rollbacks.items()],
        "routes": list(routes.values()),
        "budgets": [[*k, v] for k, v in budgets.items()],
    }


def render(snapshots: Iterable[Snapshot]) -> str:
    """Prometheus text exposition of the summed snapshots."""
    snap = merge(snapshots)
    out: list[str] = []
    _family(
        out,
        "strangler_requests_total",
        "counter",
        "Requests answered, by route, who answered and status class.",
    )
    for route, served_by, code, value in sorted(snap["requests"]):
        out.append(
            f"strangler_requests_total{_labels(route=route, served_by=served_by, code=code)}"
            f" {value}"
        )
    _family(
        out,
        "strangler_request_duration_seconds",
        "histogram",
        "Time from request head to the last body byte sent.",
    )
    for route, served_by, hist in sorted(snap["latency"]):
        cumulative = 0.0
        for bound, count in zip((*BUCKETS, "+Inf"), hist[:-2], strict=True):
            cumulative += count
            le = bound if isinstance(bound, str) else repr(bound)
            labels = _labels(route=route, served_by=served_by, le=le)
            out.append(f"strangler_request_duration_seconds_bucket{labels} {int(cumulative)}")
        labels = _labels(route=route, served_by=served_by)
        out.append(f"strangler_request_duration_seconds_count{labels} {int(hist[-2])}")
        out.append(f"strangler_request_duration_seconds_sum{labels} {hist[-1]:.6f}")
    _family(
        out,
        "strangler_fallbacks_total",
        "counter",
        "Requests the monolith answered because the service could not.",
    )
    for route, reason, value in sorted(snap["fallbacks"]):
        out.append(f"strangler_fallbacks_total{_labels(route=route, reason=reason)} {value}")
    _family(out, "strangler_shadow_total", "counter", "Shadow copies sent to services, by outcome.")
    for route, outcome, value in sorted(snap["shadow"]):
        out.append(f"strangler_shadow_total{_labels(route=route, outcome=outcome)} {value}")
    _family(out, "strangler_rollbacks_total", "counter", "Automatic rollbacks to the monolith.")
    for route, value in sorted(snap["rollbacks"]):
        out.append(f"strangler_rollbacks_total{_labels(route=route)} {value}")
    routes = sorted(snap["routes"])
    _family(out, "strangler_route_info", "gauge", "The route table: each route's mode and service.")
    for route, mode, service, _ in routes:
        out.append(f"strangler_route_info{_labels(route=route, mode=mode, service=service)} 1")
    _family(out, "strangler_route_canary_percent", "gauge",
            "Share of clients a canary route sends to its service (0 unless canary).")  # fmt: skip
    for route, _, _, percent in routes:
        out.append(f"strangler_route_canary_percent{_labels(route=route)} {percent}")
    _family(out, "strangler_rollback_budget", "gauge",
            "The automatic rollback's budget of each route it watches, by field.")  # fmt: skip
    for route, name, value in sorted(snap["budgets"]):
        out.append(f"strangler_rollback_budget{_labels(route=route, budget=name)} {value:g}")
    return "\n".join(out) + "\n"


def _family(out: list[str], name: str, kind: str, help_text: str) -> None:
    out.append(f"# HELP {name} {help_text}")
    out.append(f"# TYPE {name} {kind}")


def _labels(**labels: str) -> str:
    parts = []
    for key, value in labels.items():
        escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        parts.append(f'{key}="{escaped}"')
    return "{" + ",".join(parts) + "}"
