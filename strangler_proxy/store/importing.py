"""Fill the store from the monolith's URL patterns (the adapter around ``routing.imports``).

Sources: the analyzer's ``report.json`` (its ``endpoints``) here, or the analyzer run on the
source tree (``strangler_proxy.cli.sources.endpoints_from_source``: the store never imports
the analyzer). Used by ``strangler routes import`` and by anything that starts a stack with
the route table imported::

    outcome = import_routes(store, endpoints_from_report(Path("var/report.json")))
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from strangler_proxy.routing.imports import ImportPlan, routes_from_endpoints
from strangler_proxy.store.base import FlagStore, UpsertResult

ACTOR = "strangler routes import"
DEFAULT_REASON = "import from the monolith's URL patterns"
Progress = Callable[[str, int, int], None]


class ImportSourceError(ValueError):
    """The endpoints could not be read (missing analyzer, unreadable or foreign report)."""


@dataclass(frozen=True)
class ImportOutcome:
    plan: ImportPlan
    result: UpsertResult  # for a dry run: what would happen (removed = candidates)
    dry_run: bool


def endpoints_from_report(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ImportSourceError(f"cannot read {path}: {exc}") from exc
    endpoints = data.get("endpoints") if isinstance(data, dict) else None
    if not isinstance(endpoints, list) or not all(isinstance(e, dict) for e in endpoints):
        raise ImportSourceError(
            f"{path} has no 'endpoints' list (is it the analyzer's report.json?)"
        )
    return endpoints


def import_routes(
    store: FlagStore | None,
    endpoints: Sequence[Mapping[str, object]],
    *,
    reason: str = DEFAULT_REASON,
    dry_run: bool = False,
) -> ImportOutcome:
    """One route per endpoint, all on the monolith, in one transaction.

    Existing routes keep their flags; routes gone from the source are removed unless they
    still send traffic to a service (then they are kept and reported). A dry run may be
    given no store (there is none yet): every route would be added.
    """
    plan = routes_from_endpoints(endpoints)
    if not plan.routes:
        raise ImportSourceError("no endpoints to import")
    if not dry_run:
        if store is None:
            raise ValueError("importing needs a store (only a dry run can do without)")
        result = store.upsert_routes(
            plan.routes, actor=ACTOR, reason=reason, keep_flags=True, prune=True
        )
        return ImportOutcome(plan, result, dry_run)
    current = set() if store is None else {r.id for r in store.load().routes()}
    wanted = [r.id for r in plan.routes]
    preview = UpsertResult(
        added=tuple(i for i in wanted if i not in current),
        unchanged=tuple(i for i in wanted if i in current),
        removed=tuple(sorted(current - set(wanted))),
    )
    return ImportOutcome(plan, preview, dry_run)
