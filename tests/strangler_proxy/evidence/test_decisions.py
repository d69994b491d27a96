"""The promotion gate and the rollback budget, figure by figure (pure)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from strangler_proxy.evidence.gate import Bar, judge_promotion
from strangler_proxy.evidence.rollback import Budget, Window, over_budget
from strangler_proxy.evidence.summary import RouteEvidence


def test_enough_matching_evidence_opens_the_gate() -> None:
    decision = judge_promotion(
        RouteEvidence("r", samples=1000, match=990, noise=8, mismatch=2), Bar()
    )
    assert decision.allowed and decision.missing == ()


@pytest.mark.parametrize(
    ("evidence", "missing"),
    [
        (RouteEvidence("r"), "0 samples, the bar is 200"),
        (RouteEvidence("r", samples=300, match=290, mismatch=10), "match rate 96.67% after noise"),
        (RouteEvidence("r", samples=300, match=290, error=10), "3.33% of shadow copies unanswered"),
        (RouteEvidence("r", samples=300, error=300), "the service answered no shadow copy"),
    ],
)
def test_each_shortfall_is_named(evidence: RouteEvidence, missing: str) -> None:
    decision = judge_promotion(evidence, Bar())
    assert not decision.allowed
    assert any(reason.startswith(missing) for reason in decision.missing), decision.missing


def test_a_route_bar_of_its_own() -> None:
    few = RouteEvidence("r", samples=50, match=50)
    assert judge_promotion(few, Bar(min_samples=50)).allowed


SLOW = Window(
    requests=100, service_p99_ms=400, monolith_p99_ms=100, service_answers=100, monolith_answers=100
)


@pytest.mark.parametrize(
    ("window", "reason"),
    [
        (Window(requests=100, errors=6), "error rate 6.0%"),
        (Window(requests=100, fallbacks=10), "fallback rate 10.0%"),
        (SLOW, "p99 latency 400 ms"),
        (Window(requests=100, compared=50, mismatches=2), "mismatch rate 4.0% over the last 50"),
    ],
)
def test_each_budget_rolls_back_with_its_figure(window: Window, reason: str) -> None:
    found = over_budget(window, Budget())
    assert found is not None and found.startswith(reason)


def test_a_p99_of_too_few_answers_is_not_judged() -> None:
    """The cold start of a canary: 40 answers, the slowest a worker's first (CI saw one roll
    a fresh canary back)."""
    assert over_budget(replace(SLOW, service_answers=40), Budget()) is None
    assert over_budget(replace(SLOW, monolith_answers=99), Budget()) is None
    assert over_budget(replace(SLOW, service_answers=40), Budget(min_latency_samples=40))


def test_within_budget_or_too_few_requests_keeps_the_route() -> None:
    assert over_budget(Window(requests=100, errors=5, fallbacks=5), Budget()) is None
    assert over_budget(Window(requests=19, errors=19), Budget()) is None
    assert over_budget(Window(requests=100, compared=10, mismatches=10), Budget()) is None
