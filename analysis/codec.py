"""Facts to plain JSON values and back, checked on the way in: the cache's format.

A cache must never run code when it is read (a pickle can), and a foreign or damaged entry
must be refused, not trusted: ``decode`` rebuilds each fact from its class's declared field
types and raises ``ValueError`` on anything else, so the caller parses the file again.

A fact is a list of its field values in declaration order (nested facts likewise, tuples
as lists); the top level is tagged, ``["M", ...]`` for ``ModuleFacts`` and ``["B", ...]``
for ``BrokenFile``::

    >>> from analysis.facts import BrokenFile
    >>> encode(BrokenFile("a.py", "syntax error", 3))
    ['B', 'a.py', 'syntax error', 3]
    >>> decode(['B', 'a.py', 'syntax error', 3])
    BrokenFile(path='a.py', reason='syntax error', line=3)
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from dataclasses import fields
from functools import partial
from typing import Any, Literal

from analysis import facts as facts_module
from analysis.facts import BrokenFile, Fact, ModuleFacts

Facts = ModuleFacts | BrokenFile
Convert = Callable[[Any], Any]
_TAGS: dict[str, type[Fact]] = {"M": ModuleFacts, "B": BrokenFile}


def encode(value: Facts) -> list[Any]:
    """The JSON-ready form of one file's facts."""
    tag = "M" if isinstance(value, ModuleFacts) else "B"
    return [tag, *_encode_fields(value)]


def decode(data: object) -> Facts:
    """The facts ``encode`` gave ``data`` for; ``ValueError`` when it is anything else."""
    if not isinstance(data, list) or not data or not isinstance(data[0], str):
        raise ValueError("not an encoded fact")
    kind = _TAGS.get(data[0])
    if kind is None:
        raise ValueError(f"unknown fact tag {data[0]!r}")
    result = _decoder(kind)(data[1:])
    assert isinstance(result, ModuleFacts | BrokenFile)
    return result


def _encode_fields(fact: Fact) -> list[Any]:
    return [_encode_value(getattr(fact, name)) for name in type(fact).__slots__]


def _encode_value(value: object) -> object:
    if isinstance(value, Fact):
        return _encode_fields(value)
    if isinstance(value, tuple):
        return [_encode_value(v) for v in value]
    return value  # str, int, bool, None, dict[str, str]


_DECODERS: dict[type[Fact], Convert] = {}


def _decoder(kind: type[Fact]) -> Convert:
    """A function from a list of field values to a ``kind`` (checked field by field)."""
    known = _DECODERS.get(kind)
    if known is None:
        known = _DECODERS[kind] = _make_decoder(kind)
    return known


def _make_decoder(kind: type[Fact]) -> Convert:
    hints = typing.get_type_hints(kind, vars(facts_module))
    names = [f.name for f in fields(kind)]  # type: ignore[arg-type]
    size = len(names)
    plain: list[tuple[int, frozenset[type]]] = []  # scalars: their exact JSON types, checked
    converted: list[tuple[int, Convert]] = []  # the rest: rebuilt (and checked) by a function
    for index, name in enumerate(names):
        exact = _scalar_types(hints[name])
        if exact is not None:
            plain.append((index, exact))
        else:
            converted.append((index, _converter(hints[name])))
    label = kind.__name__

    def build(row: Any) -> Fact:
        if type(row) is not list or len(row) != size:
            raise ValueError(f"not the fields of a {label}")
        for index, exact in plain:
            if type(row[index]) not in exact:
                raise ValueError(f"{row[index]!r} is not a {label}.{names[index]}")
        values = list(row)
        for index, convert in converted:
            values[index] = convert(row[index])
        return kind(*values)

    return build


_SCALARS = {str: str, int: int, bool: bool, type(None): type(None)}


def _scalar_types(hint: Any) -> frozenset[type] | None:
    """The exact types JSON gives for a scalar field (``str | None`` -> str, NoneType)."""
    options = typing.get_args(hint) if typing.get_origin(hint) is types.UnionType else (hint,)
    if all(option in _SCALARS for option in options):
        return frozenset(_SCALARS[option] for option in options)
    return None


def _converter(hint: Any) -> Convert:  # one branch per kind of type
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if isinstance(hint, type) and issubclass(hint, Fact):
        return _nested(hint)
    if origin in (types.UnionType, typing.Union):
        inner = _converter(next(a for a in args if a is not type(None)))
        return lambda v: None if v is None else inner(v)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            items = _scalar_types(args[0])
            if items is not None:
                return partial(_scalars, exact=items)
            item = _converter(args[0])
            return lambda v: tuple([item(x) for x in _list(v)])
        parts = [_converter(a) for a in args]
        return lambda v: tuple(p(x) for p, x in zip(parts, _sized(v, len(parts)), strict=True))
    if origin is dict:
        return _string_map
    if origin is Literal:
        allowed = frozenset(args)
        return lambda v: _checked(v, v in allowed if isinstance(v, str) else False, hint)
    scalar = _scalar_types(hint)
    if scalar is not None:
        return lambda v: _checked(v, type(v) in scalar, hint)
    raise TypeError(f"no JSON form for {hint!r}")  # a new fact field: teach the codec


def _nested(kind: type[Fact]) -> Convert:
    """The decoder of ``kind``, looked up on first use (a Route holds Routes)."""
    cell: list[Convert] = []

    def nested(row: Any) -> Any:
        if not cell:
            cell.append(_decoder(kind))
        return cell[0](row)

    return nested


def _scalars(value: Any, exact: frozenset[type]) -> tuple[Any, ...]:
    if type(value) is not list or not all(type(x) in exact for x in value):
        raise ValueError(f"{value!r} is not a list of {sorted(t.__name__ for t in exact)}")
    return tuple(value)


def _checked(value: Any, ok: bool, hint: object) -> Any:
    if not ok:
        raise ValueError(f"{value!r} is not a {hint}")
    return value


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError(f"{value!r} is not a list")
    return value


def _sized(value: Any, size: int) -> list[Any]:
    if not isinstance(value, list) or len(value) != size:
        raise ValueError(f"{value!r} is not a list of {size}")
    return value


def _string_map(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ValueError(f"{value!r} is not a map of strings")
    return value
