"""Prometheus rules for the proxy's figures (pure): what each route's side did over the last
minute (the automatic rollback's window), and one alert per rollback budget.

Recording rules (one series per route, or per route and side, ``served_by``):

- ``route_served_by:strangler_requests:rate1m`` requests a second;
- ``route_served_by:strangler_requests_5xx:ratio_rate1m`` the share answered 5xx;
- ``route_served_by:strangler_request_duration_seconds:p50_1m`` and ``..:p99_1m``;
- ``route:strangler_request_duration_seconds:p99_ratio_service_monolith_1m`` the service's
  p99 over the monolith's (a canary's two sides; matched ignoring ``served_by``);
- ``route:strangler_service_requests:increase1m`` the requests sent to the service side (its
  answers, the proxy's own on its behalf, and those that fell back), as the rollback counts;
- ``route:strangler_service_5xx:ratio_rate1m`` of those, 5xx from the service side;
- ``route:strangler_fallbacks:ratio_rate1m`` of those, answered by the monolith instead;
- ``route:strangler_shadow_compared:increase1m`` shadow comparisons with a verdict;
- ``route:strangler_shadow_mismatch:ratio_rate1m`` mismatch / (match + mismatch + noise).

A ratio with no failures yet is 0, not absent (``(failures or 0 * total) / total``: a counter
appears with its first failure); a route with no traffic in the window has none (the
denominator must be ``> 0``), and ``>= 0`` drops a quantile of nothing (NaN).

Alerts: each figure of :class:`~strangler_proxy.evidence.rollback.Budget` over its bound,
for a route with at least ``min_requests`` in the window, as the proxy judges. The bounds are
the proxy's own: its automatic rollback exports the budget of each route it watches (canary
or service) as ``strangler_rollback_budget{route, budget}``, so an edit of the rules file
reaches the alerts with the proxy, and a proxy that does not roll back raises none.

>>> groups = rule_groups()
>>> [len(g["rules"]) for g in groups]
[10, 4]
>>> alert = groups[1]["rules"][0]
>>> alert["alert"], alert["labels"]["budget"]
('StranglerErrorBudgetSpent', 'max_error_rate')
>>> print(alert["expr"].replace(" and ", "\\n and ").replace(" >", "\\n   >"))
route:strangler_service_5xx:ratio_rate1m
   > on (route) max by (route) (strangler_rollback_budget{budget="max_error_rate"})
 and on (route) route:strangler_service_requests:increase1m
   >= on (route) max by (route) (strangler_rollback_budget{budget="min_requests"})
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: The rollback's window (``engine.rollback.Windows``: 60 s; a test keeps them equal).
WINDOW = "1m"
WINDOW_SECONDS = 60
EVALUATION_INTERVAL = "2s"

REQUESTS = "strangler_requests_total"
LATENCY = "strangler_request_duration_seconds_bucket"
FALLBACKS = "strangler_fallbacks_total"
SHADOW = "strangler_shadow_total"
#: The budget of each route the proxy's automatic rollback watches (``metrics``).
BUDGET = "strangler_rollback_budget"

RATE = "route_served_by:strangler_requests:rate1m"
P99 = "route_served_by:strangler_request_duration_seconds:p99_1m"
LATENCY_RATIO = "route:strangler_request_duration_seconds:p99_ratio_service_monolith_1m"
SERVICE_REQUESTS = "route:strangler_service_requests:increase1m"
SERVICE_ERRORS = "route:strangler_service_5xx:ratio_rate1m"
FALLBACK_RATIO = "route:strangler_fallbacks:ratio_rate1m"
COMPARED = "route:strangler_shadow_compared:increase1m"
MISMATCH_RATIO = "route:strangler_shadow_mismatch:ratio_rate1m"


def _sum(by: str, inner: str) -> str:
    return f"sum by ({by}) ({inner})"


def _ratio(failures: str, total: str) -> str:
    """``failures / total``: 0 when the failures' counter is not there yet, nothing when
    ``total`` is 0."""
    return f"({failures} or 0 * {total}) / ({total} > 0)"


def _quantile(q: str) -> str:
    buckets = _sum("route, served_by, le", f"rate({LATENCY}[{WINDOW}])")
    return f"histogram_quantile({q}, {buckets}) >= 0"


def recording_rules() -> list[dict[str, str]]:
    """The per-route figures, in evaluation order (later ones read earlier ones)."""
    served = _sum("route", f'increase({REQUESTS}{{served_by!="monolith"}}[{WINDOW}])')
    fell_back = _sum("route", f"increase({FALLBACKS}[{WINDOW}])")
    errors = _sum("route", f'increase({REQUESTS}{{served_by!="monolith",code="5xx"}}[{WINDOW}])')
    five = _sum("route, served_by", f'rate({REQUESTS}{{code="5xx"}}[{WINDOW}])')
    verdicts = 'outcome=~"match|mismatch|noise"'
    mismatched = _sum("route", f'increase({SHADOW}{{outcome="mismatch"}}[{WINDOW}])')
    rules = {
        RATE: _sum("route, served_by", f"rate({REQUESTS}[{WINDOW}])"),
        "route_served_by:strangler_requests_5xx:ratio_rate1m": _ratio(five, RATE),
        "route_served_by:strangler_request_duration_seconds:p50_1m": _quantile("0.5"),
        P99: _quantile("0.99"),
        LATENCY_RATIO: (
            f'{P99}{{served_by!~"monolith|proxy"}} / ignoring (served_by) '
            f'{P99}{{served_by="monolith"}}'
        ),
        SERVICE_REQUESTS: f"({served} or 0 * {fell_back}) + ({fell_back} or 0 * {served})",
        SERVICE_ERRORS: _ratio(errors, SERVICE_REQUESTS),
        FALLBACK_RATIO: _ratio(fell_back, SERVICE_REQUESTS),
        COMPARED: _sum("route", f"increase({SHADOW}{{{verdicts}}}[{WINDOW}])"),
        MISMATCH_RATIO: _ratio(mismatched, COMPARED),
    }
    return [{"record": name, "expr": expr} for name, expr in rules.items()]


@dataclass(frozen=True)
class BudgetAlert:
    """One rollback budget's figure: the field of ``Budget`` that bounds it, the recording
    rule that measures it, and how many samples it needs (``enough`` of ``counted``; the
    proxy judges no route with fewer than ``min_requests`` of its service requests)."""

    field: str
    alert: str
    figure: str
    what: str
    counted: str = SERVICE_REQUESTS
    enough: str = "min_requests"


BUDGET_ALERTS = (
    BudgetAlert("max_error_rate", "StranglerErrorBudgetSpent", SERVICE_ERRORS, "5xx rate"),
    BudgetAlert(
        "max_fallback_rate", "StranglerFallbackBudgetSpent", FALLBACK_RATIO, "fallback rate"
    ),
    BudgetAlert(
        "max_latency_ratio",
        "StranglerLatencyBudgetSpent",
        LATENCY_RATIO,
        "p99 service/monolith",
        enough="min_latency_samples",  # a p99 of fewer answers is the slowest one
    ),
    BudgetAlert(
        "max_mismatch_rate",
        "StranglerMismatchBudgetSpent",
        MISMATCH_RATIO,
        "shadow mismatch rate",
        counted=COMPARED,
    ),
)


def _bound(field: str) -> str:
    """The proxy's bound ``field`` for each watched route (one series a route, however many
    proxies are scraped)."""
    return f'max by (route) ({BUDGET}{{budget="{field}"}})'


def alerting_rules() -> list[dict[str, Any]]:
    """An alert per figure of the budget, against the proxy's own bounds."""
    rules: list[dict[str, Any]] = []
    for spec in BUDGET_ALERTS:
        expr = f"{spec.figure} > on (route) {_bound(spec.field)}"
        expr += f" and on (route) {spec.counted} >= on (route) {_bound(spec.enough)}"
        if (spec.counted, spec.enough) != (SERVICE_REQUESTS, "min_requests"):
            enough = _bound("min_requests")  # the proxy judges no route with fewer
            expr += f" and on (route) {SERVICE_REQUESTS} >= on (route) {enough}"
        rules.append(
            {
                "alert": spec.alert,
                "expr": expr,
                "labels": {"severity": "warning", "budget": spec.field},
                # no $value here: the alert shows it, and the text stays the same
                "annotations": {
                    "summary": (
                        f"{{{{ $labels.route }}}}: {spec.what} over the last minute above its "
                        "rollback budget: the proxy flips the route back to the monolith"
                    )
                },
            }
        )
    return rules


def rule_groups() -> list[dict[str, Any]]:
    """Both groups, as a rules file holds them (``{"groups": rule_groups()}``)."""
    return [
        {"name": "strangler-routes", "interval": EVALUATION_INTERVAL, "rules": recording_rules()},
        {
            "name": "strangler-rollback-budgets",
            "interval": EVALUATION_INTERVAL,
            "rules": alerting_rules(),
        },
    ]
