"""Automatic rollback (pure): has a route in ``canary`` or ``service`` spent its budget?

The proxy keeps a window of what the service side did for each such route; when a figure
goes over its budget the route goes back to ``monolith``, and the reason says which figure,
its value and its budget (it is the audit record's reason).

>>> window = Window(requests=200, errors=3, fallbacks=0, service_p99_ms=40, monolith_p99_ms=35)
>>> over_budget(window, Budget()) is None
True
>>> print(over_budget(Window(requests=200, errors=30), Budget()))
error rate 15.0% over the last 200 requests, the budget is 5.0%
>>> slow = Window(requests=100, service_p99_ms=900, monolith_p99_ms=100, service_answers=100,
...               monolith_answers=120)
>>> print(over_budget(slow, Budget()))
p99 latency 900 ms against the monolith's 100 ms (x9.0), the budget is x3.0
>>> over_budget(Window(requests=5, errors=5), Budget()) is None  # too few to judge
True

A p99 of fewer than 100 answers is its slowest one or next to it: a cold service's first
answer (a worker loading its code, opening its database) would roll a fresh canary back. The
latency is judged from ``min_latency_samples`` answers on each side.

>>> from dataclasses import replace
>>> over_budget(replace(slow, service_answers=40), Budget()) is None
True
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Budget:
    min_requests: int = 20  # fewer in the window: no judgement yet
    max_error_rate: float = 0.05  # 5xx from the service, proxy errors on its behalf
    max_fallback_rate: float = 0.05  # requests the monolith had to answer instead
    max_latency_ratio: float = 3.0  # service p99 / monolith p99
    max_mismatch_rate: float = 0.01  # sampled shadow comparisons that mismatched
    min_latency_samples: int = 100  # fewer answers on either side: no latency judgement


@dataclass(frozen=True, slots=True)
class Window:
    requests: int = 0
    errors: int = 0
    fallbacks: int = 0
    service_p99_ms: float | None = None
    monolith_p99_ms: float | None = None
    compared: int = 0
    mismatches: int = 0
    service_answers: int = 0  # the answers each p99 is of
    monolith_answers: int = 0


def over_budget(window: Window, budget: Budget) -> str | None:
    """The first figure over its budget, as a sentence; None when all are within."""
    if window.requests < budget.min_requests:
        return None
    span = f"over the last {window.requests} requests"
    error_rate = window.errors / window.requests
    if error_rate > budget.max_error_rate:
        return f"error rate {error_rate:.1%} {span}, the budget is {budget.max_error_rate:.1%}"
    fallback_rate = window.fallbacks / window.requests
    if fallback_rate > budget.max_fallback_rate:
        budget_text = f"{budget.max_fallback_rate:.1%}"
        return f"fallback rate {fallback_rate:.1%} {span}, the budget is {budget_text}"
    service, monolith = window.service_p99_ms, window.monolith_p99_ms
    answers = min(window.service_answers, window.monolith_answers)
    if answers >= budget.min_latency_samples and service is not None and monolith:
        ratio = service / monolith
        if ratio > budget.max_latency_ratio:
            return (
                f"p99 latency {service:.0f} ms against the monolith's {monolith:.0f} ms"
                f" (x{ratio:.1f}), the budget is x{budget.max_latency_ratio:.1f}"
            )
    if window.compared >= budget.min_requests:
        mismatch_rate = window.mismatches / window.compared
        if mismatch_rate > budget.max_mismatch_rate:
            return (
                f"mismatch rate {mismatch_rate:.1%} over the last {window.compared} comparisons,"
                f" the budget is {budget.max_mismatch_rate:.1%}"
            )
    return None
