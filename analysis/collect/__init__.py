"""Collectors: pure functions of (source text, module name, path) -> facts."""

from analysis.collect.module import collect_module, parse

__all__ = ["collect_module", "parse"]
