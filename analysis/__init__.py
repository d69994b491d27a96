"""The static analyzer: reads a Django codebase (never imports or runs it) into a graph."""

from analysis.builder import WEIGHTS, Analysis, BrokenFile, Progress, build_graph

__all__ = ["WEIGHTS", "Analysis", "BrokenFile", "Progress", "build_graph"]
