"""Add rules to a rule book's text, keeping its comments and layout (tomlkit; pure: text in,
text out). A rule already there is not added twice.

>>> text = add_rules("# our rules\\n[global]\\nignore = []\\n", "product-list",
...                 ignore=["$.results[*].updated_at"], unordered=["$.results=id"])
>>> print(text)
# our rules
[global]
ignore = []
<BLANKLINE>
[routes.product-list]
ignore = ["$.results[*].updated_at"]
unordered = [{path = "$.results", key = "id"}]
<BLANKLINE>
>>> add_rules(text, "product-list", ignore=["$.results[*].updated_at"]) == text
True
>>> add_rules("", None, ignore=["results"])  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
strangler_proxy.compare.book.BookError: global.ignore: bad path glob 'results' at 0: ...
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import tomlkit
from tomlkit.items import Array, InlineTable, Table

from strangler_proxy.compare.book import BookError, parse_book


def add_rules(
    text: str,
    route: str | None,
    *,
    ignore: Sequence[str] = (),
    unordered: Sequence[str] = (),
    ignore_headers: Sequence[str] = (),
) -> str:
    """``text`` with these rules added to ``[routes.ROUTE]`` (or ``[global]`` when None).

    ``unordered`` items are ``GLOB`` (a multiset) or ``GLOB=KEY``. The result is checked by
    parsing it as a rule book: a bad glob is a ``BookError`` naming where it would have gone.
    """
    try:
        document = tomlkit.parse(text)
    except tomlkit.exceptions.ParseError as exc:
        raise BookError(f"not TOML: {exc}") from exc
    table = _table(document, route)
    _extend(table, "ignore", list(ignore))
    _extend(table, "ignore_headers", [h.lower() for h in ignore_headers])
    entries: list[Any] = []
    for item in unordered:
        glob, _, key = item.partition("=")
        entry = tomlkit.inline_table()
        entry.update({"path": glob, **({"key": key} if key else {})})
        entries.append(entry)
    _extend(table, "unordered", entries)
    result = tomlkit.dumps(document)
    parse_book(result)  # raises BookError, naming the key, when a rule is malformed
    return result


def _table(document: tomlkit.TOMLDocument, route: str | None) -> Table:
    if route is None:
        if "global" not in document:
            document.add("global", tomlkit.table())
        found = document["global"]
    else:
        if "routes" not in document:
            document.add("routes", tomlkit.table(is_super_table=True))
        routes = document["routes"]
        if not isinstance(routes, Table):
            raise BookError("routes: expected a table of route ids")
        if route not in routes:
            routes.add(route, tomlkit.table())
        found = routes[route]
    if not isinstance(found, Table):
        raise BookError(f"{'global' if route is None else f'routes.{route}'}: expected a table")
    return found


def _extend(table: Table, name: str, values: list[Any]) -> None:
    if not values:
        return
    if name not in table:
        table.add(name, tomlkit.array())
    array = table[name]
    if not isinstance(array, Array):
        raise BookError(f"{name}: expected a list")
    present = [_plain(v) for v in array]
    for value in values:
        if _plain(value) not in present:
            array.append(value)
            present.append(_plain(value))


def _plain(value: Any) -> Any:
    return dict(value) if isinstance(value, InlineTable | dict) else str(value)
