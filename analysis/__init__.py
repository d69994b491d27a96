"""The static analyzer: reads a Django codebase (never imports or runs it) into a graph.

The names are loaded on first use (see ``analysis.builder``).
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
    raise AttributeError(f"module 'analysis' has no attribute {name!r}")
