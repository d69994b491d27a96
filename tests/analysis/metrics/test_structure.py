"""ICP, SM, IFN, NED and modularity on small literal graphs."""

from __future__ import annotations

import math

import networkx as nx
import pytest

from analysis.metrics import dependency_graph, evaluate
from analysis.metrics.structure import (
    icp,
    interface_number,
    modularity,
    non_extreme_distribution,
    structural_modularity,
)
from tests.analysis.shop_graph import GraphBuilder

TWO_PAIRS = {"a1": "A", "a2": "A", "b1": "B", "b2": "B"}


def deps_of(*edges: tuple[str, str]) -> nx.DiGraph:
    deps = nx.DiGraph()
    deps.add_nodes_from(TWO_PAIRS)
    deps.add_edges_from(edges, weight=1.0)
    return deps


DEPS = deps_of(("a1", "a2"), ("a2", "a1"), ("b1", "b2"), ("a1", "b1"))


def test_icp_is_the_share_of_dependencies_crossing_partitions() -> None:
    assert icp(DEPS, TWO_PAIRS) == pytest.approx(1 / 4)
    assert icp(DEPS, dict.fromkeys(TWO_PAIRS, "all")) == 0.0


def test_structural_modularity_is_cohesion_minus_coupling() -> None:
    # linked pairs: {a1,a2} in A, {b1,b2} in B -> cohesion (1/2^2 + 1/2^2) / 2 = 0.25
    inside_only = deps_of(("a1", "a2"), ("a2", "a1"), ("b1", "b2"))
    assert structural_modularity(inside_only, TWO_PAIRS) == pytest.approx(0.25)
    # one linked pair across: coupling 2 orders x 1 / (2 * 2 * 2) over one partition pair
    assert structural_modularity(DEPS, TWO_PAIRS) == pytest.approx(0.25 - 0.25)


def test_icp_weighs_a_dependency_by_one_plus_the_log_of_its_uses() -> None:
    heavy = deps_of(("a1", "a2"), ("a1", "b1"))
    heavy["a1"]["a2"]["weight"] = math.e**2  # 1 + ln(e^2) = 3 inside, 1 across

    assert icp(heavy, TWO_PAIRS) == pytest.approx(1 / 4)


def test_interface_number_counts_modules_used_from_other_partitions() -> None:
    # only b1 is used from outside its partition: (0 + 1) / 2
    assert interface_number(DEPS, TWO_PAIRS) == pytest.approx(0.5)


def test_ned_is_the_share_of_modules_in_extreme_partitions() -> None:
    tiny = {f"m{i}": "tiny" for i in range(2)}
    moderate = {f"n{i}": "moderate" for i in range(6)}

    assert non_extreme_distribution({**tiny, **moderate}) == pytest.approx(2 / 8)


def test_modularity_rewards_the_natural_split() -> None:
    assert modularity(DEPS, TWO_PAIRS) > modularity(
        DEPS, {"a1": "A", "b1": "A", "a2": "B", "b2": "B"}
    )


def test_the_dependency_graph_links_data_access_to_the_defining_module() -> None:
    b = GraphBuilder()
    b.module("a.models", "a")
    b.module("b.views", "b")
    b.model("a.Thing", "a.models")
    b.uses("b.views", "read", "a.Thing", "show")
    b.uses("b.views", "write", "a.Thing", "save")

    deps = dependency_graph(b.graph)

    assert deps["b.views"]["a.models"]["weight"] == 2
    assert evaluate(b.graph, {"a.models": "a", "b.views": "b"}).icp == 1.0
