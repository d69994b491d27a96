"""Cycles between services, broken by a minimum-weight feedback arc set."""

from __future__ import annotations

import itertools
from collections.abc import Mapping

from analysis.propose import ServiceEdge, propose
from analysis.propose.cycles import EXACT_LIMIT, feedback_weight, service_cycles
from tests.analysis.shop_graph import shop_graph


def brute_force_minimum(deps: Mapping[tuple[str, str], float]) -> float:
    nodes = sorted({n for pair in deps for n in pair})
    return min(feedback_weight(deps, list(p)) for p in itertools.permutations(nodes))


def test_no_cycle_no_break() -> None:
    result = service_cycles({("a", "b"): 3, ("b", "c"): 1})

    assert result.cycles == ()
    assert result.break_edges == ()


def test_a_two_service_cycle_is_broken_at_its_lighter_edge() -> None:
    result = service_cycles({("orders", "payments"): 2, ("payments", "orders"): 5})

    assert result.cycles == (("orders", "payments"),)
    assert result.break_edges == (ServiceEdge("orders", "payments", 2.0),)
    assert result.exact


def test_the_exact_search_finds_the_minimum_on_a_tangled_graph() -> None:
    deps = {
        ("a", "b"): 4,
        ("b", "c"): 3,
        ("c", "a"): 2,
        ("c", "d"): 5,
        ("d", "b"): 1,
        ("d", "e"): 2,
        ("e", "a"): 6,
        ("b", "e"): 1,
        ("e", "c"): 3,
    }
    result = service_cycles(deps)

    assert sum(e.weight for e in result.break_edges) == brute_force_minimum(deps)
    remaining = {
        k: v for k, v in deps.items() if ServiceEdge(k[0], k[1], float(v)) not in result.break_edges
    }
    assert service_cycles(remaining).cycles == ()


def test_beyond_the_exact_limit_a_greedy_order_still_breaks_every_cycle() -> None:
    n = EXACT_LIMIT + 3
    ring = {(f"s{i:02}", f"s{(i + 1) % n:02}"): 1.0 + i % 3 for i in range(n)}
    ring.update({(f"s{i:02}", f"s{(i + 5) % n:02}"): 1.0 for i in range(n)})

    result = service_cycles(ring)

    assert not result.exact
    remaining = {
        k: v for k, v in ring.items() if ServiceEdge(k[0], k[1], v) not in result.break_edges
    }
    assert service_cycles(remaining).cycles == ()


def test_the_orders_payments_import_cycle_of_the_shop_is_reported() -> None:
    cycles = propose(shop_graph()).cycles

    assert cycles.cycles == (("orders", "payments"),)
    assert cycles.break_edges == (ServiceEdge("orders", "payments", 2.0),)
