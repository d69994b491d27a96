"""Where ``strangler routes import`` gets the monolith's endpoints from the source tree.

The command line composes the analyzer and the flag store; the store itself never imports
the analyzer (its ``importing`` module only knows endpoint dicts and ``report.json``)::

    outcome = import_routes(store, endpoints_from_source(Path("legacy_monolith")))
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from strangler_proxy.store.importing import ImportSourceError, Progress


def endpoints_from_source(source: Path, progress: Progress | None = None) -> list[dict[str, Any]]:
    """Run the static analyzer (it never imports the code) and collect its endpoints."""
    try:
        from analysis import build_graph
    except ImportError as exc:
        raise ImportSourceError(
            "the analyzer (analysis.build_graph) is not available; use a report.json"
        ) from exc
    try:
        graph = build_graph(source, progress=progress).graph
    except (OSError, ValueError) as exc:
        raise ImportSourceError(f"cannot analyze {source}: {exc}") from exc
    return [
        {"pattern": node.removeprefix("endpoint:"), **attrs}
        for node, attrs in graph.nodes(data=True)
        if isinstance(node, str) and node.startswith("endpoint:")
    ]
