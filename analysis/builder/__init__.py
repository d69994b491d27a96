"""build_graph: a source tree in, the typed and weighted graph of it out (``build``).

The names are loaded on first use, so that reading a cached result (``analysis.run``) never
pays for importing networkx.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from analysis.builder.build import Analysis, BrokenFile, Progress, build_graph
    from analysis.builder.graph import WEIGHTS

__all__ = ["WEIGHTS", "Analysis", "BrokenFile", "Progress", "build_graph"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        home = "analysis.builder.graph" if name == "WEIGHTS" else "analysis.builder.build"
        return getattr(import_module(home), name)
    raise AttributeError(f"module 'analysis.builder' has no attribute {name!r}")
