"""Where ``strangler routes import`` gets the monolith's endpoints from the source tree.

The command line composes the analyzer and the flag store; the store itself never imports
the analyzer (its ``importing`` module only knows endpoint dicts and ``report.json``)::

    outcome = import_routes(store, endpoints_from_source(Path("legacy_monolith")))
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from strangler_proxy.store.importing import ImportSourceError, Progress


def endpoints_from_source(
    source: Path, progress: Progress | None = None, *, allow_broken: bool = False
) -> list[dict[str, Any]]:
    """Run the static analyzer (it never imports the code) and collect its endpoints.

    A file the analyzer cannot parse hides the URL patterns in it, and a re-import would
    then remove their routes: that is an error naming each file, unless ``allow_broken``."""
    try:
        from analysis import build_graph
    except ImportError as exc:
        raise ImportSourceError(
            "the analyzer (analysis.build_graph) is not available; use a report.json"
        ) from exc
    try:
        analysis = build_graph(source, progress=progress)
    except (OSError, ValueError) as exc:
        raise ImportSourceError(f"cannot analyze {source}: {exc}") from exc
    if analysis.broken and not allow_broken:
        files = "\n".join(
            f"  {source / b.path}:{b.line or '?'}: {b.reason}" for b in analysis.broken
        )
        raise ImportSourceError(
            f"{len(analysis.broken)} file(s) of {source} could not be read, so the URL patterns"
            f" in them would be missed (and their routes removed):\n{files}\n"
            "fix them, or pass --allow-broken to import what could be read"
        )
    graph = analysis.graph
    return [
        {"pattern": node.removeprefix("endpoint:"), **attrs}
        for node, attrs in graph.nodes(data=True)
        if isinstance(node, str) and node.startswith("endpoint:")
    ]
