"""Per-route figures from two metrics snapshots (pure): rate, error rate, latency by side.

The proxy's counters only grow, so what happened between two snapshots is their difference;
a counter that went down (a worker restarted) counts from zero. Latency quantiles are read
off the histogram's buckets as Prometheus's ``histogram_quantile`` does (linear within the
bucket that holds the rank).

>>> old = {"requests": [["r", "monolith", "2xx", 10]],
...        "latency": [["r", "monolith", [0, 0, 10] + [0] * 12 + [10, 0.01]]]}
>>> new = {"requests": [["r", "monolith", "2xx", 40], ["r", "catalog", "5xx", 10]],
...        "latency": [["r", "monolith", [0, 0, 40] + [0] * 12 + [40, 0.05]],
...                    ["r", "catalog", [0] * 6 + [10] + [0] * 8 + [10, 0.3]]]}
>>> f = route_figures(delta(parse(new), parse(old)), 10.0)["r"]
>>> f.rps, f.error_rate
(4.0, 0.25)
>>> f.sides["monolith"].p50_ms, f.sides["catalog"].p99_ms
(1.75, 49.75)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: the proxy's histogram bounds, seconds (strangler_proxy.metrics.BUCKETS)
from strangler_proxy.metrics import BUCKETS

MONOLITH = "monolith"
PROXY = "proxy"  # the proxy answered itself (an error on the upstream's behalf)


@dataclass
class Counters:
    """A snapshot reduced to what the dashboard reads, keyed for subtraction."""

    requests: dict[tuple[str, str, str], float] = field(default_factory=dict)
    latency: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    fallbacks: dict[tuple[str, str], float] = field(default_factory=dict)
    shadow: dict[tuple[str, str], float] = field(default_factory=dict)


def parse(snapshot: Mapping[str, Any]) -> Counters:
    """Either latency shape: ``[[route, served_by, hist], ...]`` or the older
    ``{route: hist}`` (its side is then unknown: ``"all"``)."""
    latency = snapshot.get("latency") or []
    items = (
        [(route, "all", hist) for route, hist in latency.items()]
        if isinstance(latency, Mapping)
        else [(route, side, hist) for route, side, hist in latency]
    )
    return Counters(
        requests={(r, s, c): float(v) for r, s, c, v in snapshot.get("requests", [])},
        latency={(r, s): [float(x) for x in h] for r, s, h in items},
        fallbacks={(r, why): float(v) for r, why, v in snapshot.get("fallbacks", [])},
        shadow={(r, o): float(v) for r, o, v in snapshot.get("shadow", [])},
    )


def delta(new: Counters, old: Counters) -> Counters:
    """What ``new`` counted since ``old`` (a counter that shrank restarted: all of it is new)."""

    def sub(a: dict[Any, float], b: dict[Any, float]) -> dict[Any, float]:
        return {k: v - b.get(k, 0.0) if v >= b.get(k, 0.0) else v for k, v in a.items()}

    latency = {}
    for key, hist in new.latency.items():
        before = old.latency.get(key)
        if before is None or len(before) != len(hist) or hist[-2] < before[-2]:
            latency[key] = list(hist)  # new, or its worker restarted
        else:
            latency[key] = [a - b for a, b in zip(hist, before, strict=True)]
    return Counters(
        sub(new.requests, old.requests), latency,
        sub(new.fallbacks, old.fallbacks), sub(new.shadow, old.shadow),
    )  # fmt: skip


def quantile(hist: list[float], q: float) -> float | None:
    """The ``q`` quantile in milliseconds of a histogram (buckets..., count, sum); None if empty.

    >>> quantile([0, 4] + [0] * 13 + [4, 0.004], 0.5)
    0.75
    >>> quantile([0] * 14 + [2, 2, 40.0], 0.99)  # beyond the last bound: that bound
    10000.0
    """
    counts, total = hist[: len(BUCKETS) + 1], hist[-2]
    if total <= 0:
        return None
    rank, seen, lower = q * total, 0.0, 0.0
    for i, count in enumerate(counts):
        if i == len(BUCKETS):
            return BUCKETS[-1] * 1000
        if seen + count >= rank and count > 0:
            upper = BUCKETS[i]
            return round((lower + (upper - lower) * (rank - seen) / count) * 1000, 3)
        seen += count
        lower = BUCKETS[i]
    return BUCKETS[-1] * 1000


@dataclass(frozen=True)
class Side:
    requests: float
    p50_ms: float | None
    p99_ms: float | None


@dataclass(frozen=True)
class RouteFigures:
    requests: float = 0.0
    rps: float = 0.0
    errors: float = 0.0  # 5xx, whoever answered
    error_rate: float | None = None
    sides: Mapping[str, Side] = field(default_factory=dict)  # served_by -> latency
    service_requests: float = 0.0  # answered by a service
    service_errors: float = 0.0  # 5xx from a service, or from the proxy on its behalf
    fallbacks: float = 0.0
    shadow: Mapping[str, float] = field(default_factory=dict)  # outcome -> count

    def side(self, monolith: bool) -> Side | None:
        """The monolith's latency, or the services' (the busiest service side)."""
        if monolith:
            return self.sides.get(MONOLITH)
        others = [s for name, s in self.sides.items() if name not in (MONOLITH, PROXY, "all")]
        return max(others, key=lambda s: s.requests, default=None)


def route_figures(window: Counters, seconds: float) -> dict[str, RouteFigures]:
    """Each route's figures over a window of ``seconds``."""
    totals: dict[str, dict[str, float]] = {}
    for (route, served_by, code), value in window.requests.items():
        t = totals.setdefault(route, {"n": 0.0, "e": 0.0, "sn": 0.0, "se": 0.0})
        t["n"] += value
        is_error = code == "5xx"
        t["e"] += value if is_error else 0.0
        if served_by != MONOLITH:
            t["sn"] += value if served_by != PROXY else 0.0
            t["se"] += value if is_error else 0.0
    fallbacks: dict[str, float] = {}
    for (route, _), value in window.fallbacks.items():
        fallbacks[route] = fallbacks.get(route, 0.0) + value
    shadow: dict[str, dict[str, float]] = {}
    for (route, outcome), value in window.shadow.items():
        shadow.setdefault(route, {})[outcome] = value
    sides: dict[str, dict[str, Side]] = {}
    for (route, served_by), hist in window.latency.items():
        sides.setdefault(route, {})[served_by] = Side(
            hist[-2], quantile(hist, 0.5), quantile(hist, 0.99)
        )
    found = {}
    for route in set(totals) | set(shadow) | set(sides) | set(fallbacks):
        t = totals.get(route, {"n": 0.0, "e": 0.0, "sn": 0.0, "se": 0.0})
        found[route] = RouteFigures(
            requests=t["n"],
            rps=round(t["n"] / seconds, 2) if seconds > 0 else 0.0,
            errors=t["e"],
            error_rate=round(t["e"] / t["n"], 4) if t["n"] else None,
            sides=sides.get(route, {}),
            service_requests=t["sn"],
            service_errors=t["se"],
            fallbacks=fallbacks.get(route, 0.0),
            shadow=shadow.get(route, {}),
        )
    return found
