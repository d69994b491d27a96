"""Table ownership: a model belongs to the service that writes it; the definer breaks ties."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping

import networkx as nx

from analysis.propose.model import SHARED, Access, Ownership
from analysis.propose.view import MODULE, defining_module, edges, kind_of, name_of


def ownership(
    graph: nx.MultiDiGraph,
    module_service: Mapping[str, str],
    model_service: Mapping[str, str],
) -> tuple[Ownership, ...]:
    """Who owns each model with a table, sorted by label.

    The owner is the service whose modules
    write the model at the most sites; ties go to the defining module's service, then to the
    clustering's choice. A model no service writes belongs to its definer's service, and one
    defined elsewhere (``auth.User``) and never written here has no owner (None). Writes from
    the shared library are listed but never make it an owner.
    """
    writers: dict[str, list[Access]] = defaultdict(list)
    readers: dict[str, list[Access]] = defaultdict(list)
    for edge in edges(graph, "write", "read"):
        if not edge.source.startswith(MODULE):
            continue
        module = name_of(edge.source)
        row = Access(module, module_service.get(module, ""), edge.sites)
        (writers if edge.kind == "write" else readers)[name_of(edge.target)].append(row)
    rows = []
    for node, data in sorted(graph.nodes(data=True)):
        if kind_of(graph, node) != "model" or data.get("abstract"):
            continue
        label = name_of(node)
        definer = defining_module(graph, label)
        definer_service = module_service.get(definer) if definer else None
        if definer_service == SHARED:
            definer_service = None
        tally = Counter[str]()
        for access in writers[label]:
            if access.service != SHARED:  # the library writing a table does not own it
                tally[access.service] += max(1, len(access.sites))
        owner: str | None
        if tally:
            best = max(tally.values())
            top = sorted(s for s, n in tally.items() if n == best)
            preferred = [s for s in (definer_service, model_service.get(label)) if s in top]
            owner = preferred[0] if preferred else top[0]
        else:
            owner = definer_service or model_service.get(label)
        rows.append(Ownership(label, owner, definer, tuple(writers[label]), tuple(readers[label])))
    return tuple(rows)
