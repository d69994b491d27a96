"""JSON paths: how a difference names where it is, and the globs rules match paths with.

A path is a tuple of keys and indexes; ``format_path`` writes it the way people read it:

>>> format_path(("results", 3, "price"))
'$.results[3].price'
>>> format_path(("a b", 0))
'$["a b"][0]'

A glob is a JSONPath-like pattern: ``.name``, ``["name"]``, ``[3]``, ``*`` or ``[*]`` (any
one key or index) and ``..`` (any depth, none included):

>>> parse_glob("$.results[*].created_at")
(Key(name='results'), ANY, Key(name='created_at'))
>>> matcher = Matcher([parse_glob("$..created_at"), parse_glob("$.results[*]")])
>>> sorted(matcher.matches(("results", 4, "created_at")))
[0]
>>> sorted(matcher.matches(("results", 4)))
[1]
>>> matcher.matches(("count",))
frozenset()
>>> parse_glob("$.results[")
Traceback (most recent call last):
...
ValueError: bad path glob '$.results[' at 10: expected a number, * or a quoted name in [...]
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Final

Segment = str | int
Path = tuple[Segment, ...]

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")


def format_path(path: Path) -> str:
    parts = ["$"]
    for segment in path:
        if isinstance(segment, int):
            parts.append(f"[{segment}]")
        elif segment.isidentifier() or _IDENTIFIER.fullmatch(segment):
            parts.append(f".{segment}")
        else:
            parts.append(f"[{json.dumps(segment, ensure_ascii=False)}]")
    return "".join(parts)


@dataclass(frozen=True, slots=True)
class Key:
    name: str


@dataclass(frozen=True, slots=True)
class Index:
    number: int


class _Any:
    def __repr__(self) -> str:
        return "ANY"


class _Descend:
    def __repr__(self) -> str:
        return "DESCEND"


#: one key or one index, whichever it is
ANY: Final = _Any()
#: zero or more segments
DESCEND: Final = _Descend()

Token = Key | Index | _Any | _Descend
Glob = tuple[Token, ...]

_NAME = re.compile(r"[^.\[\]\s]+")
_Fail = Callable[[int, str], ValueError]


def parse_glob(text: str) -> Glob:
    """Parse a path glob; a malformed one is a ``ValueError`` naming the position."""

    def fail(at: int, what: str) -> ValueError:
        return ValueError(f"bad path glob {text!r} at {at}: {what}")

    if not text.startswith("$"):
        raise fail(0, "a path starts with $")
    tokens: list[Token] = []
    i = 1
    while i < len(text):
        if text.startswith("..", i):
            tokens.append(DESCEND)
            i += 2
            if i < len(text) and text[i] == "[":
                continue
            i = _name(text, i, tokens, fail)
        elif text[i] == ".":
            i = _name(text, i + 1, tokens, fail)
        elif text[i] == "[":
            i = _bracket(text, i + 1, tokens, fail)
        else:
            raise fail(i, "expected . or [")
    if tokens and tokens[-1] is DESCEND:
        raise fail(len(text), "a path cannot end with ..")
    return tuple(tokens)


def _name(text: str, i: int, tokens: list[Token], fail: _Fail) -> int:
    if text.startswith("*", i):
        tokens.append(ANY)
        return i + 1
    match = _NAME.match(text, i)
    if match is None:
        raise fail(i, "expected a name or *")
    tokens.append(Key(match.group()))
    return match.end()


def _bracket(text: str, i: int, tokens: list[Token], fail: _Fail) -> int:
    end = text.find("]", i)
    inner = text[i:end] if end >= 0 else ""
    if end < 0 or not inner:
        raise fail(i, "expected a number, * or a quoted name in [...]")
    if inner == "*":
        tokens.append(ANY)
    elif inner.isdigit():
        tokens.append(Index(int(inner)))
    elif inner[0] in "\"'" and inner[-1] == inner[0] and len(inner) >= 2:
        tokens.append(Key(inner[1:-1]))
    else:
        raise fail(i, "expected a number, * or a quoted name in [...]")
    return end + 1


State = frozenset[tuple[int, int]]
EMPTY: Final[State] = frozenset()


class Matcher:
    """Many globs matched at once, one path segment at a time (an NFA with a step cache).

    A walk over a document calls ``step`` as it descends, so matching costs a dictionary
    lookup per node whatever the number of rules; ``accepted`` names the globs (by their
    position) that match exactly the path walked so far.
    """

    def __init__(self, globs: Sequence[Glob]) -> None:
        self._globs = tuple(globs)
        self._uses_index = any(isinstance(t, Index) for g in self._globs for t in g)
        self._steps: dict[tuple[State, Segment], State] = {}
        self._accepted: dict[State, frozenset[int]] = {}
        self.start: State = self._closure((n, 0) for n in range(len(self._globs)))

    def __bool__(self) -> bool:
        return bool(self._globs)

    def step(self, state: State, segment: Segment) -> State:
        if not state:
            return EMPTY
        if isinstance(segment, int) and not self._uses_index:
            segment = -1  # indexes only ever meet ANY: one cache entry for all of them
        key = (state, segment)
        found = self._steps.get(key)
        if found is None:
            found = self._steps[key] = self._step(state, segment)
        return found

    def accepted(self, state: State) -> frozenset[int]:
        found = self._accepted.get(state)
        if found is None:
            found = self._accepted[state] = frozenset(
                n for n, at in state if at == len(self._globs[n])
            )
        return found

    def matches(self, path: Path) -> frozenset[int]:
        state = self.start
        for segment in path:
            state = self.step(state, segment)
        return self.accepted(state)

    def _step(self, state: State, segment: Segment) -> State:
        moved: list[tuple[int, int]] = []
        for n, at in state:
            glob = self._globs[n]
            if at == len(glob):
                continue
            token = glob[at]
            if token is DESCEND:
                moved.append((n, at))  # ... takes this segment and stays
            elif token is ANY or _fits(token, segment):
                moved.append((n, at + 1))
        return self._closure(moved)

    def _closure(self, pairs: Iterable[tuple[int, int]]) -> State:
        out: set[tuple[int, int]] = set()
        for n, at in pairs:
            out.add((n, at))
            glob = self._globs[n]
            while at < len(glob) and glob[at] is DESCEND:  # .. may take nothing
                at += 1
                out.add((n, at))
        return frozenset(out)


def _fits(token: Token, segment: Segment) -> bool:
    if isinstance(token, Key):
        return token.name == segment
    if isinstance(token, Index):
        return token.number == segment
    return False
