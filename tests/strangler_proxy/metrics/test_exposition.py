"""Per-route counters and their Prometheus text exposition."""

from __future__ import annotations

from strangler_proxy.metrics import Metrics, merge, render


def lines(text: str) -> set[str]:
    return set(text.splitlines())


def test_requests_are_counted_by_route_answerer_and_status_class() -> None:
    m = Metrics()
    m.request("products", served_by="catalog", status=200, seconds=0.002)
    m.request("products", served_by="catalog", status=204, seconds=0.002)
    m.request("products", served_by="monolith", status=503, seconds=0.2)
    text = m.text()
    assert 'strangler_requests_total{route="products",served_by="catalog",code="2xx"} 2' in text
    assert 'strangler_requests_total{route="products",served_by="monolith",code="5xx"} 1' in text
    assert "# TYPE strangler_requests_total counter" in text


def test_the_latency_histogram_is_cumulative() -> None:
    m = Metrics()
    for seconds in (0.0004, 0.003, 0.003, 7.0, 60.0):
        m.request("r", served_by="monolith", status=200, seconds=seconds)
    m.request("r", served_by="catalog", status=200, seconds=0.003)
    got = lines(m.text())
    r = 'route="r",served_by="monolith"'
    assert f'strangler_request_duration_seconds_bucket{{{r},le="0.0005"}} 1' in got
    assert f'strangler_request_duration_seconds_bucket{{{r},le="0.005"}} 3' in got
    assert f'strangler_request_duration_seconds_bucket{{{r},le="10.0"}} 4' in got
    assert f'strangler_request_duration_seconds_bucket{{{r},le="+Inf"}} 5' in got
    assert f"strangler_request_duration_seconds_count{{{r}}} 5" in got
    assert f"strangler_request_duration_seconds_sum{{{r}}} 67.006400" in got
    assert 'strangler_request_duration_seconds_count{route="r",served_by="catalog"} 1' in got


def test_fallbacks_and_shadow_outcomes_are_counted() -> None:
    m = Metrics()
    m.fallback("orders", "refused")
    m.fallback("orders", "refused")
    m.shadow("orders", "different-status")
    text = m.text()
    assert 'strangler_fallbacks_total{route="orders",reason="refused"} 2' in text
    assert 'strangler_shadow_total{route="orders",outcome="different-status"} 1' in text


def test_snapshots_of_several_workers_add_up() -> None:
    one, two = Metrics(), Metrics()
    one.request("r", served_by="monolith", status=200, seconds=0.001)
    two.request("r", served_by="monolith", status=200, seconds=0.001)
    two.fallback("r", "5xx")
    merged = merge([one.snapshot(), two.snapshot()])
    assert merged["requests"] == [["r", "monolith", "2xx", 2]]
    [[route, served_by, hist]] = merged["latency"]
    assert (route, served_by, hist[-2]) == ("r", "monolith", 2)
    assert 'strangler_fallbacks_total{route="r",reason="5xx"} 1' in render([merged])


def test_label_values_are_escaped() -> None:
    m = Metrics()
    m.request('GET /a"b\\c\n', served_by="monolith", status=200, seconds=0.0)
    assert 'route="GET /a\\"b\\\\c\\n"' in m.text()


def test_the_route_table_is_exposed_as_info_and_canary_percent() -> None:
    from strangler_proxy.routing import Mode, Route, RouteTable

    table = RouteTable.build([
        Route("list", frozenset({"GET"}), "/api/p/", "catalog", Mode.CANARY, percent=25),
        Route("cart", frozenset({"GET"}), "/api/cart/", None, Mode.MONOLITH),
    ])  # fmt: skip
    one, two = Metrics(), Metrics()
    one.routes(table)
    two.routes(table)
    got = lines(render([one.snapshot(), two.snapshot()]))  # two workers: one line each
    assert 'strangler_route_info{route="list",mode="canary",service="catalog"} 1' in got
    assert 'strangler_route_info{route="cart",mode="monolith",service=""} 1' in got
    assert 'strangler_route_canary_percent{route="list"} 25' in got
    assert 'strangler_route_canary_percent{route="cart"} 0' in got
    # what the rollback's rules read exists from the start (rate() misses a first increment)
    assert 'strangler_shadow_total{route="list",outcome="mismatch"} 0' in got
    assert 'strangler_fallbacks_total{route="list",reason="circuit-open"} 0' in got
    assert 'strangler_requests_total{route="list",served_by="catalog",code="5xx"} 0' in got
    assert not [line for line in got if 'route="cart"' in line and "_total" in line]


def test_the_fallback_reasons_are_the_policys() -> None:
    from strangler_proxy.metrics import FALLBACK_REASONS
    from strangler_proxy.policy import Action, Attempt, Failure, judge, unavailable

    reasons = {judge("GET", Attempt(failure=f), fallback=True).reason for f in Failure}
    reasons.add(judge("GET", Attempt(status=503), fallback=True).reason)
    circuit = unavailable("catalog", fallback=True)
    assert circuit.action is Action.FALLBACK
    assert reasons | {circuit.reason} == set(FALLBACK_REASONS)


def test_the_rollback_budgets_are_gauges_the_workers_agree_on() -> None:
    """Each worker sets the budgets of the routes it watches; merged, a budget is one value
    (not the sum), and a route no longer watched has none."""
    first, second = Metrics(), Metrics()
    for m in (first, second):
        m.budgets({"products": {"min_requests": 20, "max_error_rate": 0.05}})
    got = lines(render([first.snapshot(), second.snapshot()]))
    assert "# TYPE strangler_rollback_budget gauge" in got
    assert 'strangler_rollback_budget{route="products",budget="min_requests"} 20' in got
    assert 'strangler_rollback_budget{route="products",budget="max_error_rate"} 0.05' in got
    first.budgets({})
    assert "strangler_rollback_budget{" not in first.text()
