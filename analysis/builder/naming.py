"""Which name a tree's code gives its own package, when its folder is named otherwise.

A copy of ``legacy_monolith`` in a folder named ``shopcopy`` is discovered as
``shopcopy.*``, while its code imports ``legacy_monolith.orders.models``, its settings
name ``legacy_monolith.shop.urls`` and its urlconfs include ``legacy_monolith.*.urls``:
none of that would resolve, and the endpoints, apps and dependencies reached through them
would silently go missing. The imports tell the name the code uses; the tree is then
analysed under it::

    >>> from analysis.facts import Import, ModuleFacts
    >>> facts = [
    ...     ModuleFacts("shopcopy.orders.views", "orders/views.py", False, 3,
    ...                 imports=(Import("legacy_monolith.orders.models", "Order", 1),)),
    ...     ModuleFacts("shopcopy.orders.models", "orders/models.py", False, 9),
    ... ]
    >>> code_names(facts, min_modules=1)
    {'shopcopy': 'legacy_monolith'}
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace

from analysis.builder.discover import SourceFile
from analysis.facts import ModuleFacts

#: An unknown package maps onto the tree when at least this many of its imported modules
#: exist in the tree under the other name...
MIN_MODULES = 2
#: ...and this share of them, at least: a third-party package (``django.urls`` beside a
#: project's ``shop.urls``) has far more modules that do not.
MIN_SHARE = 0.9


def code_names(facts: Sequence[ModuleFacts], min_modules: int = MIN_MODULES) -> dict[str, str]:
    """{a top-level package of the tree ("" for the tree's root): the name its code imports
    it by}. ``Q`` names ``T`` when ``Q`` is no package of the tree and nearly every
    ``Q.x.y`` the code imports is a module ``T.x.y`` of it (``x.y`` for the root), more of
    them than the code imports as ``T.*`` itself."""
    modules = {f.module for f in facts}
    tops = {m.split(".")[0] for m in modules}
    foreign: defaultdict[str, set[str]] = defaultdict(set)  # unknown top -> modules under it
    own: defaultdict[str, set[str]] = defaultdict(set)  # tree top -> its modules imported
    for module_facts in facts:
        for imp in module_facts.imports:
            top, _, rest = imp.module.partition(".")
            if top in tops:
                if imp.module in modules:
                    own[top].add(imp.module)
                    own[""].add(imp.module)
            elif rest:
                foreign[top].add(rest)
    found: list[tuple[int, str, str]] = []
    for name, rests in foreign.items():
        for tree_top in ("", *sorted(tops)):
            prefix = f"{tree_top}." if tree_top else ""
            mapped = sum(1 for rest in rests if prefix + rest in modules)
            if (
                mapped >= min_modules
                and mapped >= MIN_SHARE * len(rests)
                and mapped > len(own[tree_top])
            ):
                found.append((-mapped, tree_top, name))
    names: dict[str, str] = {}
    for _, tree_top, name in sorted(found):
        if tree_top not in names and name not in names.values():
            names[tree_top] = name
    return names


def renamed(files: Sequence[SourceFile], names: Mapping[str, str]) -> list[SourceFile]:
    """The files with their top-level package renamed as ``names`` says (paths unchanged;
    ``""`` puts the whole tree under a package)."""
    out = []
    for source in files:
        top, dot, rest = source.module.partition(".")
        if "" in names:
            source = replace(source, module=f"{names['']}.{source.module}")
        elif top in names:
            source = replace(source, module=names[top] + dot + rest)
        out.append(source)
    return out
