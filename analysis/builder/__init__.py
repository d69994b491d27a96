"""build_graph: a source tree in, the typed and weighted graph of it out (``build``).

The names are loaded on first use, so that reading a cached result (``analysis.run``) never
pays for importing networkx.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from analysis.builder.build import WEIGHTS, Analysis, BrokenFile, Progress, build_graph

__all__ = ["WEIGHTS", "Analysis", "BrokenFile", "Progress", "build_graph"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(import_module("analysis.builder.build"), name)
    raise AttributeError(f"module 'analysis.builder' has no attribute {name!r}")
