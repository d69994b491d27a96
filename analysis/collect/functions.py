"""Per function: ORM reads and writes, calls, transaction.atomic blocks, signal use."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass

from analysis.collect.classes import model_root
from analysis.collect.orm import Types
from analysis.collect.scope import Scope, attr_chain, interesting_nodes, keyword, literal_str
from analysis.facts import Atomic, Call, FunctionFact, OrmUse, Receiver, Ref, Send

Def = ast.FunctionDef | ast.AsyncFunctionDef
WANTED = (ast.Assign, ast.AnnAssign, ast.For, ast.AsyncFor, ast.Call, ast.With, ast.AsyncWith)
VIEW_DECORATORS = {
    "require_GET": ("GET",),
    "require_POST": ("POST",),
    "require_safe": ("GET",),
}


class FunctionCollector:
    """Walks every function, method and class body of one module."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.functions: list[FunctionFact] = []
        self.receivers: list[Receiver] = []
        self.sends: list[Send] = []

    def module(self, statements: list[ast.stmt]) -> None:
        top: list[ast.stmt] = []
        for stmt in statements:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                self.function(stmt, stmt.name, None)
            elif isinstance(stmt, ast.ClassDef):
                self.klass(stmt)
            else:
                top.append(stmt)
        if top:
            end = max(getattr(s, "end_lineno", s.lineno) or s.lineno for s in top)
            self.body("<module>", top, 1, end, Types(self.scope), None)

    def klass(self, node: ast.ClassDef) -> None:
        owner = f"{self.scope.module}.{node.name}"
        view = _view_refs(node, self.scope)
        body: list[ast.stmt] = []
        for stmt in node.body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                self.function(stmt, f"{node.name}.{stmt.name}", owner, view)
            elif not isinstance(stmt, ast.ClassDef):
                body.append(stmt)
        if body:
            end = node.end_lineno or node.lineno
            self.body(node.name, body, node.lineno, end, Types(self.scope), None)

    def function(
        self,
        node: Def,
        qualname: str,
        owner: str | None,
        view: ViewRefs | None = None,
    ) -> None:
        view = view or ViewRefs()
        types = Types(self.scope, view.serializer, view.model)
        args = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
        for i, arg in enumerate(args):
            if i == 0 and owner and arg.arg in ("self", "cls"):
                types.instances[arg.arg] = Ref("class", owner)
            elif arg.arg == "serializer" and view.serializer is not None:
                types.instances[arg.arg] = view.serializer  # perform_create(self, serializer)
            elif view.model is not None and (
                arg.arg in ("instance", "obj")  # perform_destroy(self, instance)
                or (i == 1 and view.serializes and node.name.startswith("get_"))
            ):
                types.instances[arg.arg] = view.model  # get_total(self, order)
            else:
                types.annotate(arg.arg, arg.annotation)
        atomic: list[Atomic] = []
        methods: tuple[str, ...] | None = None
        end = node.end_lineno or node.lineno
        for deco in node.decorator_list:
            parts = attr_chain(deco.func if isinstance(deco, ast.Call) else deco)
            if not parts:
                continue
            if parts[-1] == "atomic":
                atomic.append(Atomic(node.lineno, end))
            elif parts[-1] in ("api_view", "require_http_methods") and isinstance(deco, ast.Call):
                methods = _methods(
                    deco.args[0] if deco.args else keyword(deco, "http_method_names")
                )
                methods = methods or (("GET",) if parts[-1] == "api_view" else None)
            elif parts[-1] == "api_view":
                methods = ("GET",)
            elif parts[-1] in VIEW_DECORATORS:
                methods = VIEW_DECORATORS[parts[-1]]
            elif parts[-1] == "receiver" and isinstance(deco, ast.Call):
                self._receiver(deco, f"{self.scope.module}.{qualname}", node.lineno)
        self.body(qualname, node.body, node.lineno, end, types, methods, atomic)

    def body(
        self,
        name: str,
        stmts: list[ast.stmt],
        line: int,
        end: int,
        types: Types,
        methods: tuple[str, ...] | None,
        atomic: list[Atomic] | None = None,
    ) -> None:
        atomic = atomic or []
        nodes = interesting_nodes(stmts, WANTED)
        for node in nodes:  # first the names' types, then the uses
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    types.assign(target, node.value)
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                types.annotate(node.target.id, node.annotation)
                if node.value is not None:
                    types.assign(node.target, node.value)
            elif isinstance(node, ast.For | ast.AsyncFor):
                types.iterate(node.target, node.iter)
        found: dict[tuple[object, int], OrmUse] = {}
        calls: list[Call] = []
        for node in nodes:
            if isinstance(node, ast.Call):
                use = types.use(node)
                if use is not None:
                    key = (use[0], node.lineno)
                    if key not in found or use[1] == "write":
                        found[key] = OrmUse(use[0], use[1], node.lineno)
                else:
                    self._call(node, name, calls, types)
            elif isinstance(node, ast.With | ast.AsyncWith) and _is_atomic(node.items):
                atomic.append(Atomic(node.lineno, node.end_lineno or node.lineno))
        if methods is None and not (found or calls or atomic):
            return  # nothing to say about it
        self.functions.append(
            FunctionFact(
                name, line, end, tuple(found.values()), tuple(calls), tuple(atomic), methods
            )
        )

    def _call(self, node: ast.Call, function: str, calls: list[Call], types: Types) -> None:
        parts = attr_chain(node.func)
        if not parts:
            return
        if parts[0] in ("self", "cls") and len(parts) == 2 and "self" in types.instances:
            owner = function.split(".")[0]
            calls.append(Call(f"{self.scope.module}.{owner}.{parts[1]}", node.lineno))
            return
        dotted = self.scope.dotted(node.func)
        if dotted is None:
            return
        if parts[-1] in ("send", "send_robust", "asend", "asend_robust") and len(parts) > 1:
            self.sends.append(Send(dotted.rsplit(".", 1)[0], node.lineno, function))
        elif parts[-1] == "connect" and len(parts) > 1 and node.args:
            handler = self.scope.dotted(node.args[0])
            if handler is None and (chain := attr_chain(node.args[0])) and chain[0] == "self":
                handler = f"{self.scope.module}.{function.split('.')[0]}.{chain[-1]}"
            if handler:
                sender = keyword(node, "sender")
                ref = self.scope.model_ref(sender) if sender is not None else None
                signal = dotted.rsplit(".", 1)[0]
                self.receivers.append(Receiver(signal, ref, handler, node.lineno))
        elif len(parts) <= 2 and not dotted.startswith("django."):
            calls.append(Call(dotted, node.lineno))

    def _receiver(self, deco: ast.Call, function: str, line: int) -> None:
        if not deco.args:
            return
        first = deco.args[0]
        signals = first.elts if isinstance(first, ast.List | ast.Tuple) else [first]
        sender = keyword(deco, "sender")
        ref = self.scope.model_ref(sender) if sender is not None else None
        for signal in signals:
            dotted = self.scope.dotted(signal)
            if dotted:
                self.receivers.append(Receiver(dotted, ref, function, line))


@dataclass(frozen=True, slots=True)
class ViewRefs:
    """What a class-based view, serializer or form works on: ``self.get_serializer()``
    returns a ``serializer``, ``self.get_object()`` and ``instance`` parameters a
    ``model``; ``serializes``: the model comes from ``class Meta: model = X``."""

    serializer: Ref | None = None
    model: Ref | None = None
    serializes: bool = False


def _view_refs(node: ast.ClassDef, scope: Scope) -> ViewRefs:
    serializer = model = meta = None
    for stmt in node.body:
        if isinstance(stmt, ast.ClassDef) and stmt.name == "Meta":
            meta = _view_refs(stmt, scope).model
        if not isinstance(stmt, ast.Assign):
            continue
        for target in stmt.targets:
            if not isinstance(target, ast.Name):
                continue
            if target.id == "serializer_class" and (dotted := scope.dotted(stmt.value)):
                serializer = Ref("class", dotted)
            elif target.id in ("queryset", "model") and (root := model_root(stmt.value, scope)):
                model = Ref("class", root)
    # Without a queryset, the serializer stands for its Meta.model (the builder maps it).
    return ViewRefs(serializer, model or meta or serializer, meta is not None and not model)


def _is_atomic(items: Iterable[ast.withitem]) -> bool:
    for item in items:
        expr = item.context_expr
        parts = attr_chain(expr.func if isinstance(expr, ast.Call) else expr)
        if parts and parts[-1] == "atomic":
            return True
    return False


def _methods(node: ast.expr | None) -> tuple[str, ...] | None:
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        found = [literal_str(e) for e in node.elts]
        return tuple(sorted({m.upper() for m in found if m}))
    return None
