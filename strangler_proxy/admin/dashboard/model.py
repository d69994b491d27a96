"""The dashboard's state (pure): routes, services and events as the page shows them.

Everything here is computed from plain inputs (the route table as JSON, per-route figures,
evidence summaries, bars and budgets, the health and events views), so the page is a
rendering of one JSON document and the figures are tested without a browser.

>>> from strangler_proxy.evidence.summary import RouteEvidence
>>> routes = [{"id": "products", "methods": ["GET"], "template": "/api/products/",
...            "service": "catalog", "mode": "shadow", "percent": 0}]
>>> figures = {"products": RouteFigures(requests=50, rps=5.0, errors=1, error_rate=0.02,
...            shadow={"match": 30, "mismatch": 1})}
>>> evidence = {"products": RouteEvidence("products", samples=150, match=148, mismatch=2)}
>>> row = route_rows(routes, figures, evidence, {}, {})[0]
>>> row["rps"], row["error_rate"], row["shadow"]["match_rate"]
(5.0, 0.02, 0.986667)
>>> row["gate"]["state"], row["gate"]["missing"][0]
('not met', '150 samples, the bar is 200 (shadow it longer)')
>>> row["budget"]["judged"]  # a route in shadow serves nothing from the service
False
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from strangler_proxy.admin.dashboard.figures import RouteFigures, Side
from strangler_proxy.evidence.gate import Bar, judge_promotion
from strangler_proxy.evidence.rollback import Budget
from strangler_proxy.evidence.summary import RouteEvidence

PROMOTED = ("canary", "service")
TOP_PATHS = 3


def route_rows(
    routes: Sequence[Mapping[str, Any]],
    figures: Mapping[str, RouteFigures],
    evidence: Mapping[str, RouteEvidence],
    bars: Mapping[str, Bar],
    budgets: Mapping[str, Budget],
) -> list[dict[str, Any]]:
    """One row per route, in the table's precedence order."""
    rows = []
    for route in routes:
        route_id = str(route["id"])
        f = figures.get(route_id, RouteFigures())
        found = evidence.get(route_id, RouteEvidence(route_id))
        rows.append(
            {
                **{k: route.get(k) for k in ("id", "methods", "template", "service", "mode")},
                "percent": route.get("percent", 0),
                "split": split(route),
                "rps": f.rps,
                "error_rate": f.error_rate,
                "latency": {"monolith": _side(f.side(True)), "service": _side(f.side(False))},
                "shadow": _shadow(found, f),
                "gate": gate(str(route.get("mode")), found, bars.get(route_id, Bar())),
                "budget": burn(f, budgets.get(route_id, Budget()), str(route.get("mode"))),
            }
        )
    return rows


def split(route: Mapping[str, Any]) -> dict[str, int]:
    """Who answers real clients, in percent.

    >>> split({"mode": "canary", "percent": 25})
    {'monolith': 75, 'service': 25}
    >>> split({"mode": "shadow"})
    {'monolith': 100, 'service': 0}
    """
    mode, percent = route.get("mode"), int(route.get("percent") or 0)
    service = {"service": 100, "canary": percent}.get(str(mode), 0)
    return {"monolith": 100 - service, "service": service}


def gate(mode: str, evidence: RouteEvidence, bar: Bar) -> dict[str, Any]:
    """The promotion gate's state: ``promoted`` (already serving), ``met``, ``not met``, or
    ``no evidence`` (never shadowed: nothing to judge yet).

    >>> gate("monolith", RouteEvidence("r"), Bar())["state"]
    'no evidence'
    """
    if mode in PROMOTED:
        return {"state": "promoted", "missing": []}
    decision = judge_promotion(evidence, bar)
    state = "met" if decision.allowed else "not met" if evidence.samples else "no evidence"
    return {"state": state, "missing": list(decision.missing)}


def burn(f: RouteFigures, budget: Budget, mode: str) -> dict[str, Any]:
    """Each rollback figure as a share of its budget (1.0 = spent), over the window.

    >>> b = burn(RouteFigures(service_requests=100, service_errors=2, fallbacks=0), Budget(),
    ...          "canary")
    >>> b["worst"], b["worst_figure"], b["figures"]["errors"]
    (0.4, 'errors', 0.4)
    """
    sent = f.service_requests + f.fallbacks + max(f.service_errors - f.service_requests, 0)
    figures: dict[str, float | None] = {"errors": None, "fallbacks": None, "latency": None,
                                        "mismatches": None}  # fmt: skip
    if sent:
        figures["errors"] = round(f.service_errors / sent / budget.max_error_rate, 3)
        figures["fallbacks"] = round(f.fallbacks / sent / budget.max_fallback_rate, 3)
    service, monolith = f.side(False), f.side(True)
    enough = budget.min_latency_samples  # as the rollback: a p99 of fewer is the slowest one
    if (
        service
        and monolith
        and min(service.requests, monolith.requests) >= enough
        and (service.p99_ms and monolith.p99_ms)
    ):
        ratio = service.p99_ms / monolith.p99_ms
        figures["latency"] = round(ratio / budget.max_latency_ratio, 3)
    compared = sum(f.shadow.get(k, 0.0) for k in ("match", "mismatch", "noise"))
    if compared >= budget.min_requests:  # the rollback judges mismatches past as many
        rate = f.shadow.get("mismatch", 0.0) / compared
        figures["mismatches"] = round(rate / budget.max_mismatch_rate, 3)
    # only a route serving clients from a service has a budget to spend (the rollback's rule)
    known = [v for v in figures.values() if v is not None] if mode in PROMOTED else []
    return {
        "serving": mode in PROMOTED,
        "judged": mode in PROMOTED and sent >= budget.min_requests,
        "requests": sent,
        "min_requests": budget.min_requests,
        "figures": figures,
        "worst": max(known) if known else None,
        "worst_figure": max(
            (k for k, v in figures.items() if v is not None), key=lambda k: figures[k] or 0.0
        )
        if known
        else None,
    }


def _side(side: Side | None) -> dict[str, Any] | None:
    if side is None:
        return None
    return {"requests": side.requests, "p50_ms": side.p50_ms, "p99_ms": side.p99_ms}


def _shadow(evidence: RouteEvidence, f: RouteFigures) -> dict[str, Any]:
    return {
        "samples": evidence.samples,
        "match_rate": round(evidence.match_rate, 6) if evidence.answered else None,
        "mismatch": evidence.mismatch,
        "recent": dict(f.shadow),
        "top_paths": [
            {"path": p.path, "count": p.count, "example": p.example}
            for p in evidence.top_paths[:TOP_PATHS]
        ],
    }


def service_rows(
    services: Sequence[Mapping[str, Any]],
    health: Mapping[str, Any],
    routes: Sequence[Mapping[str, Any]],
) -> list[dict[str, Any]]:
    """Each registered service: its instances as the workers see them, the routes it serves.

    >>> health = {"workers": [{"pid": 1, "health": {"catalog": [
    ...     {"url": "http://a", "healthy": True, "ejected": False, "ejections": 2},
    ...     {"url": "http://b", "healthy": False, "ejected": True, "ejections": 1}]}}]}
    >>> row = service_rows([{"name": "catalog", "urls": ["http://a", "http://b"]}], health, [])[0]
    >>> row["state"], row["up"], row["ejections"]
    ('degraded', 1, 3)
    """
    workers = health.get("workers") if isinstance(health.get("workers"), list) else []
    rows = []
    for spec in services:
        name = str(spec["name"])
        instances: dict[str, dict[str, Any]] = {
            url: {"url": url, "healthy": None, "ejected": False, "ejections": 0}
            for url in spec.get("urls", [])
        }
        for worker in workers or []:
            for seen in (worker.get("health") or {}).get(name, []):
                mine = instances.setdefault(seen["url"], {"url": seen["url"], "ejections": 0})
                # unhealthy or ejected in any worker: shown so (the worst view wins)
                healthy = bool(seen.get("healthy")) and mine.get("healthy") is not False
                mine["healthy"] = healthy
                mine["ejected"] = bool(seen.get("ejected")) or bool(mine.get("ejected"))
                mine["ejections"] = int(mine.get("ejections", 0)) + int(seen.get("ejections", 0))
                mine["last_check_error"] = seen.get("last_check_error")
        listed = list(instances.values())
        up = sum(1 for i in listed if i.get("healthy") and not i.get("ejected"))
        unknown = all(i.get("healthy") is None for i in listed)
        state = (
            "unknown"
            if unknown
            else "up"
            if up == len(listed)
            else "down"
            if not up
            else "degraded"
        )
        serving = [
            r["id"] for r in routes if r.get("service") == name and r.get("mode") in PROMOTED
        ]
        rows.append({"name": name, "state": state, "up": up, "instances": listed,
                     "ejections": sum(int(i.get("ejections", 0)) for i in listed),
                     "serving": serving})  # fmt: skip
    return rows


def events_view(found: Mapping[str, Any] | None, watched: bool = True) -> dict[str, Any]:
    """The events panel: the status as ``strangler events status --json`` gives it (None:
    not read yet).

    >>> events_view(None, watched=False)["available"]
    False
    >>> events_view(None)["loading"], events_view({"error": "no broker"})["error"]
    (True, 'no broker')
    """
    empty: dict[str, Any] = {"available": watched, "loading": False, "error": None, "backlog": [],
             "subscribers": []}  # fmt: skip
    if not watched:
        return empty
    if found is None:
        return {**empty, "loading": True}
    if found.get("error"):
        return {**empty, "error": str(found["error"])}
    return {
        **empty,
        "stream": found.get("stream"),
        "messages": found.get("messages"),
        "backlog": list(found.get("backlog", [])),
        "subscribers": list(found.get("subscribers", [])),
    }
