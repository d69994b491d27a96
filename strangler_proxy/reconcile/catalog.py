"""``strangler reconcile catalog`` without the command line: read both sides, compare."""

from __future__ import annotations

from strangler_proxy.reconcile.canonical import CATALOG
from strangler_proxy.reconcile.diff import KindDrift, reconcile
from strangler_proxy.reconcile.readers import Side, read_monolith, read_service


def reconcile_catalog(monolith: Side, service: Side) -> list[KindDrift]:
    """Every catalog kind compared, in :data:`CATALOG` order (raises ``ReconcileError``)."""
    mine, theirs = read_monolith(monolith), read_service(service)
    return [reconcile(kind, mine[kind.name], theirs[kind.name]) for kind in CATALOG]
