"""The summary of a run: counts that add up, errors, percentiles per step."""

from __future__ import annotations

from strangler_proxy.traffic.stats import (
    ANSWERED,
    CANCELLED,
    FAILED,
    SKIPPED,
    Outcome,
    percentile,
    summarize,
)


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50
    assert percentile(values, 95) == 95
    assert percentile(values, 99) == 99
    assert percentile([7.0], 99) == 7.0
    assert percentile([], 50) is None


def test_every_outcome_is_counted_once_and_errors_are_unexpected_answers_or_failures() -> None:
    outcomes = [
        Outcome("catalog.product", ANSWERED, 200, 0.010),
        Outcome("catalog.product", ANSWERED, 200, 0.030),
        Outcome(
            "catalog.product",
            ANSWERED,
            500,
            0.020,
            expected=False,
            error="catalog.product answered HTTP 500",
        ),
        Outcome("orders.checkout", ANSWERED, 402, 0.050),  # expected decline: not an error
        Outcome("orders.checkout", FAILED, error="ConnectError: refused"),
        Outcome("orders.cancel", SKIPPED),
        Outcome("orders.list", CANCELLED),
    ]
    summary = summarize("http://127.0.0.1:1", outcomes, elapsed=2.0)
    assert summary.issued == 7
    assert (summary.answered, summary.failed, summary.skipped, summary.cancelled) == (4, 1, 1, 1)
    assert summary.errors == 2
    assert summary.status_classes == {
        "2xx": 2,
        "4xx": 1,
        "5xx": 1,
        "cancelled": 1,
        "failed": 1,
        "skipped": 1,
    }
    assert summary.achieved_rate == 2.5  # 5 went out in 2 s
    product = next(s for s in summary.steps if s.step == "catalog.product")
    assert (product.count, product.errors, dict(product.statuses)) == (3, 1, {200: 2, 500: 1})
    assert (product.p50_ms, product.p99_ms) == (20.0, 30.0)
    assert summary.error_messages == {
        "catalog.product answered HTTP 500": 1,
        "ConnectError: refused": 1,
    }


def test_the_json_summary_carries_the_same_counts() -> None:
    summary = summarize("http://t", [Outcome("a", ANSWERED, 201, 0.001)], elapsed=1.0)
    data = summary.to_json()
    assert data["issued"] == 1 and data["errors"] == 0
    assert data["steps"] == {
        "a": {
            "count": 1,
            "errors": 0,
            "statuses": {"201": 1},
            "p50_ms": 1.0,
            "p95_ms": 1.0,
            "p99_ms": 1.0,
        },
    }


def test_an_empty_run_has_no_rate_and_no_latency() -> None:
    summary = summarize("http://t", [], elapsed=0.0)
    assert summary.achieved_rate == 0.0
    assert summary.steps == []
