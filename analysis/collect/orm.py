"""ORM usage: which expressions read or write which models.

A call chain such as ``Product.objects.filter(...).update(...)`` is reduced to its root
name and the attribute names along it (``Product``, [objects, filter, update]); the
chain writes if any step writes, otherwise it reads.
"""

from __future__ import annotations

import ast

from analysis.collect.classes import MANAGERS
from analysis.collect.scope import Scope, argument, label_alias
from analysis.facts import Access, Ref

READS = frozenset(
    [
        "all",
        "filter",
        "exclude",
        "get",
        "first",
        "last",
        "count",
        "exists",
        "values",
        "values_list",
        "select_related",
        "prefetch_related",
        "annotate",
        "aggregate",
        "order_by",
        "distinct",
        "in_bulk",
        "iterator",
        "only",
        "defer",
        "latest",
        "earliest",
        "none",
        "raw",
        "using",
        "alias",
        "dates",
        "datetimes",
        "union",
        "intersection",
        "difference",
        "aget",
        "afirst",
        "alast",
        "acount",
        "aexists",
        "aaggregate",
        "ain_bulk",
        "aiterator",
        "contains",
    ]
)
WRITES = frozenset(
    [
        "create",
        "get_or_create",
        "update_or_create",
        "bulk_create",
        "bulk_update",
        "update",
        "delete",
        "acreate",
        "aget_or_create",
        "aupdate_or_create",
        "abulk_create",
        "abulk_update",
        "aupdate",
        "adelete",
        "add",
        "remove",
        "clear",
        "set",
        "aadd",
        "aremove",
        "aclear",
        "aset",
    ]
)
ORM_METHODS = READS | WRITES
INSTANCE_WRITES = frozenset({"save", "delete", "asave", "adelete"})
INSTANCE_READS = frozenset({"refresh_from_db", "arefresh_from_db"})
RETURNS_INSTANCE = frozenset(
    [
        "get",
        "first",
        "last",
        "latest",
        "earliest",
        "create",
        "get_or_create",
        "update_or_create",
        "aget",
        "afirst",
        "alast",
        "acreate",
        "aget_or_create",
        "aupdate_or_create",
    ]
)
# self.<these> in a class-based view stand for its model: self.queryset.filter(...)
VIEW_MODEL_ACCESS = frozenset({"get_queryset", "get_object", "queryset", "model"})
SHORTCUTS = frozenset({"get_object_or_404", "get_list_or_404", "aget_object_or_404"})


def chain(node: ast.expr) -> tuple[ast.expr, list[str]]:
    """Unwrap calls, attributes and subscripts: the root and the names along the chain."""
    names: list[str] = []
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            names.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Subscript):
            node = node.value
        else:
            break
    names.reverse()
    return node, names


def _access(names: list[str]) -> Access | None:
    if any(n in WRITES for n in names):
        return "write"
    if any(n in READS for n in names):
        return "read"
    return None


class Types:
    """What the local names of one function hold: model classes or model instances."""

    def __init__(
        self, scope: Scope, serializer: Ref | None = None, model: Ref | None = None
    ) -> None:
        self.scope = scope
        self.serializer = serializer  # a class-based view's serializer_class, if any
        self.model = model  # and its queryset's model
        self.instances: dict[str, Ref] = {}
        self.classes: dict[str, Ref] = {}

    def class_ref(self, node: ast.expr) -> Ref | None:
        if isinstance(node, ast.Name) and node.id in self.classes:
            return self.classes[node.id]
        ref = self.scope.model_ref(node) if isinstance(node, ast.Name | ast.Attribute) else None
        return ref

    def manager_chain(self, root: ast.expr, names: list[str]) -> tuple[Ref, list[str]] | None:
        """``Product.objects.filter(...)``, ``models.Product.objects.get(...)`` and custom
        managers (``Product.published.all()``) -> (Product, the names after the manager)."""
        for k, name in enumerate(names):
            if name in MANAGERS or (k + 1 < len(names) and names[k + 1] in ORM_METHODS):
                ref = self._class_at(root, names[:k])
                return (ref, names[k + 1 :]) if ref is not None else None
        return None

    def _class_at(self, root: ast.expr, path: list[str]) -> Ref | None:
        if not path:
            return self.class_ref(root)
        dotted = self.scope.dotted(root)
        return Ref("class", ".".join([dotted, *path])) if dotted else None

    def assign(self, target: ast.expr, value: ast.expr) -> None:
        if isinstance(target, ast.Tuple | ast.List) and target.elts:
            target = target.elts[0]  # obj, created = X.objects.get_or_create(...)
        if not isinstance(target, ast.Name):
            return
        if isinstance(value, ast.Call):
            loaded = self.scope.model_load(value)
            if loaded:
                self.classes[target.id] = loaded
                return
        if isinstance(value, ast.IfExp):  # model = Product if staff else ActiveProduct
            value = value.body
        if isinstance(value, ast.Name | ast.Attribute):  # a class under another name
            ref = self.class_ref(value)
            if ref is not None:
                self.classes[target.id] = ref
            return
        ref = self.instance_of(value)
        if ref is not None:
            self.instances[target.id] = ref

    def annotate(self, name: str, annotation: ast.expr | None) -> None:
        if annotation is None:
            return
        if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
            parts = annotation.value.split(".")
            if all(p.isidentifier() for p in parts):  # "Order" / "models.Order": no parse
                head = self.scope.aliases.get(parts[0])
                bound = label_alias(head) if head is not None else None
                if bound is not None:
                    self.instances[name] = bound
                elif head is not None:
                    self.instances[name] = Ref("class", ".".join([head, *parts[1:]]))
                return
            try:
                annotation = ast.parse(annotation.value, mode="eval").body
            except SyntaxError:
                return
        ref = self.class_ref(annotation)
        if ref is not None:
            self.instances[name] = ref

    def instance_of(self, value: ast.expr) -> Ref | None:
        """``X(...)``, ``X.objects.get(...)``, ``get_object_or_404(X, ...)`` -> X."""
        if not isinstance(value, ast.Call):
            return None
        root, names = chain(value)
        if not names:
            ref = self.class_ref(value.func)
            if ref is not None and ref.kind == "class" and ref.target.split(".")[-1] in SHORTCUTS:
                model = argument(value, 0, "klass")
                return self.class_ref(model) if model is not None else None
            return ref
        managed = self.manager_chain(root, names)
        if managed is not None and managed[1] and managed[1][-1] in RETURNS_INSTANCE:
            return managed[0]
        if isinstance(root, ast.Name) and root.id == "self":
            if names == ["get_serializer"]:
                return self.serializer
            if names == ["get_object"]:
                return self.model
        if len(names) == 1 and isinstance(root, ast.Name) and root.id not in self.instances:
            return self.class_ref(value.func)  # module.Model(...)
        return None

    def iterate(self, target: ast.expr, iterable: ast.expr) -> None:
        """``for line in Line.objects.filter(...)`` -> line is a Line;
        ``for line in order.lines.all()`` -> line is what Order.lines relates to."""
        root, names = chain(iterable)
        if not (isinstance(target, ast.Name) and names and _access(names) == "read"):
            return
        owner = self.instances.get(root.id) if isinstance(root, ast.Name) else None
        if owner is not None and owner.kind == "class" and len(names) >= 2:
            self.instances[target.id] = Ref("related", owner.target, names[0])
            return
        managed = self.manager_chain(root, names)
        if managed is not None:
            self.instances[target.id] = managed[0]

    def use(self, call: ast.Call) -> tuple[Ref, Access] | None:
        """The model a call reads or writes, if it is an ORM call."""
        root, names = chain(call)
        if not names:
            return self._shortcut(call)
        is_self = isinstance(root, ast.Name) and root.id in ("self", "cls")
        if is_self and self.model and names[0] in VIEW_MODEL_ACCESS:
            return self.model, _access(names[1:]) or "read"
        if is_self and self.model and names[:2] == ["Meta", "model"]:  # cls.Meta.model
            return self.model, _access(names[2:]) or "read"
        if isinstance(root, ast.Name) and root.id in self.instances:
            owner = self.instances[root.id]
            if names[0] in INSTANCE_WRITES:
                return owner, "write"
            if names[0] in INSTANCE_READS:
                return owner, "read"
            if owner.kind != "class" or len(names) < 2:
                return None
            if len(names) == 2 and names[1] in INSTANCE_WRITES:  # order.customer.save()
                return Ref("related", owner.target, names[0]), "write"
            access = _access(names[1:])
            return (Ref("related", owner.target, names[0]), access) if access else None
        managed = self.manager_chain(root, names)
        if managed is not None:
            return managed[0], _access(managed[1]) or "read"
        return None

    def _shortcut(self, call: ast.Call) -> tuple[Ref, Access] | None:
        ref = self.class_ref(call.func)
        if ref is None or ref.kind != "class" or ref.target.split(".")[-1] not in SHORTCUTS:
            return None
        model = argument(call, 0, "klass")
        target = self.class_ref(model) if model is not None else None
        return (target, "read") if target else None
