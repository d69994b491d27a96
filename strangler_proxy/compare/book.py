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
_KNOWN = {*_GLOB_LISTS, "unordered", "tolerance", "ignore_headers"}


class BookError(ValueError):
    """A malformed rule book; the message names the key (``routes.ID.FIELD``)."""


@dataclass(frozen=True, slots=True)
class RuleBook:
    common: Rules = field(default_factory=Rules)
    routes: Mapping[str, Rules] = field(default_factory=dict)

    def for_route(self, route_id: str | None) -> Rules:
        own = self.routes.get(route_id) if route_id is not None else None
        return self.common.merged(own) if own is not None else self.common


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
    return RuleBook(
        common=_rules(data.get("global", {}), "global"),
        routes={route: _rules(table, f"routes.{route}") for route, table in routes.items()},
    )


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
