"""Endpoints (from the analyzer) -> routes, one per endpoint, all on the monolith (pure).

An endpoint is a mapping with ``pattern`` and optionally ``methods``, ``name``, ``view``
and ``service`` — the analyzer's ``report.json`` ``endpoints`` entries and its graph's
``endpoint:*`` nodes. A pattern may be a proxy template (``/api/items/{pk:int}/``),
Django ``path()`` syntax (``api/items/<int:pk>/``) or a ``re_path()`` regex
(``^api/items/(?P<pk>[0-9]+)/$``); a regex this cannot express is skipped with a reason.

>>> plan = routes_from_endpoints([{"pattern": "^api/items/(?P<pk>\\\\d+)/$", "methods": ["GET"]}])
>>> [(r.id, r.template) for r in plan.routes]
[('GET /api/items/{pk:int}/', '/api/items/{pk:int}/')]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from strangler_proxy.routing.errors import InvalidFlag
from strangler_proxy.routing.table import SERVICE_NAME, Mode, Route
from strangler_proxy.routing.template import SEGMENT_TYPES, django_route_to_template

#: regex of a named group -> template type (anything else becomes ``str``).
GROUP_TYPES = {
    r"\d+": "int",
    r"[0-9]+": "int",
    r"[-\w]+": "slug",
    r"[\w-]+": "slug",
    r"[-a-zA-Z0-9_]+": "slug",
    r"\w+": "slug",
    r"[^/]+": "str",
    r"[^/.]+": "str",
    r".+": "path",
    r".*": "path",
    SEGMENT_TYPES["uuid"][0]: "uuid",
    r"[0-9a-f-]+": "str",
}


class Unsupported(ValueError):
    """A URL regex that a path template cannot express."""


@dataclass(frozen=True)
class ImportPlan:
    routes: tuple[Route, ...]
    skipped: tuple[tuple[str, str], ...]  # (pattern, why)


def routes_from_endpoints(endpoints: Iterable[Mapping[str, object]]) -> ImportPlan:
    routes: dict[str, Route] = {}
    seen: set[tuple[frozenset[str], str]] = set()
    skipped: list[tuple[str, str]] = []
    for endpoint in endpoints:
        raw = str(endpoint.get("pattern") or "")
        try:
            template = pattern_to_template(raw)
            methods = _methods(endpoint.get("methods"))
        except (Unsupported, InvalidFlag) as exc:
            skipped.append((raw, str(exc)))
            continue
        if (methods, template) in seen:
            skipped.append((raw, "duplicate of an endpoint already imported"))
            continue
        seen.add((methods, template))
        name = endpoint.get("name")
        route_id = name if isinstance(name, str) and name.strip() and name not in routes else None
        route_id = route_id or f"{','.join(sorted(methods)) or 'ANY'} {template}"
        service = endpoint.get("service")
        suggested = service if isinstance(service, str) and SERVICE_NAME.match(service) else None
        try:
            routes[route_id] = Route(route_id, methods, template, suggested, Mode.MONOLITH)
        except InvalidFlag as exc:
            skipped.append((raw, str(exc)))
    return ImportPlan(tuple(routes.values()), tuple(skipped))


def pattern_to_template(pattern: str) -> str:
    """A template for a Django/DRF URL pattern, or ``Unsupported``."""
    if "{" in pattern and "(?P<" not in pattern:
        text = pattern.strip()
        return text if text.startswith("/") else "/" + text
    if "<" in pattern and "(?P<" not in pattern:
        return django_route_to_template(pattern)
    return _regex_to_template(pattern)


def _regex_to_template(pattern: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if pattern.startswith("(?P<", i):
            end_name = pattern.index(">", i)
            name = pattern[i + 4 : end_name]
            end = _closing(pattern, end_name + 1)
            if name == "format":
                raise Unsupported("format-suffix variant (served by the plain route)")
            kind = GROUP_TYPES.get(pattern[end_name + 1 : end], "str")
            out.append("{" + name + ("" if kind == "str" else ":" + kind) + "}")
            i = end + 1
        elif ch == "\\" and i + 1 < len(pattern) and not pattern[i + 1].isalnum():
            out.append(pattern[i + 1])
            i += 2
        elif ch in "^$":
            i += 1
        elif pattern.startswith("/?", i) and pattern[i + 2 :].strip("$") == "":
            out.append("/")
            i += 2
        elif ch in "\\*+?[](){}|":
            raise Unsupported(f"regex construct {pattern[i : i + 6]!r} has no template equivalent")
        else:
            out.append(ch)
            i += 1
    text = "".join(out)
    return text if text.startswith("/") else "/" + text


def _closing(pattern: str, start: int) -> int:
    depth, i = 1, start
    while i < len(pattern):
        if pattern[i] == "\\":
            i += 2
            continue
        if pattern[i] == "(":
            depth += 1
        elif pattern[i] == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise Unsupported(f"unbalanced parenthesis in {pattern!r}")


def _methods(value: object) -> frozenset[str]:
    if value is None:
        return frozenset()
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, Iterable):
        raise InvalidFlag("methods", f"expected a list of methods, got {value!r}")
    methods = frozenset(str(m).strip().upper() for m in items if str(m).strip())
    return frozenset() if methods & {"*", "ANY"} else methods
