"""Which service each endpoint would move to: its view's, when the evidence says so.

An endpoint follows the module holding its view, except where that module is no domain:
- project wiring (settings, the root urlconf, wsgi/asgi: the ``wiring`` node attribute);
- the shared library (data-less code used everywhere: not a service);
- code with no data of its own: it defines, reads and writes no table and lives in no
  app whose tables have a service (a health check in a ``common`` app of abstract models).
Such endpoints get no suggestion: they stay with the monolith (``None``).
"""

from __future__ import annotations

from collections.abc import Mapping

import networkx as nx

from analysis.propose.model import SHARED
from analysis.propose.placement import DATA_KINDS, app_homes
from analysis.propose.view import MODULE, edges, kind_of, module_id, name_of


def endpoint_services(
    graph: nx.MultiDiGraph, module_service: Mapping[str, str], model_service: Mapping[str, str]
) -> dict[str, str]:
    """Endpoint pattern -> suggested service, for the endpoints that have one."""
    homes = app_homes(model_service)
    with_data = {
        name_of(e.source) for e in edges(graph, *DATA_KINDS) if e.source.startswith(MODULE)
    }
    found = {}
    for edge in edges(graph, "route"):
        if kind_of(graph, edge.source) != "endpoint":
            continue
        module = name_of(edge.target)
        service = module_service.get(module)
        node = graph.nodes.get(module_id(module), {})
        grounded = module in with_data or str(node.get("app")) in homes
        if service is not None and service != SHARED and grounded and not node.get("wiring"):
            found[name_of(edge.source)] = service
    return found
