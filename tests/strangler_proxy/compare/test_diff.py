"""The diff engine on the cases a migration meets: each rule, nesting, lists, numbers, text."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strangler_proxy.compare.diff import Difference, Kind, diff_json
from strangler_proxy.compare.rules import Rules, Tolerance, Unordered


def diffs(a: Any, b: Any, **rules: Any) -> list[tuple[str, str, Any, Any]]:
    found = diff_json(a, b, Rules(**rules).compile())
    return [(d.path, d.kind.value, d.monolith, d.service) for d in found]


def test_nested_objects_name_every_difference_by_its_path() -> None:
    monolith = {"order": {"lines": [{"sku": "A", "qty": 1}], "total": "10.00"}}
    service = {"order": {"lines": [{"sku": "A", "qty": 2}], "total": "10.00", "note": None}}
    assert diffs(monolith, service) == [
        ("$.order.lines[0].qty", "changed", 1, 2),
        ("$.order.note", "added", None, None),
    ]


def test_a_renamed_field_is_one_removal_and_one_addition() -> None:
    assert diffs({"name": "x"}, {"title": "x"}) == [
        ("$.name", "removed", "x", None),
        ("$.title", "added", None, "x"),
    ]


def test_types_differ_where_json_types_differ() -> None:
    assert diffs({"a": "1", "b": True, "c": None}, {"a": 1, "b": 1, "c": 0}) == [
        ("$.a", "type", "1", 1),
        ("$.b", "type", True, 1),
        ("$.c", "type", None, 0),
    ]
    assert diffs([{"x": 1}], {"x": 1}) == [("$", "type", [{"x": 1}], {"x": 1})]


def test_json_has_one_number_type() -> None:
    assert diffs({"n": 1}, {"n": 1.0}) == []
    assert diffs({"n": [1, 2]}, {"n": [1.0, 2]}) == []


def test_a_boolean_is_not_a_number_even_inside_equal_looking_lists() -> None:
    # Python says [True] == [1]; JSON does not
    assert diffs({"flags": [True, False]}, {"flags": [1, 0]}) == [
        ("$.flags[0]", "type", True, 1),
        ("$.flags[1]", "type", False, 0),
    ]
    assert diffs({"a": 1, "b": [True]}, {"b": [True], "a": 1.0}) == []


def test_list_order_matters_by_default() -> None:
    assert diffs([1, 2], [2, 1]) == [("$[0]", "changed", 1, 2), ("$[1]", "changed", 2, 1)]
    assert diffs([1, 2, 3], [1]) == [("$[1]", "removed", 2, None), ("$[2]", "removed", 3, None)]


def test_unordered_by_key_pairs_items_and_compares_them() -> None:
    monolith = {"results": [{"id": 1, "p": 5}, {"id": 2, "p": 6}, {"id": 3, "p": 7}]}
    service = {"results": [{"id": 3, "p": 7}, {"id": 1, "p": 9}, {"id": 4, "p": 1}]}
    assert diffs(monolith, service, unordered=(Unordered("$.results", key="id"),)) == [
        ("$.results[0].p", "changed", 5, 9),
        ("$.results[1]", "removed", {"id": 2, "p": 6}, None),
        ("$.results[2]", "added", None, {"id": 4, "p": 1}),
    ]


def test_unordered_as_a_multiset_counts_repeats() -> None:
    unordered = (Unordered("$.tags"),)
    assert diffs({"tags": ["a", "b", "a"]}, {"tags": ["b", "a", "a"]}, unordered=unordered) == []
    assert diffs({"tags": ["a", "b", "a"]}, {"tags": ["b", "a", "b"]}, unordered=unordered) == [
        ("$.tags[2]", "removed", "a", None),
        ("$.tags[2]", "added", None, "b"),
    ]


def test_unordered_items_pair_up_under_the_other_rules() -> None:
    # the items differ only in an ignored field: no false difference (Diffy sorted by text)
    monolith = {"rows": [{"n": 1, "at": "x"}, {"n": 2, "at": "y"}]}
    service = {"rows": [{"n": 2, "at": "z"}, {"n": 1, "at": "w"}]}
    rules = {"unordered": (Unordered("$.rows"),), "ignore": ("$.rows[*].at",)}
    assert diffs(monolith, service, **rules) == []


def test_ignored_paths_use_globs() -> None:
    monolith = {"results": [{"id": 1, "created_at": "a"}], "meta": {"created_at": "b"}}
    service = {"results": [{"id": 1, "created_at": "c"}], "meta": {"created_at": "d"}}
    assert diffs(monolith, service, ignore=("$.results[*].created_at",)) == [
        ("$.meta.created_at", "changed", "b", "d")
    ]
    assert diffs(monolith, service, ignore=("$..created_at",)) == []
    assert diffs({"a": 1}, {"a": 1, "token": "t"}, ignore=("$.token",)) == []


def test_a_decimal_string_equals_its_number_only_where_a_rule_says() -> None:
    assert diffs({"price": "12.50"}, {"price": 12.5}) == [("$.price", "type", "12.50", 12.5)]
    assert diffs({"price": "12.50"}, {"price": 12.5}, numeric_strings=("$..price",)) == []
    assert diffs({"price": "12.50"}, {"price": 12.51}, numeric_strings=("$..price",)) == [
        ("$.price", "type", "12.50", 12.51)
    ]


def test_big_numbers_and_decimals_keep_their_precision() -> None:
    big = 2**70
    assert diffs({"n": big}, {"n": big + 1}) == [("$.n", "changed", big, big + 1)]
    rule = {"numeric_strings": ("$.n",)}
    assert diffs({"n": "123456789012345678.01"}, {"n": "123456789012345678.02"}, **rule) != []


def test_numeric_tolerance_absolute_and_relative() -> None:
    rule = (Tolerance("$.avg", absolute=0.01),)
    assert diffs({"avg": 4.333}, {"avg": 4.34}, tolerance=rule) == []
    assert diffs({"avg": 4.3}, {"avg": 4.4}, tolerance=rule) == [("$.avg", "changed", 4.3, 4.4)]
    relative = (Tolerance("$.total", relative=0.001),)
    assert diffs({"total": 10000}, {"total": 10005}, tolerance=relative) == []


def test_timestamps_equal_across_formats_where_a_rule_says() -> None:
    monolith = {"at": "2026-03-01T10:00:00Z"}
    service = {"at": "2026-03-01T11:00:00.000000+01:00"}
    assert diffs(monolith, service) != []
    assert diffs(monolith, service, timestamps=("$.at",)) == []
    later = {"at": "2026-03-01T10:00:01Z"}
    assert diffs(monolith, later, timestamps=("$.at",)) == [
        ("$.at", "changed", "2026-03-01T10:00:00Z", "2026-03-01T10:00:01Z")
    ]


def test_unicode_keys_and_values() -> None:
    assert diffs({"이름": "상품"}, {"이름": "상품 "}) == [("$.이름", "changed", "상품", "상품 ")]
    assert diffs({"a b": 1}, {"a b": 2}) == [('$["a b"]', "changed", 1, 2)]


def test_empty_and_null_documents() -> None:
    assert diffs({}, {}) == []
    assert diffs([], []) == []
    assert diffs(None, None) == []
    assert diffs({}, []) == [("$", "type", {}, [])]


def test_the_number_of_differences_is_capped() -> None:
    found = diff_json(list(range(5000)), [n + 1 for n in range(5000)], limit=10)
    assert len(found) == 10
    assert found[0] == Difference("$[0]", Kind.CHANGED, 0, 1)


def test_a_malformed_glob_names_where_it_is_wrong() -> None:
    with pytest.raises(ValueError, match=r"bad path glob '\$\.a\[x\]' at 4"):
        Rules(ignore=("$.a[x]",)).compile()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=20,
)


@given(json_values)
def test_a_value_compared_with_itself_never_differs(value: Any) -> None:
    assert diff_json(value, value) == []


@given(st.dictionaries(st.text(), json_values, max_size=6), st.randoms())
def test_key_order_never_matters(document: dict[str, Any], random: Any) -> None:
    keys = list(document)
    random.shuffle(keys)
    assert diff_json(document, {k: document[k] for k in keys}) == []


@given(st.lists(json_values, max_size=6), st.randoms())
def test_an_unordered_list_equals_any_permutation_of_itself(items: list[Any], random: Any) -> None:
    shuffled = list(items)
    random.shuffle(shuffled)
    assert diff_json(items, shuffled, Rules(unordered=(Unordered("$"),)).compile()) == []
