"""Rules: what a comparison ignores or treats as equal, by path glob (see ``paths``).

Rules are parsed once into an immutable ``Rules``; ``compile`` turns them into one matcher
so a walk asks "what applies here?" with one cached lookup per node:

>>> rules = Rules(ignore=("$..created_at",), unordered=(Unordered("$.results", key="id"),))
>>> compiled = rules.compile()
>>> compiled.at(compiled.path(("results", 0, "created_at"))).ignore
True
>>> compiled.at(compiled.path(("results",))).unordered
Unordered(path='$.results', key='id')
>>> compiled.at(compiled.path(("count",))) is None
True
>>> Rules(ignore=("results",)).compile()
Traceback (most recent call last):
...
ValueError: bad path glob 'results' at 0: a path starts with $
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from strangler_proxy.compare.paths import EMPTY, Matcher, Path, Segment, State, parse_glob


@dataclass(frozen=True, slots=True)
class Unordered:
    """A list compared regardless of order: items matched by ``key``, or as a multiset."""

    path: str
    key: str | None = None


@dataclass(frozen=True, slots=True)
class Tolerance:
    path: str
    absolute: float = 0.0
    relative: float = 0.0


@dataclass(frozen=True, slots=True)
class Rules:
    """Body rules by path glob, and the headers that never count."""

    ignore: tuple[str, ...] = ()
    unordered: tuple[Unordered, ...] = ()
    tolerance: tuple[Tolerance, ...] = ()
    numeric_strings: tuple[str, ...] = ()  # "12.50" equals 12.5 there
    timestamps: tuple[str, ...] = ()  # one instant in any format equals itself there
    ignore_headers: frozenset[str] = field(default_factory=frozenset)  # lower-case names

    def merged(self, more: Rules) -> Rules:
        """These rules and ``more`` (a route's own on top of the global ones)."""
        return Rules(
            ignore=self.ignore + more.ignore,
            unordered=more.unordered + self.unordered,  # the route's own wins at one path
            tolerance=more.tolerance + self.tolerance,
            numeric_strings=self.numeric_strings + more.numeric_strings,
            timestamps=self.timestamps + more.timestamps,
            ignore_headers=self.ignore_headers | more.ignore_headers,
        )

    def compile(self) -> CompiledRules:
        return CompiledRules(self)


@dataclass(frozen=True, slots=True)
class NodeRules:
    """What applies at one node of a document."""

    ignore: bool = False
    unordered: Unordered | None = None
    tolerance: Tolerance | None = None
    numeric_strings: bool = False
    timestamps: bool = False


_Action = tuple[str, object]


class CompiledRules:
    def __init__(self, rules: Rules) -> None:
        self.rules = rules
        actions: list[_Action] = []
        actions += [("ignore", None) for _ in rules.ignore]
        actions += [("unordered", u) for u in rules.unordered]
        actions += [("tolerance", t) for t in rules.tolerance]
        actions += [("numeric_strings", None) for _ in rules.numeric_strings]
        actions += [("timestamps", None) for _ in rules.timestamps]
        globs = (
            list(rules.ignore)
            + [u.path for u in rules.unordered]
            + [t.path for t in rules.tolerance]
            + list(rules.numeric_strings)
            + list(rules.timestamps)
        )
        self._actions = tuple(actions)
        self._matcher = Matcher([parse_glob(g) for g in globs])
        self._nodes: dict[State, NodeRules | None] = {EMPTY: None}
        self.root: State = self._matcher.start

    def step(self, state: State, segment: Segment) -> State:
        return self._matcher.step(state, segment)

    def path(self, path: Path) -> State:
        state = self.root
        for segment in path:
            state = self.step(state, segment)
        return state

    def at(self, state: State) -> NodeRules | None:
        """The rules at a node, or None when none applies (the common case)."""
        try:
            return self._nodes[state]
        except KeyError:
            node = self._nodes[state] = self._node(state)
            return node

    def _node(self, state: State) -> NodeRules | None:
        accepted = sorted(self._matcher.accepted(state))
        if not accepted:
            return None
        kinds = [self._actions[n] for n in accepted]
        first: dict[str, object] = {}
        for kind, value in kinds:
            first.setdefault(kind, value)
        unordered = first.get("unordered")
        tolerance = first.get("tolerance")
        return NodeRules(
            ignore="ignore" in first,
            unordered=unordered if isinstance(unordered, Unordered) else None,
            tolerance=tolerance if isinstance(tolerance, Tolerance) else None,
            numeric_strings="numeric_strings" in first,
            timestamps="timestamps" in first,
        )


NO_RULES: Final = Rules()
