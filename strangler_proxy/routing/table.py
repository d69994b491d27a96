"""Routes, decisions and the immutable route table (pure: no I/O, no asyncio).

>>> table = RouteTable.build([
...     Route("product", frozenset({"GET"}), "/api/products/{pk:int}/", "catalog", Mode.SERVICE),
... ], version=3)
>>> table.decide(RequestFacts("GET", "/api/products/7/", "addr:127.0.0.1")).primary
'catalog'
>>> table.decide(RequestFacts("GET", "/api/orders/", "addr:127.0.0.1")).primary
'monolith'
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum

from strangler_proxy.routing.canary import in_canary
from strangler_proxy.routing.errors import InvalidFlag
from strangler_proxy.routing.template import compile_template

MONOLITH = "monolith"
_METHOD = re.compile(r"[A-Z]+\Z")
#: a service's name (the registry, the routes and the importer all check this one)
SERVICE_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,62}\Z")
_IMPLIED_BY_GET = frozenset({"HEAD", "OPTIONS"})


class Mode(StrEnum):
    MONOLITH = "monolith"  # the monolith answers
    SHADOW = "shadow"  # the monolith answers, the service gets a copy
    CANARY = "canary"  # ``percent`` % of clients (sticky) go to the service
    SERVICE = "service"  # the service answers (the monolith is the fallback)


def parse_mode(value: object) -> Mode:
    try:
        return Mode(value) if isinstance(value, str) else Mode(str(value))
    except ValueError:
        known = ", ".join(m.value for m in Mode)
        raise InvalidFlag("mode", f"unknown mode {value!r} (known: {known})") from None


@dataclass(frozen=True)
class Route:
    """One endpoint's flag. Validated on construction: a bad value raises ``InvalidFlag``."""

    id: str
    methods: frozenset[str]  # empty = any method; GET implies HEAD and OPTIONS
    template: str
    service: str | None
    mode: Mode
    percent: int = 0
    priority: int = 0
    shadow_writes: bool = False  # shadow POST/PUT/PATCH/DELETE too (the service must be disposable)

    def __post_init__(self) -> None:
        if (
            not isinstance(self.id, str)
            or not self.id.strip()
            or self.id != self.id.strip()
            or len(self.id) > 200
            or not self.id.isprintable()
        ):
            raise InvalidFlag(
                "id", f"must be 1-200 printable characters, no outer spaces: {self.id!r}"
            )
        if isinstance(self.methods, str):
            raise InvalidFlag("methods", f"must be a set of method names, got {self.methods!r}")
        methods = frozenset(str(m).upper() for m in self.methods)
        for method in methods:
            if not _METHOD.match(method):
                raise InvalidFlag("methods", f"bad HTTP method {method!r}")
        object.__setattr__(self, "methods", methods)
        compile_template(self.template)
        object.__setattr__(self, "mode", parse_mode(self.mode))
        if self.service is not None and (
            not isinstance(self.service, str) or not SERVICE_NAME.match(self.service)
        ):
            raise InvalidFlag(
                "service", f"bad service name {self.service!r} (lower-case letters, digits, _.-)"
            )
        if self.service == MONOLITH:
            raise InvalidFlag("service", "'monolith' is not a service name")
        if self.mode is not Mode.MONOLITH and self.service is None:
            raise InvalidFlag("service", f"mode {self.mode.value} needs a service")
        if isinstance(self.percent, bool) or not isinstance(self.percent, int):
            raise InvalidFlag("percent", f"must be an integer, got {self.percent!r}")
        if not 0 <= self.percent <= 100:
            raise InvalidFlag("percent", f"must be between 0 and 100, got {self.percent}")
        if isinstance(self.priority, bool) or not isinstance(self.priority, int):
            raise InvalidFlag("priority", f"must be an integer, got {self.priority!r}")
        if not isinstance(self.shadow_writes, bool):
            raise InvalidFlag("shadow_writes", f"must be true or false, got {self.shadow_writes!r}")

    def with_flag(self, *, mode: Mode | str, percent: int = 0, service: str | None) -> Route:
        """The same route with a new flag (validated)."""
        return replace(self, mode=parse_mode(mode), percent=percent, service=service)

    def allows(self, method: str) -> bool:
        """Listed methods, plus HEAD and OPTIONS where GET is listed (a CORS preflight goes
        where the GET goes)."""
        return (
            not self.methods
            or method in self.methods
            or (method in _IMPLIED_BY_GET and "GET" in self.methods)
        )

    def precedence_key(self) -> tuple[int, tuple[int, ...], bool, str]:
        """Explicit priority first (higher wins), then specificity, then the id.

        Specificity compares segment by segment: a literal segment beats a typed one
        (int, uuid), which beats a slug, then any segment (str), then a catch-all (path).
        For the same template, a route with listed methods comes before an any-method one.
        """
        spec = compile_template(self.template).specificity
        return (-self.priority, spec, not self.methods, self.id)


@dataclass(frozen=True)
class RequestFacts:
    method: str
    path: str  # the path only, no query string, as received
    client_key: str


@dataclass(frozen=True)
class Decision:
    route_id: str | None  # None: no route matched, the monolith answers
    primary: str  # "monolith" or a service name: who answers
    shadow: str | None  # service that gets a copy (shadow; canary's monolith side), else None
    fallback: bool  # primary is a service and the monolith may answer if it fails
    sampled_only: bool = False  # the copy goes only when the comparison is sampled (canary)

    @property
    def to_service(self) -> bool:
        return self.primary != MONOLITH


UNMATCHED = Decision(None, MONOLITH, None, False)


@dataclass(frozen=True)
class _Entry:
    """A route with its decisions computed once at build time."""

    route: Route
    monolith: Decision
    service: Decision


class RouteTable:
    """Immutable: built once from routes, swapped whole when a flag changes."""

    __slots__ = ("_any_matcher", "_by_id", "_entries", "_matchers", "version")

    version: int
    _entries: tuple[_Entry, ...]
    _by_id: dict[str, _Entry]
    _matchers: dict[str, _Matcher]
    _any_matcher: _Matcher

    def __init__(self) -> None:
        raise TypeError("use RouteTable.build(routes, version)")

    @classmethod
    def build(cls, routes: Iterable[Route], version: int = 0) -> RouteTable:
        ordered = sorted(routes, key=Route.precedence_key)
        by_id: dict[str, _Entry] = {}
        for route in ordered:
            if route.id in by_id:
                raise InvalidFlag("id", f"duplicate route id {route.id!r}")
            by_id[route.id] = _entry(route)
        self = object.__new__(cls)
        self.version = version
        self._by_id = by_id
        self._entries = tuple(by_id[r.id] for r in ordered)
        methods = {m for r in ordered for m in r.methods}
        if "GET" in methods:
            methods |= _IMPLIED_BY_GET
        self._matchers = {m: _Matcher.build(self._entries, m) for m in sorted(methods)}
        self._any_matcher = _Matcher.build(self._entries, None)
        return self

    def __setattr__(self, name: str, value: object) -> None:
        if hasattr(self, name):
            raise AttributeError("RouteTable is immutable")
        object.__setattr__(self, name, value)

    def routes(self) -> tuple[Route, ...]:
        """All routes in precedence order (the first that matches wins)."""
        return tuple(e.route for e in self._entries)

    def get(self, route_id: str) -> Route | None:
        entry = self._by_id.get(route_id)
        return entry.route if entry else None

    def __len__(self) -> int:
        return len(self._entries)

    def match(self, method: str, path: str) -> Route | None:
        entry = self._match(method, path)
        return entry.route if entry else None

    def decide(self, facts: RequestFacts) -> Decision:
        entry = self._match(facts.method, facts.path)
        return UNMATCHED if entry is None else _decide(entry, facts.client_key)

    def decide_matched(self, route: Route | None, client_key: str) -> Decision:
        """``decide`` for a route this table's ``match`` returned, without matching again.

        For engines that match first and compute the client key only for canary routes.
        """
        if route is None:
            return UNMATCHED
        entry = self._by_id.get(route.id)
        if entry is None or entry.route is not route:
            entry = _entry(route)  # a route from elsewhere: decide it all the same
        return _decide(entry, client_key)

    def _match(self, method: str, path: str) -> _Entry | None:
        matcher = self._matchers.get(method) or self._any_matcher
        return matcher.find(path)

    def __repr__(self) -> str:
        return f"<RouteTable version={self.version} routes={len(self._entries)}>"


def decision_for(route: Route | None, client_key: str) -> Decision:
    """What ``decide`` returns for a request that matched ``route``.

    For engines that ``match`` first and compute the client key only for canary routes.
    """
    return UNMATCHED if route is None else _decide(_entry(route), client_key)


def _decide(entry: _Entry, client_key: str) -> Decision:
    route = entry.route
    if route.mode is Mode.CANARY and not in_canary(client_key, route.id, route.percent):
        return entry.monolith
    return entry.service


def _entry(route: Route) -> _Entry:
    """A canary's monolith side still sends the service sampled copies, so comparisons go on
    (and can roll the canary back) while real clients are served by the service."""
    service = route.service
    if route.mode is Mode.CANARY and service is not None:
        on_monolith = Decision(route.id, MONOLITH, service, False, sampled_only=True)
    else:
        on_monolith = Decision(route.id, MONOLITH, None, False)
    if route.mode is Mode.SHADOW:
        chosen = Decision(route.id, MONOLITH, service, False)
    elif route.mode in (Mode.CANARY, Mode.SERVICE) and service is not None:
        chosen = Decision(route.id, service, None, True)
    else:
        chosen = on_monolith
    return _Entry(route, on_monolith, chosen)


@dataclass
class _Node:
    """Routes whose templates begin with the same literal segments (a trie of segments)."""

    children: dict[str, _Node] = field(default_factory=dict)
    own: list[int] = field(default_factory=list)  # precedence ranks of the routes ending here
    regex: re.Pattern[str] | None = None  # this node's and its ancestors' routes, in order


def _literal_prefix(template: str) -> list[str]:
    """The segments of ``template`` before its first parameter (``/a/b/{x}/`` -> a, b)."""
    prefix = []
    for segment in template.split("/")[1:]:
        if "{" in segment:
            break
        prefix.append(segment)
    return prefix


@dataclass(frozen=True)
class _Matcher:
    """All routes allowing one method, found by their literal leading segments, then one
    regex of the candidates' alternatives in precedence order.

    A path can only match routes whose literal leading segments it starts with: walking the
    trie of those segments along the path leaves the few routes of the nodes passed (a table
    of hundreds of routes no longer costs hundreds of alternatives per request). ``re``
    tries alternatives left to right, so the first route that matches the whole path wins;
    ``lastgroup`` names it.
    """

    root: _Node | None
    entries: dict[str, _Entry] = field(default_factory=dict)

    @classmethod
    def build(cls, entries: tuple[_Entry, ...], method: str | None) -> _Matcher:
        if method is None:
            chosen = [e for e in entries if not e.route.methods]
        else:
            chosen = [e for e in entries if e.route.allows(method)]
        if not chosen:
            return cls(None)
        root = _Node()
        for rank, entry in enumerate(chosen):
            node = root
            for segment in _literal_prefix(entry.route.template):
                node = node.children.setdefault(segment, _Node())
            node.own.append(rank)
        patterns = [compile_template(e.route.template).pattern for e in chosen]

        def compile_below(node: _Node, inherited: list[int]) -> None:
            ranks = sorted(inherited + node.own) if node.own else inherited
            if node.own:
                node.regex = re.compile(
                    "|".join(f"(?P<r{rank}>{patterns[rank]})" for rank in ranks)
                )
            for child in node.children.values():
                child.regex = node.regex
                compile_below(child, ranks)

        compile_below(root, [])
        return cls(root, {f"r{rank}": e for rank, e in enumerate(chosen)})

    def find(self, path: str) -> _Entry | None:
        node = self.root
        if node is None:
            return None
        children = node.children
        for segment in path.split("/")[1:]:
            child = children.get(segment)
            if child is None:
                break
            node, children = child, child.children
        regex = node.regex
        m = None if regex is None else regex.fullmatch(path)
        if m is None or m.lastgroup is None:
            return None
        return self.entries[m.lastgroup]
