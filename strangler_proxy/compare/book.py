"""The rule book: global and per-route comparison rules, from a TOML file in the repository.

>>> book = parse_book('''
... [global]
... ignore = ["$..created_at"]
... ignore_headers = ["ETag"]
...
... [routes.product-list]
... unordered = [{ path = "$.results", key = "id" }]
... numeric_strings = ["$..price"]
... ''')
>>> rules = book.for_route("product-list")
>>> rules.ignore, rules.unordered, rules.numeric_strings, sorted(rules.ignore_headers)
(('$..created_at',), (Unordered(path='$.results', key='id'),), ('$..price',), ['etag'])
>>> book.for_route("order-list").unordered
()
>>> parse_book("[global]\\nsample_rate = 0.1\\n[routes.a]\\nnoise = true").shadowing_for("a")
Shadowing(sample_rate=0.1, canary_sample_rate=0.1, noise=True, redact=frozenset())
>>> parse_book('[routes.x]\\nignore = "$.a"')
Traceback (most recent call last):
...
strangler_proxy.compare.book.BookError: routes.x.ignore: expected a list of path globs
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from strangler_proxy.compare.paths import parse_glob
from strangler_proxy.compare.rules import Rules, Tolerance, Unordered

_GLOB_LISTS = ("ignore", "numeric_strings", "timestamps")
_SHADOW = {"sample_rate", "canary_sample_rate", "noise", "redact"}
_KNOWN = {*_GLOB_LISTS, "unordered", "tolerance", "ignore_headers", "gate", "rollback", *_SHADOW}
_Spec = dict[str, tuple[type, float, float | None]]  # name -> (type, lowest, highest)
#: the promotion gate's bar
_GATE: _Spec = {
    "min_samples": (int, 0, None),
    "min_match_rate": (float, 0.0, 1.0),
    "max_unanswered_rate": (float, 0.0, 1.0),
}
#: the automatic rollback's budget
_ROLLBACK: _Spec = {
    "min_requests": (int, 1, None),
    "max_error_rate": (float, 0.0, 1.0),
    "max_fallback_rate": (float, 0.0, 1.0),
    "max_latency_ratio": (float, 1.0, None),
    "max_mismatch_rate": (float, 0.0, 1.0),
    "min_latency_samples": (int, 1, None),
}


class BookError(ValueError):
    """A malformed rule book; the message names the key (``routes.ID.FIELD``)."""


@dataclass(frozen=True, slots=True)
class Shadowing:
    """How a shadowed route is sampled: the share of copies compared and kept as evidence,
    whether the monolith is asked twice (noise; GET, HEAD, OPTIONS only), and the request
    body fields redacted from the evidence beside the usual secrets."""

    sample_rate: float = 1.0
    #: a canary's monolith-side requests copied for comparison: each copy is load on the
    #: service the canary is meant to spare, so a tenth by default
    canary_sample_rate: float = 0.1
    noise: bool = False
    redact: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class RuleBook:
    common: Rules = field(default_factory=Rules)
    routes: Mapping[str, Rules] = field(default_factory=dict)
    shadowing: Mapping[str | None, Mapping[str, Any]] = field(default_factory=dict)
    gates: Mapping[str | None, Mapping[str, Any]] = field(default_factory=dict)
    budgets: Mapping[str | None, Mapping[str, Any]] = field(default_factory=dict)

    def for_route(self, route_id: str | None) -> Rules:
        own = self.routes.get(route_id) if route_id is not None else None
        return self.common.merged(own) if own is not None else self.common

    def gate_for(self, route_id: str | None) -> dict[str, Any]:
        """The promotion bar's settings given for this route (over the global ones)."""
        return {**self.gates.get(None, {}), **self.gates.get(route_id, {})}

    def budget_for(self, route_id: str | None) -> dict[str, Any]:
        """The rollback budget's settings given for this route (over the global ones)."""
        return {**self.budgets.get(None, {}), **self.budgets.get(route_id, {})}

    def shadowing_for(self, route_id: str | None) -> Shadowing:
        """The global settings, overridden by the route's own where it gives them."""
        given = {**self.shadowing.get(None, {}), **self.shadowing.get(route_id, {})}
        return Shadowing(**given)


def parse_book(text: str) -> RuleBook:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BookError(f"not TOML: {exc}") from exc
    unknown = set(data) - {"global", "routes"}
    if unknown:
        raise BookError(f"{sorted(unknown)[0]}: unknown section (global, routes)")
    routes = data.get("routes", {})
    if not isinstance(routes, dict):
        raise BookError("routes: expected a table of route ids")
    tables: dict[str | None, Any] = {None: data.get("global", {}), **routes}
    return RuleBook(
        common=_rules(tables[None], "global"),
        routes={route: _rules(table, f"routes.{route}") for route, table in routes.items()},
        shadowing={
            route: _shadowing(table, "global" if route is None else f"routes.{route}")
            for route, table in tables.items()
        },
        gates={
            route: _numbers(table, _where(route), "gate", _GATE) for route, table in tables.items()
        },
        budgets={
            route: _numbers(table, _where(route), "rollback", _ROLLBACK)
            for route, table in tables.items()
        },
    )


def _where(route: str | None) -> str:
    return "global" if route is None else f"routes.{route}"


def _numbers(section: dict[str, Any], where: str, key: str, spec: _Spec) -> dict[str, Any]:
    """A table of numbers (``gate``, ``rollback``), each checked against its range."""
    table = section.get(key, {})
    where = f"{where}.{key}"
    if not isinstance(table, dict):
        raise BookError(f"{where}: expected a table ({', '.join(spec)})")
    given: dict[str, Any] = {}
    for name, value in table.items():
        if name not in spec:
            raise BookError(f"{where}.{name}: unknown setting ({', '.join(spec)})")
        kind, low, high = spec[name]
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or (kind is int and not isinstance(value, int)):
            wanted = "an integer" if kind is int else "a number"
            raise BookError(f"{where}.{name}: expected {wanted}")
        if value < low or (high is not None and value > high):
            top = high if high is not None else "any"
            raise BookError(f"{where}.{name}: expected {low} to {top}")
        given[name] = kind(value)
    return given


def _shadowing(table: dict[str, Any], where: str) -> dict[str, Any]:
    given: dict[str, Any] = {}
    for key in ("sample_rate", "canary_sample_rate"):
        if key in table:
            rate = table[key]
            if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
                raise BookError(f"{where}.{key}: expected a number from 0 to 1")
            given[key] = float(rate)
    if "noise" in table:
        if not isinstance(table["noise"], bool):
            raise BookError(f"{where}.noise: expected true or false")
        given["noise"] = table["noise"]
    if "redact" in table:
        fields = table["redact"]
        if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
            raise BookError(f"{where}.redact: expected a list of field names")
        given["redact"] = frozenset(fields)
    return given


def _rules(table: Any, where: str) -> Rules:
    if not isinstance(table, dict):
        raise BookError(f"{where}: expected a table")
    unknown = set(table) - _KNOWN
    if unknown:
        raise BookError(f"{where}.{sorted(unknown)[0]}: unknown rule ({', '.join(sorted(_KNOWN))})")
    globs = {name: _globs(table.get(name, []), f"{where}.{name}") for name in _GLOB_LISTS}
    headers = table.get("ignore_headers", [])
    if not isinstance(headers, list) or not all(isinstance(h, str) for h in headers):
        raise BookError(f"{where}.ignore_headers: expected a list of header names")
    return Rules(
        ignore=globs["ignore"],
        numeric_strings=globs["numeric_strings"],
        timestamps=globs["timestamps"],
        unordered=tuple(
            _unordered(item, f"{where}.unordered") for item in _list(table, "unordered", where)
        ),
        tolerance=tuple(
            _tolerance(item, f"{where}.tolerance") for item in _list(table, "tolerance", where)
        ),
        ignore_headers=frozenset(h.lower() for h in headers),
    )


def _list(table: dict[str, Any], name: str, where: str) -> list[Any]:
    value = table.get(name, [])
    if not isinstance(value, list):
        raise BookError(f"{where}.{name}: expected a list")
    return value


def _globs(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BookError(f"{where}: expected a list of path globs")
    for glob in value:
        _check_glob(glob, where)
    return tuple(value)


def _check_glob(glob: Any, where: str) -> str:
    if not isinstance(glob, str):
        raise BookError(f"{where}: expected a path glob, got {glob!r}")
    try:
        parse_glob(glob)
    except ValueError as exc:
        raise BookError(f"{where}: {exc}") from exc
    return glob


def _unordered(item: Any, where: str) -> Unordered:
    if isinstance(item, str):
        return Unordered(_check_glob(item, where))
    if not isinstance(item, dict) or set(item) - {"path", "key"} or "path" not in item:
        raise BookError(f"{where}: expected a glob or {{ path = GLOB, key = FIELD }}")
    key = item.get("key")
    if key is not None and not isinstance(key, str):
        raise BookError(f"{where}.key: expected a field name")
    return Unordered(_check_glob(item["path"], where), key)


def _tolerance(item: Any, where: str) -> Tolerance:
    if (
        not isinstance(item, dict)
        or "path" not in item
        or set(item) - {"path", "absolute", "relative"}
    ):
        raise BookError(f"{where}: expected {{ path = GLOB, absolute = N, relative = N }}")
    bounds = {k: item.get(k, 0.0) for k in ("absolute", "relative")}
    for name, bound in bounds.items():
        if isinstance(bound, bool) or not isinstance(bound, int | float) or bound < 0:
            raise BookError(f"{where}.{name}: expected a number >= 0")
    return Tolerance(
        _check_glob(item["path"], where), float(bounds["absolute"]), float(bounds["relative"])
    )
