"""Agreement of a proposed partition with a ground truth: MoJoFM, adjusted Rand index, NMI.

All three take two mappings item -> cluster and compare them on the items both cover.
ARI and NMI are computed from the contingency table (NMI normalised by the arithmetic mean
of the entropies, as scikit-learn does by default). MoJoFM follows Wen & Tzerpos (2004):
``(1 - mno(A, B) / max mno(any A, B)) * 100`` where mno counts the Move and Join operations
turning the proposal A into the truth B.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Mapping

import networkx as nx


def _common(
    proposed: Mapping[str, Hashable], truth: Mapping[str, Hashable]
) -> tuple[list[Hashable], list[Hashable]]:
    items = sorted(set(proposed) & set(truth))
    return [proposed[i] for i in items], [truth[i] for i in items]


def _comb2(n: float) -> float:
    return n * (n - 1) / 2


def adjusted_rand_index(proposed: Mapping[str, Hashable], truth: Mapping[str, Hashable]) -> float:
    a, b = _common(proposed, truth)
    n = len(a)
    if n == 0:
        raise ValueError("the proposal and the truth share no items")
    cells = Counter(zip(a, b, strict=True))
    rows, cols = Counter(a), Counter(b)
    if len(rows) == len(cols) and (len(rows) in (1, n)):
        return 1.0  # both one cluster, or both all singletons: identical
    index = sum(_comb2(c) for c in cells.values())
    sum_rows = sum(_comb2(c) for c in rows.values())
    sum_cols = sum(_comb2(c) for c in cols.values())
    expected = sum_rows * sum_cols / _comb2(n)
    maximum = (sum_rows + sum_cols) / 2
    if maximum == expected:
        return 1.0
    return (index - expected) / (maximum - expected)


def _entropy(counts: Counter[Hashable], n: int) -> float:
    return -sum(c / n * math.log(c / n) for c in counts.values())


def normalized_mutual_info(
    proposed: Mapping[str, Hashable], truth: Mapping[str, Hashable]
) -> float:
    a, b = _common(proposed, truth)
    n = len(a)
    if n == 0:
        raise ValueError("the proposal and the truth share no items")
    rows, cols = Counter(a), Counter(b)
    if len(rows) == len(cols) == 1:
        return 1.0
    cells = Counter(zip(a, b, strict=True))
    mutual = sum(c / n * math.log(c * n / (rows[r] * cols[k])) for (r, k), c in cells.items())
    mean_entropy = (_entropy(rows, n) + _entropy(cols, n)) / 2
    return 0.0 if mean_entropy == 0 else max(0.0, mutual / mean_entropy)


def mojo(proposed: Mapping[str, Hashable], truth: Mapping[str, Hashable]) -> int:
    """mno(A, B): the fewest Move and Join operations turning A (proposed) into B (truth).

    Each cluster of A is tagged with the truth clusters it shares most items with; a maximum
    bipartite matching picks tags so that as many groups as possible are non-empty (g).
    mno = sum over A of (|A_i| - its largest overlap) + (clusters of A - g).
    """
    a, b = _common(proposed, truth)
    cells = Counter(zip(a, b, strict=True))
    sizes = Counter(a)
    best: dict[Hashable, int] = {}
    for (cluster, _group), count in cells.items():
        best[cluster] = max(best.get(cluster, 0), count)
    matching_graph = nx.Graph()
    left = [("A", c) for c in sizes]
    matching_graph.add_nodes_from(left, bipartite=0)
    for (cluster, group), count in cells.items():
        if count == best[cluster]:
            matching_graph.add_edge(("A", cluster), ("B", group))
    matching = nx.bipartite.hopcroft_karp_matching(matching_graph, top_nodes=left)
    groups = sum(1 for node in matching if node[0] == "A")
    moves = sum(sizes[c] - best[c] for c in sizes)
    return moves + len(sizes) - groups


def _max_mojo(truth_sizes: list[int]) -> int:
    """max mno(any A, B) = n - g_max, g_max the most groups any A can keep (Wen & Tzerpos)."""
    groups = 0
    for size in sorted(truth_sizes):
        if size > groups:
            groups += 1
    return sum(truth_sizes) - groups


def mojofm(proposed: Mapping[str, Hashable], truth: Mapping[str, Hashable]) -> float:
    """MoJoFM in percent: 100 means the proposal is the truth."""
    _a, b = _common(proposed, truth)
    if not b:
        raise ValueError("the proposal and the truth share no items")
    worst = _max_mojo(list(Counter(b).values()))
    if worst == 0:
        return 100.0
    return (1 - mojo(proposed, truth) / worst) * 100


def partition_from_prefixes(names: list[str], prefixes: Mapping[str, str]) -> dict[str, str]:
    """Map dotted names to contexts by their longest matching dotted prefix; unmatched left out.

    ``prefixes`` is the ``domain_truth.json`` shape: {"legacy_monolith.catalog": "catalog"}.
    """
    ordered = sorted(prefixes, key=len, reverse=True)
    found = {}
    for name in names:
        for prefix in ordered:
            if name == prefix or name.startswith(prefix + "."):
                found[name] = prefixes[prefix]
                break
    return found
