"""Row differences between the monolith and a service (pure): counts, checksums, then the
rows that differ, each with its fields.

>>> from strangler_proxy.reconcile.canonical import CATEGORIES, canonical
>>> monolith = [canonical(CATEGORIES, {"id": 1, "name": "Tools"}),
...             canonical(CATEGORIES, {"id": 2, "name": "Toys"})]
>>> service = [canonical(CATEGORIES, {"id": 1, "name": "Tool"}),
...            canonical(CATEGORIES, {"id": 3, "name": "Garden"})]
>>> drift = reconcile(CATEGORIES, monolith, service)
>>> drift.counts, drift.drifted
((2, 2), True)
>>> for row in drift.rows:
...     print(row.ident, row.status, row.fields)
1 differs {'name': ('Tools', 'Tool')}
2 missing_in_service {}
3 missing_in_monolith {}
>>> reconcile(CATEGORIES, monolith, monolith).drifted
False
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from strangler_proxy.reconcile.canonical import Kind, Row, Value, checksum


class Status(StrEnum):
    DIFFERS = "differs"
    MISSING_IN_SERVICE = "missing_in_service"
    MISSING_IN_MONOLITH = "missing_in_monolith"


@dataclass(frozen=True)
class RowDrift:
    """One row that is not the same on both sides.

    ``fields``: for ``differs``, field -> (monolith value, service value); ``row``: the whole
    canonical row of the side that has it (for ``differs``, the monolith's).
    """

    ident: Value
    status: Status
    fields: dict[str, tuple[Value, Value]]
    row: Row


@dataclass(frozen=True)
class KindDrift:
    """One entity kind compared: both sides' counts and checksums, and the differing rows."""

    kind: Kind
    monolith_count: int
    service_count: int
    monolith_checksum: str
    service_checksum: str
    rows: Sequence[RowDrift]

    @property
    def counts(self) -> tuple[int, int]:
        return self.monolith_count, self.service_count

    @property
    def drifted(self) -> bool:
        return self.monolith_checksum != self.service_checksum or bool(self.rows)


def reconcile(kind: Kind, monolith: Iterable[Row], service: Iterable[Row]) -> KindDrift:
    """Compare two sides' canonical rows of one kind, by id."""
    left = {row["id"]: row for row in monolith}
    right = {row["id"]: row for row in service}
    rows: list[RowDrift] = []
    for ident in sorted(left.keys() | right.keys(), key=_sort_key):
        mine, theirs = left.get(ident), right.get(ident)
        if theirs is None and mine is not None:
            rows.append(RowDrift(ident, Status.MISSING_IN_SERVICE, {}, mine))
        elif mine is None and theirs is not None:
            rows.append(RowDrift(ident, Status.MISSING_IN_MONOLITH, {}, theirs))
        elif mine is not None and theirs is not None and mine != theirs:
            fields = {
                name: (mine.get(name), theirs.get(name))
                for name in kind.columns
                if mine.get(name) != theirs.get(name)
            }
            rows.append(RowDrift(ident, Status.DIFFERS, fields, mine))
    return KindDrift(
        kind,
        len(left),
        len(right),
        checksum(kind, left.values()),
        checksum(kind, right.values()),
        tuple(rows),
    )


def to_json(drift: KindDrift) -> dict[str, object]:
    """A kind's drift as JSON (tag tuples become lists).

    >>> from strangler_proxy.reconcile.canonical import CATEGORIES
    >>> to_json(reconcile(CATEGORIES, [], []))["drift"]
    False
    """
    return {
        "kind": drift.kind.name,
        "drift": drift.drifted,
        "monolith": {"count": drift.monolith_count, "checksum": drift.monolith_checksum},
        "service": {"count": drift.service_count, "checksum": drift.service_checksum},
        "rows": [
            {
                "id": row.ident,
                "status": row.status.value,
                "fields": {
                    name: {"monolith": _plain(a), "service": _plain(b)}
                    for name, (a, b) in row.fields.items()
                },
                "row": {name: _plain(value) for name, value in row.row.items()},
            }
            for row in drift.rows
        ],
    }


def shown(value: Value) -> str:
    """A value as a table cell: text quoted, tags comma-joined, None as ``null``.

    >>> shown("9.9"), shown(None), shown(("eco", "sale")), shown(True)
    ("'9.9'", 'null', '[eco, sale]', 'true')
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return "[" + ", ".join(value) + "]"
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    return str(value)


def _plain(value: Value) -> object:
    return list(value) if isinstance(value, tuple) else value


def _sort_key(ident: Value) -> tuple[int, str]:
    if isinstance(ident, int):
        return ident, ""
    return 0, str(ident)
