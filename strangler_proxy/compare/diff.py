"""Structural difference of two JSON documents, each difference with its path and kind.

>>> monolith = {"count": 2, "results": [{"id": 1, "price": "12.50"}, {"id": 2, "name": "b"}]}
>>> service = {"results": [{"id": 1, "price": "12.60"}, {"id": 2, "title": "b"}], "count": 2}
>>> for d in diff_json(monolith, service):
...     print(d.path, d.kind, d.monolith, d.service)
$.results[0].price changed 12.50 12.60
$.results[1].name removed b None
$.results[1].title added None b

Key order never matters; list order does unless a rule says otherwise:

>>> diff_json([1, 2, 3], [3, 1, 2], CompiledRules(Rules(unordered=(Unordered("$"),))))
[]
>>> [d.kind.value for d in diff_json({"a": True}, {"a": 1})]
['type']
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import orjson

from strangler_proxy.compare import values
from strangler_proxy.compare.paths import Path, State, format_path
from strangler_proxy.compare.rules import NO_RULES, CompiledRules, NodeRules, Rules, Unordered

#: past this many differences in one pair, the rest are only counted
LIMIT = 1000
#: unordered lists whose leftovers (after exact matches) exceed this are not paired by rules
PAIRING_LIMIT = 200


class Kind(StrEnum):
    CHANGED = "changed"  # same JSON type, another value
    ADDED = "added"  # only the service has it
    REMOVED = "removed"  # only the monolith has it
    TYPE = "type"  # another JSON type (a string where a number was, ...)
    INVALID = "invalid"  # a body that should be JSON and is not


@dataclass(frozen=True, slots=True)
class Difference:
    path: str
    kind: Kind
    monolith: Any = None
    service: Any = None


_DEFAULT = NO_RULES.compile()


def diff_json(
    monolith: Any, service: Any, rules: CompiledRules | None = None, *, limit: int = LIMIT
) -> list[Difference]:
    """Every difference between two parsed JSON values (at most ``limit``)."""
    walk = _Walk(rules or _DEFAULT, limit)
    walk.value(monolith, service, (), walk.rules.root)
    return walk.found


class _Walk:
    def __init__(self, rules: CompiledRules, limit: int) -> None:
        self.rules = rules
        self.limit = limit
        self.found: list[Difference] = []
        self.more = 0

    def emit(self, path: Path, kind: Kind, monolith: Any, service: Any) -> None:
        if len(self.found) < self.limit:
            self.found.append(Difference(format_path(path), kind, monolith, service))
        else:
            self.more += 1

    def value(self, a: Any, b: Any, path: Path, state: State) -> None:
        node = self.rules.at(state)
        if node is not None and node.ignore:
            return
        if type(a) is dict and type(b) is dict:
            if a == b and _canonical(a) == _canonical(b):
                return
            self.object(a, b, path, state)
        elif type(a) is list and type(b) is list:
            if a == b and _canonical(a) == _canonical(b):
                return
            if node is not None and node.unordered is not None:
                self.unordered(a, b, path, state, node.unordered)
            else:
                self.ordered(a, b, path, state)
        elif a == b and isinstance(a, bool) == isinstance(b, bool):
            return
        elif node is None or not _equivalent(a, b, node):
            same = values.json_type(a) == values.json_type(b)
            self.emit(path, Kind.CHANGED if same else Kind.TYPE, a, b)

    def object(self, a: dict[str, Any], b: dict[str, Any], path: Path, state: State) -> None:
        step = self.rules.step
        for key, left in a.items():
            if key in b:
                self.value(left, b[key], (*path, key), step(state, key))
            else:
                self.missing(Kind.REMOVED, left, (*path, key), step(state, key))
        for key, right in b.items():
            if key not in a:
                self.missing(Kind.ADDED, right, (*path, key), step(state, key))

    def ordered(self, a: list[Any], b: list[Any], path: Path, state: State) -> None:
        step = self.rules.step
        for i, (left, right) in enumerate(zip(a, b, strict=False)):
            self.value(left, right, (*path, i), step(state, i))
        for i in range(len(b), len(a)):
            self.missing(Kind.REMOVED, a[i], (*path, i), step(state, i))
        for i in range(len(a), len(b)):
            self.missing(Kind.ADDED, b[i], (*path, i), step(state, i))

    def missing(self, kind: Kind, value: Any, path: Path, state: State) -> None:
        node = self.rules.at(state)
        if node is None or not node.ignore:
            self.emit(
                path,
                kind,
                value if kind is Kind.REMOVED else None,
                value if kind is Kind.ADDED else None,
            )

    def unordered(
        self, a: list[Any], b: list[Any], path: Path, state: State, rule: Unordered
    ) -> None:
        left = list(range(len(a)))
        right = list(range(len(b)))
        if rule.key is not None:
            left, right = self.by_key(a, b, path, state, rule.key)
        left, right = _exact_matches(a, b, left, right)
        if len(left) + len(right) <= PAIRING_LIMIT:
            left, right = self.by_rules(a, b, left, right, path, state)
        step = self.rules.step
        for i in left:
            self.missing(Kind.REMOVED, a[i], (*path, i), step(state, i))
        for j in right:
            self.missing(Kind.ADDED, b[j], (*path, j), step(state, j))

    def by_key(
        self, a: list[Any], b: list[Any], path: Path, state: State, key: str
    ) -> tuple[list[int], list[int]]:
        """Pair items with the same key and compare each pair; return the unpaired."""
        index: dict[str, list[int]] = {}
        unkeyed_right: list[int] = []
        for j, item in enumerate(b):
            if isinstance(item, dict) and key in item:
                index.setdefault(_canonical_key(item[key]), []).append(j)
            else:
                unkeyed_right.append(j)
        left: list[int] = []
        for i, item in enumerate(a):
            twins = (
                index.get(_canonical_key(item[key]))
                if isinstance(item, dict) and key in item
                else None
            )
            if twins:
                self.value(item, b[twins.pop(0)], (*path, i), self.rules.step(state, i))
            else:
                left.append(i)
        right = sorted(unkeyed_right + [j for rest in index.values() for j in rest])
        return left, right

    def by_rules(
        self,
        a: list[Any],
        b: list[Any],
        left: list[int],
        right: list[int],
        path: Path,
        state: State,
    ) -> tuple[list[int], list[int]]:
        """Pair leftovers that are equal under the rules (an ignored field differs, ...)."""
        unpaired_left: list[int] = []
        remaining = list(right)
        for i in left:
            child = self.rules.step(state, i)
            for n, j in enumerate(remaining):
                probe = _Walk(self.rules, 1)
                probe.value(a[i], b[j], (*path, i), child)
                if not probe.found:
                    del remaining[n]
                    break
            else:
                unpaired_left.append(i)
        return unpaired_left, remaining


def _equivalent(a: Any, b: Any, node: NodeRules) -> bool:
    if node.tolerance is not None and values.within(
        a, b, absolute=node.tolerance.absolute, relative=node.tolerance.relative
    ):
        return True
    if node.numeric_strings and values.same_decimal(a, b):
        return True
    return node.timestamps and values.same_instant(a, b)


def _canonical(value: Any) -> bytes:
    """One text per JSON value (keys sorted; ``true`` is not ``1``)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # an integer past 64 bits: the standard library writes any
        return json.dumps(value, sort_keys=True, ensure_ascii=False).encode()


def _canonical_key(value: Any) -> str:
    return _canonical(value).decode()


def _exact_matches(
    a: list[Any], b: list[Any], left: list[int], right: list[int]
) -> tuple[list[int], list[int]]:
    """Drop the items found on both sides exactly (as a multiset)."""
    pool = Counter(_canonical(b[j]) for j in right)
    unmatched_left = []
    for i in left:
        form = _canonical(a[i])
        if pool[form] > 0:
            pool[form] -= 1
        else:
            unmatched_left.append(i)
    matched = Counter(_canonical(b[j]) for j in right)
    matched.subtract(pool)  # per form, how many of the service's items found a twin
    unmatched_right = []
    for j in right:  # the first ones of each form are the matched ones
        form = _canonical(b[j])
        if matched[form] > 0:
            matched[form] -= 1
        else:
            unmatched_right.append(j)
    return unmatched_left, unmatched_right


__all__ = ["LIMIT", "Difference", "Kind", "Rules", "Unordered", "diff_json"]
