"""MoJoFM, ARI and NMI against hand-computed values (scikit-learn's, for ARI and NMI)."""

from __future__ import annotations

import pytest

from analysis.metrics import (
    adjusted_rand_index,
    agreement,
    mojofm,
    normalized_mutual_info,
    partition_from_prefixes,
)
from analysis.metrics.agreement import mojo


def labels(*values: int) -> dict[str, int]:
    return {f"m{i}": v for i, v in enumerate(values)}


TRUTH = labels(0, 0, 0, 1, 1, 1)
SPLIT = labels(0, 0, 1, 1, 2, 2)


def test_identical_partitions_agree_perfectly_whatever_the_names() -> None:
    renamed = labels(7, 7, 7, 3, 3, 3)

    assert adjusted_rand_index(renamed, TRUTH) == 1.0
    assert normalized_mutual_info(renamed, TRUTH) == pytest.approx(1.0)
    assert mojofm(renamed, TRUTH) == 100.0


def test_ari_and_nmi_match_the_textbook_values() -> None:
    assert adjusted_rand_index(SPLIT, TRUTH) == pytest.approx(0.24242424)
    assert adjusted_rand_index(labels(0, 0, 1, 2), labels(0, 0, 1, 1)) == pytest.approx(0.5714286)
    assert normalized_mutual_info(SPLIT, TRUTH) == pytest.approx(0.51580374)


def test_ari_is_near_zero_or_negative_for_an_unrelated_partition() -> None:
    assert adjusted_rand_index(labels(0, 1, 0, 1, 0, 1), TRUTH) < 0.05


def test_mojo_counts_moves_and_joins() -> None:
    # {m0,m1} {m2,m3} {m4,m5} -> {m0,m1,m2} {m3,m4,m5}: move one of m2/m3, join once.
    assert mojo(SPLIT, TRUTH) == 2
    # worst case for two groups of three is 4 operations: MoJoFM = (1 - 2/4) * 100
    assert mojofm(SPLIT, TRUTH) == pytest.approx(50.0)
    assert mojofm(labels(0, 1, 2, 3, 4, 5), TRUTH) == pytest.approx(0.0)


def test_only_items_both_partitions_cover_are_compared() -> None:
    proposed = {**TRUTH, "extra": 9}

    assert adjusted_rand_index(proposed, TRUTH) == 1.0


def test_no_common_items_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="share no items"):
        adjusted_rand_index({"a": 1}, {"b": 1})


def test_a_truth_given_as_prefixes_maps_by_the_longest_prefix() -> None:
    truth = {"shop.catalog": "catalog", "shop.catalog.reviews": "reviews", "shop.orders": "orders"}
    names = ["shop.catalog.models", "shop.catalog.reviews.views", "shop.orders", "shop.urls"]

    assert partition_from_prefixes(names, truth) == {
        "shop.catalog.models": "catalog",
        "shop.catalog.reviews.views": "reviews",
        "shop.orders": "orders",
    }


def test_a_truth_naming_none_of_the_modules_is_refused() -> None:
    with pytest.raises(ValueError, match="names none of the analyzed modules"):
        agreement({"a.b": "x"}, {"zzz": "y"})
