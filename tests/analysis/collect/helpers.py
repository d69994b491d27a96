"""Run the collectors on a literal source, the way the builder does."""

from __future__ import annotations

from textwrap import dedent

from analysis.collect import collect_module
from analysis.facts import BrokenFile, FunctionFact, ModuleFacts


def facts_of(
    source: str, module: str = "shop.orders.views", is_package: bool = False
) -> ModuleFacts:
    path = module.replace(".", "/") + ("/__init__.py" if is_package else ".py")
    facts = collect_module(dedent(source).encode(), module, path, is_package)
    assert isinstance(facts, ModuleFacts), facts
    return facts


def broken(source: bytes, path: str = "shop/bad.py") -> BrokenFile:
    facts = collect_module(source, "shop.bad", path)
    assert isinstance(facts, BrokenFile), facts
    return facts


def function(facts: ModuleFacts, name: str) -> FunctionFact:
    return next(f for f in facts.functions if f.name == name)


def uses(facts: ModuleFacts, name: str) -> set[tuple[str, str, str]]:
    """{(target, attr, access)} of one function's ORM uses."""
    return {(u.target.target, u.target.attr, u.access) for u in function(facts, name).uses}
