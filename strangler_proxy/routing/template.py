"""Path templates with typed segments, compiled once.

``/api/catalog/products/{pk:int}/`` matches ``/api/catalog/products/42/`` but not
``/api/catalog/products/abc/``. Types: ``str`` (the default: one segment, no ``/``),
``int``, ``slug``, ``uuid`` and ``path`` (the rest, ``/`` included) — Django's converters.

>>> t = compile_template("/api/products/{pk:int}/")
>>> bool(t.regex.fullmatch("/api/products/42/")), bool(t.regex.fullmatch("/api/products/x/"))
(True, False)
>>> django_route_to_template("api/products/<int:pk>/")
'/api/products/{pk:int}/'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from strangler_proxy.routing.errors import InvalidFlag

#: type -> (regex, rank); a lower rank is more specific and wins precedence ties.
SEGMENT_TYPES: dict[str, tuple[str, int]] = {
    "int": (r"[0-9]+", 1),
    "uuid": (r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", 1),
    "slug": (r"[-a-zA-Z0-9_]+", 2),
    "str": (r"[^/]+", 3),
    "path": (r".+", 4),
}
LITERAL_RANK = 0

_PARAM = re.compile(r"\{([^{}]*)\}")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_DJANGO_PARAM = re.compile(r"<(?:(?P<type>[^<>:]+):)?(?P<name>[^<>:]+)>")


@dataclass(frozen=True)
class PathTemplate:
    """A parsed template: its regex (no capture groups) and its specificity."""

    template: str
    pattern: str  # regex source matching a whole path, no groups
    params: tuple[tuple[str, str], ...]  # (name, type) in order
    specificity: tuple[int, ...]  # rank per ``/`` segment; lower sorts first

    @property
    def regex(self) -> re.Pattern[str]:
        return _compiled(self.pattern)


@lru_cache(maxsize=4096)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


@lru_cache(maxsize=4096)
def compile_template(template: str) -> PathTemplate:
    """Parse ``template`` once (cached); a malformed one raises ``InvalidFlag('template')``."""
    if not isinstance(template, str) or not template.startswith("/"):
        raise InvalidFlag("template", f"must be a path starting with '/', got {template!r}")
    if any(ch.isspace() for ch in template) or "?" in template or "#" in template:
        raise InvalidFlag(
            "template", f"must be a bare path (no spaces, query or fragment): {template!r}"
        )
    parts: list[str] = []
    params: list[tuple[str, str]] = []
    specificity: list[int] = []
    for segment in template.split("/")[1:]:
        rank = LITERAL_RANK
        pos = 0
        for m in _PARAM.finditer(segment):
            parts.append(_literal(segment[pos : m.start()], template))
            name, _, kind = m.group(1).partition(":")
            kind = kind or "str"
            if not _NAME.match(name):
                raise InvalidFlag("template", f"bad parameter name {name!r} in {template!r}")
            if kind not in SEGMENT_TYPES:
                known = ", ".join(SEGMENT_TYPES)
                raise InvalidFlag(
                    "template", f"unknown type {kind!r} in {template!r} (known: {known})"
                )
            if any(name == seen for seen, _ in params):
                raise InvalidFlag("template", f"parameter {name!r} appears twice in {template!r}")
            regex, param_rank = SEGMENT_TYPES[kind]
            parts.append(f"(?:{regex})")
            params.append((name, kind))
            rank = max(rank, param_rank)
            pos = m.end()
        parts.append(_literal(segment[pos:], template))
        parts.append("/")
        specificity.append(rank)
    pattern = "/" + "".join(parts)[:-1]  # drop the "/" appended after the last segment
    return PathTemplate(template, pattern, tuple(params), tuple(specificity))


def _literal(text: str, template: str) -> str:
    if "{" in text or "}" in text:
        raise InvalidFlag("template", f"unbalanced braces in {template!r}")
    return re.escape(text)


def django_route_to_template(route: str) -> str:
    """Django ``path()`` syntax (``api/<int:pk>/``) -> a template (``/api/{pk:int}/``)."""

    def convert(m: re.Match[str]) -> str:
        kind = m.group("type") or "str"
        return "{" + m.group("name") + ("" if kind == "str" else ":" + kind) + "}"

    text = _DJANGO_PARAM.sub(convert, route.strip())
    return text if text.startswith("/") else "/" + text
