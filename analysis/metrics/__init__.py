"""Quality metrics of a partition of modules: structure (Mono2Micro) and agreement with a truth."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

import networkx as nx

from analysis.metrics.agreement import (
    adjusted_rand_index,
    mojofm,
    normalized_mutual_info,
    partition_from_prefixes,
)
from analysis.metrics.structure import (
    dependency_graph,
    icp,
    interface_number,
    modularity,
    non_extreme_distribution,
    structural_modularity,
)

__all__ = [
    "Agreement",
    "Metrics",
    "adjusted_rand_index",
    "agreement",
    "dependency_graph",
    "evaluate",
    "mojofm",
    "normalized_mutual_info",
    "partition_from_prefixes",
]


@dataclass(frozen=True)
class Agreement:
    """Agreement with a ground truth, on the modules both cover."""

    mojofm: float
    ari: float
    nmi: float
    compared: int


@dataclass(frozen=True)
class Metrics:
    modularity: float
    icp: float
    sm: float
    ifn: float
    ned: float
    services: int
    largest_share: float  # share of the partitioned modules in the largest part
    truth: Agreement | None = None


def evaluate(
    graph: nx.MultiDiGraph,
    partition: Mapping[str, str],
    truth: Mapping[str, str] | None = None,
) -> Metrics:
    """Metrics of ``partition`` (module -> part; modules left out are not counted).

    ``truth`` maps dotted module prefixes to contexts (the ``domain_truth.json`` shape).
    """
    deps = dependency_graph(graph)
    sizes = Counter(partition.values())
    return Metrics(
        modularity=modularity(deps, partition),
        icp=icp(deps, partition),
        sm=structural_modularity(deps, partition) if partition else 0.0,
        ifn=interface_number(deps, partition),
        ned=non_extreme_distribution(partition),
        services=len(sizes),
        largest_share=max(sizes.values()) / len(partition) if partition else 0.0,
        truth=agreement(partition, truth) if truth else None,
    )


def agreement(partition: Mapping[str, str], truth: Mapping[str, str]) -> Agreement:
    """Compare with a truth given as dotted prefixes -> context; raises if nothing overlaps."""
    expected = partition_from_prefixes(sorted(partition), truth)
    if not expected:
        raise ValueError("the truth names none of the analyzed modules (check its prefixes)")
    return Agreement(
        mojofm=mojofm(partition, expected),
        ari=adjusted_rand_index(partition, expected),
        nmi=normalized_mutual_info(partition, expected),
        compared=len(expected),
    )
