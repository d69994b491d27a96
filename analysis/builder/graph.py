"""Facts -> one typed, weighted networkx MultiDiGraph: the contract with the proposal side.

Nodes (ids are strings):
- ``module:<dotted>``: kind="module", name, path (posix, relative to the root), app (the
  label of the enclosing Django app or None), lines, wiring (project wiring outside any
  app: settings, the root urlconf, the project package, wsgi/asgi/manage; no domain).
- ``model:<app_label>.<Model>``: kind="model", label, module (None for a model outside
  the tree, such as auth.User), abstract, proxy, external.
- ``endpoint:<pattern>``: kind="endpoint", pattern (proxy template, ``{pk}``,
  ``{id:int}``...), methods (sorted), view (dotted; ``ViewSet.action`` for @action), name.

Edges carry kind (also the MultiDiGraph key), weight (WEIGHTS) and sites
(``path:line`` or ``path:line:function``):
- module -> module "import" (conditional, function_level: true when every site is);
- module -> model "defines"; module -> model "read" / "write" (dynamic: true when one of
  its uses goes through a model loaded by name, ``apps.get_model("app", "Model")``);
- model -> model "relation" (field, relation in fk/o2o/m2m/inherits/proxy, and fields:
  every {field, relation} between the pair);
- endpoint -> module "route" (the module holding the view);
- module -> module "signal" (receiver -> sender's or signal's module; signal, sender).

Graph attributes: ``atomic_blocks`` [{module, function, site, models}], ``signals``
[{signal, sender, receiver, site}], ``dynamic_loads`` [{module, function, model,
access, site}] (ORM uses of models loaded by name with ``apps.get_model``) and
``django_modules`` (the modules importing ``django`` or ``rest_framework``: a sign, with
models, endpoints and settings, that the tree is a Django project); ``build_graph`` adds
``package_names`` ({a top package's folder name: the name its code imports it by}, for a
renamed copy: ``analysis.builder.naming``).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import networkx as nx

from analysis.builder.endpoints import WRITE_ACTIONS, endpoints, inherited_actions
from analysis.builder.symbols import Symbols
from analysis.facts import ClassFact, FunctionFact, ModuleFacts, Ref

WEIGHTS = {
    "import": 1.0,
    "route": 1.0,
    "read": 2.0,
    "signal": 2.0,
    "relation": 3.0,
    "write": 4.0,
    "defines": 5.0,
}
Edge = tuple[str, str, str]  # source, target, kind
DJANGO_PACKAGES = frozenset({"django", "rest_framework"})


class GraphBuilder:
    def __init__(self, symbols: Symbols) -> None:
        self.symbols = symbols
        self.graph = nx.MultiDiGraph()
        self.edges: dict[Edge, dict[str, Any]] = {}

    def build(self) -> nx.MultiDiGraph:
        self._modules()
        self._models()
        self._imports()
        self._orm()
        self._endpoints()
        self._signals()
        self._atomic_blocks()
        for attrs in self.edges.values():
            attrs["sites"] = list(attrs["sites"])  # an ordered set while building
        self.graph.add_edges_from((u, v, kind, attrs) for (u, v, kind), attrs in self.edges.items())
        return self.graph

    def _edge(self, source: str, target: str, kind: str, site: str | None = None) -> dict[str, Any]:
        attrs = self.edges.get((source, target, kind))
        if attrs is None:
            attrs = {"kind": kind, "weight": WEIGHTS[kind], "sites": {}}
            self.edges[(source, target, kind)] = attrs
        if site is not None:
            attrs["sites"][site] = None
        return attrs

    # -- nodes -------------------------------------------------------------------------
    def _modules(self) -> None:
        for name, facts in self.symbols.modules.items():
            self.graph.add_node(
                f"module:{name}",
                kind="module",
                name=name,
                path=facts.path,
                app=self.symbols.app_of(name),
                lines=facts.lines,
                wiring=name in self.symbols.wiring,
            )
        self.graph.graph["django_modules"] = sorted(
            name
            for name, facts in self.symbols.modules.items()
            if any(i.module.split(".")[0] in DJANGO_PACKAGES for i in facts.imports)
        )

    def _model_node(self, label: str) -> str:
        node = f"model:{label}"
        if node not in self.graph:
            model = self.symbols.models.get(label)
            cls = model.cls if model else None
            self.graph.add_node(
                node,
                kind="model",
                label=label,
                module=model.module if model else None,
                abstract=bool(cls and cls.abstract),
                proxy=bool(cls and cls.proxy),
                external=cls is None,
            )
        return node

    def _models(self) -> None:
        symbols = self.symbols
        for label, model in symbols.models.items():
            node = self._model_node(label)
            assert model.cls is not None and model.module is not None
            site = f"{symbols.modules[model.module].path}:{model.cls.line}"
            self._edge(f"module:{model.module}", node, "defines", site)
            for base in model.cls.bases:
                parent = symbols.label_of(Ref("class", base), label)
                if parent and parent != label and symbols.is_concrete(parent):
                    kind = "proxy" if model.cls.proxy else "inherits"
                    self._relation(label, parent, "", kind, site)
            for field in symbols.fields(model):
                target = symbols.label_of(field.to, label)
                if target:
                    path = symbols.modules[model.module].path
                    self._relation(
                        label, target, field.name, field.relation, f"{path}:{field.line}"
                    )

    def _relation(self, source: str, target: str, field: str, relation: str, site: str) -> None:
        attrs = self._edge(self._model_node(source), self._model_node(target), "relation", site)
        attrs.setdefault("field", field)
        attrs.setdefault("relation", relation)
        attrs.setdefault("fields", []).append({"field": field, "relation": relation})

    # -- edges -------------------------------------------------------------------------
    def _imports(self) -> None:
        modules = self.symbols.modules
        flags: dict[Edge, list[tuple[bool, bool]]] = defaultdict(list)
        for name, facts in modules.items():
            for imp in facts.imports:
                target = None
                if imp.name and f"{imp.module}.{imp.name}" in modules:
                    target = f"{imp.module}.{imp.name}"
                else:
                    target = self.symbols.module_of(imp.module)
                if target is None or target == name:
                    continue
                key = (f"module:{name}", f"module:{target}", "import")
                self._edge(*key, f"{facts.path}:{imp.line}")
                flags[key].append((imp.conditional, imp.function_level))
        for key, seen in flags.items():
            self.edges[key]["conditional"] = all(c for c, _ in seen)
            self.edges[key]["function_level"] = all(f for _, f in seen)

    def _orm(self) -> None:
        loads = []
        for name, facts in self.symbols.modules.items():
            for function in facts.functions:
                for use in function.uses:
                    label = self._label(facts, function, use.target)
                    if label is None:
                        continue
                    site = f"{facts.path}:{use.line}:{function.name}"
                    node = self._model_node(label)
                    attrs = self._edge(f"module:{name}", node, use.access, site)
                    if use.target.kind == "dynamic":
                        attrs["dynamic"] = True
                        loads.append(
                            {
                                "module": name,
                                "function": function.name,
                                "model": label,
                                "access": use.access,
                                "site": site,
                            }
                        )
            for cls in facts.classes:
                self._declared_model(name, facts, cls)
        for (_, _, kind), attrs in self.edges.items():
            if kind in ("read", "write"):
                attrs.setdefault("dynamic", False)
        self.graph.graph["dynamic_loads"] = loads

    def _declared_model(self, module: str, facts: ModuleFacts, cls: ClassFact) -> None:
        """A class declared over a model (``queryset = X...``, ``model = X`` or ``class
        Meta: model = X``: views, serializers, forms, GraphQL types; or, for a DRF view
        without a queryset, ``serializer_class = S`` over ``S.Meta.model``) reads X; with
        create/update/destroy actions (a ModelViewSet) it writes X through DRF's mixins,
        without a line of ORM code of its own. A class that declares none of these inherits
        the nearest project base's (a viewset over a shared base viewset)."""
        if cls.name in self.symbols.model_of_class:
            return
        declared = next(
            (c.queryset or c.serializer for c in self.symbols.ancestors(cls.name)
             if c.queryset or c.serializer),
            None,
        )  # fmt: skip
        if not declared:
            return
        label = self.symbols.label_of(Ref("class", declared))
        if label is None:
            return
        site = f"{facts.path}:{cls.line}:{cls.name.rsplit('.', 1)[-1]}"
        self._edge(f"module:{module}", self._model_node(label), "read", site)
        if WRITE_ACTIONS.intersection(inherited_actions(self.symbols, cls.name)):
            self._edge(f"module:{module}", self._model_node(label), "write", site)

    def uses(self, facts: ModuleFacts, function: FunctionFact) -> list[tuple[str, str, int]]:
        """(model label, "read"/"write", line) for each ORM use the symbols can resolve."""
        found: list[tuple[str, str, int]] = []
        for use in function.uses:
            label = self._label(facts, function, use.target)
            if label:
                found.append((label, use.access, use.line))
        return found

    def _label(self, facts: ModuleFacts, function: FunctionFact, ref: Ref) -> str | None:
        if ref.kind == "related":
            return self.symbols.related(ref)
        return self.symbols.label_of(ref, self._context(facts, function))

    def _context(self, facts: ModuleFacts, function: FunctionFact) -> str | None:
        """The model whose method this is (for "self" and same-app label strings)."""
        owner = f"{facts.module}.{function.name.split('.')[0]}"
        return self.symbols.model_of_class.get(owner)

    def _endpoints(self) -> None:
        for endpoint in endpoints(self.symbols):
            node = f"endpoint:{endpoint.pattern}"
            if node in self.graph:
                data = self.graph.nodes[node]
                data["methods"] = sorted({*data["methods"], *endpoint.methods})
            else:
                self.graph.add_node(
                    node,
                    kind="endpoint",
                    pattern=endpoint.pattern,
                    methods=sorted(endpoint.methods),
                    view=endpoint.view,
                    name=endpoint.name,
                )
            if endpoint.module is not None:
                self._edge(node, f"module:{endpoint.module}", "route", endpoint.site)

    def _signals(self) -> None:
        symbols = self.symbols
        senders: dict[str, set[str]] = defaultdict(set)
        for name, facts in symbols.modules.items():
            for send in facts.sends:
                senders[symbols.resolve(send.signal)].add(name)
        records = []
        for name, facts in symbols.modules.items():
            for receiver in facts.receivers:
                signal = symbols.resolve(receiver.signal)
                label = symbols.label_of(receiver.sender) if receiver.sender else None
                function = symbols.resolve(receiver.function)
                site = f"{facts.path}:{receiver.line}"
                records.append(
                    {
                        "signal": signal.rsplit(".", 1)[-1],
                        "sender": label,
                        "receiver": function,
                        "site": site,
                    }
                )
                source = symbols.module_of(function) or name
                targets = set(senders.get(signal, ()))
                if label and label in symbols.models:
                    targets.add(symbols.models[label].module or "")
                elif not targets and symbols.module_of(signal):
                    targets.add(symbols.module_of(signal) or "")
                for target in sorted(targets - {"", source}):
                    attrs = self._edge(f"module:{source}", f"module:{target}", "signal", site)
                    attrs.setdefault("signal", signal.rsplit(".", 1)[-1])
                    attrs.setdefault("sender", label)
        self.graph.graph["signals"] = records

    def _atomic_blocks(self) -> None:
        blocks = []
        for name, facts in self.symbols.modules.items():
            for function in facts.functions:
                for block in function.atomic:
                    labels = {
                        label
                        for label, _, line in self.uses(facts, function)
                        if block.line <= line <= block.end_line
                    }
                    calls = [c for c in function.calls if block.line <= c.line <= block.end_line]
                    labels |= self._called_models(name, [c.callee for c in calls])
                    blocks.append(
                        {
                            "module": name,
                            "function": function.name,
                            "site": f"{facts.path}:{block.line}:{function.name}",
                            "models": sorted(labels),
                        }
                    )
        self.graph.graph["atomic_blocks"] = blocks

    def _called_models(self, module: str, callees: list[str]) -> set[str]:
        """Models used by the called functions: transitively within ``module``, one level
        into functions of other modules."""
        labels: set[str] = set()
        seen: set[str] = set()
        queue = [self.symbols.resolve(c) for c in callees]
        while queue:
            callee = queue.pop()
            function = self.symbols.functions.get(callee)
            if callee in seen or function is None:
                continue
            seen.add(callee)
            owner = self.symbols.module_of(callee)
            if owner is None:
                continue
            facts = self.symbols.modules[owner]
            labels.update(label for label, _, _ in self.uses(facts, function))
            if owner == module:
                queue.extend(self.symbols.resolve(c.callee) for c in function.calls)
        return labels
