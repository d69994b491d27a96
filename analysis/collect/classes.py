"""Classes: bases, methods, relation fields, Meta options, DRF actions.

Every class is recorded, model or not: whether ``class Order(TimeStamped)`` is a model
depends on other modules, so the builder decides that over all the facts at once.
"""

from __future__ import annotations

import ast

from analysis.collect.scope import Scope, argument, attr_chain, keyword, literal_str
from analysis.facts import Action, ClassFact, Field

RELATIONS = {
    "ForeignKey": "fk",
    "ParentalKey": "fk",
    "TreeForeignKey": "fk",
    "OneToOneField": "o2o",
    "ManyToManyField": "m2m",
    "ParentalManyToManyField": "m2m",
    "TreeManyToManyField": "m2m",
}
MANAGERS = {"objects", "_default_manager", "_base_manager"}


def collect_class(node: ast.ClassDef, scope: Scope, prefix: str) -> ClassFact:
    name = f"{prefix}.{node.name}"
    bases = tuple(d for d in (scope.dotted(b) for b in node.bases) if d)
    methods: list[str] = []
    fields: list[Field] = []
    actions: list[Action] = []
    attrs: list[tuple[str, str]] = []
    meta: dict[str, object] = {}
    queryset: str | None = None
    serializer: str | None = None
    model_fields = False
    for stmt in node.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            methods.append(stmt.name)
            action = _action(stmt)
            if action:
                actions.append(action)
        elif isinstance(stmt, ast.ClassDef) and stmt.name == "Meta":
            meta = _meta(stmt, scope)
        elif isinstance(stmt, ast.Assign | ast.AnnAssign) and stmt.value is not None:
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                if not isinstance(target, ast.Name):
                    continue
                field = _relation(target.id, stmt.value, scope, stmt.lineno)
                if field:
                    fields.append(field)
                model_fields = model_fields or _is_model_field(stmt.value, scope)
                text = _text(stmt.value)
                if text is not None:
                    attrs.append((target.id, text))
                if target.id in ("queryset", "model"):
                    queryset = queryset or model_root(stmt.value, scope)
                elif target.id == "serializer_class":
                    serializer = scope.dotted(stmt.value)
    model, app_label = meta.get("model"), meta.get("app_label")
    return ClassFact(
        name=name,
        line=node.lineno,
        bases=bases,
        methods=tuple(methods),
        fields=tuple(fields),
        abstract=meta.get("abstract") is True,
        proxy=meta.get("proxy") is True,
        app_label=app_label if isinstance(app_label, str) else None,
        actions=tuple(actions),
        attrs=tuple(attrs),
        queryset=queryset or (model if isinstance(model, str) else None),
        serializer=serializer,
        model_fields=model_fields or bool(fields),
    )


def _is_model_field(value: ast.expr, scope: Scope) -> bool:
    """``models.CharField(...)``: a call of a field class from django.db.models."""
    if not isinstance(value, ast.Call):
        return False
    dotted = scope.dotted(value.func) or ""
    return dotted.startswith("django.db.models.") and dotted.endswith("Field")


def _text(value: ast.expr) -> str | None:
    """A string attribute, or a list of strings joined by commas (http_method_names)."""
    text = literal_str(value)
    if text is not None:
        return text
    if isinstance(value, ast.List | ast.Tuple):
        items = [literal_str(e) for e in value.elts]
        if items and all(i is not None for i in items):
            return ",".join(i for i in items if i)
    return None


def _relation(name: str, value: ast.expr, scope: Scope, line: int) -> Field | None:
    if not isinstance(value, ast.Call):
        return None
    parts = attr_chain(value.func)
    if not parts or parts[-1] not in RELATIONS:
        return None
    target = argument(value, 0, "to")
    ref = scope.model_ref(target) if target is not None else None
    if ref is None:
        return None
    related = literal_str(keyword(value, "related_name"))
    return Field(name, RELATIONS[parts[-1]], ref, related, line)  # type: ignore[arg-type]


def _meta(node: ast.ClassDef, scope: Scope) -> dict[str, object]:
    meta: dict[str, object] = {}
    for stmt in node.body:
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    if isinstance(stmt.value, ast.Constant):
                        meta[target.id] = stmt.value.value
                    elif target.id == "model":
                        meta["model"] = scope.dotted(stmt.value)
    return meta


def model_root(value: ast.expr, scope: Scope) -> str | None:
    """``Product.objects.filter(...)`` or ``Product`` -> the dotted name of Product."""
    node = value
    while isinstance(node, ast.Call | ast.Attribute | ast.Subscript):
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            if node.attr in MANAGERS:  # Product.objects / models.Product.objects
                return scope.dotted(node.value)
            node = node.value
        else:
            node = node.value
    return scope.dotted(value) if isinstance(value, ast.Name | ast.Attribute) else None


def _action(node: ast.FunctionDef | ast.AsyncFunctionDef) -> Action | None:
    for deco in node.decorator_list:
        if not isinstance(deco, ast.Call):
            continue
        parts = attr_chain(deco.func)
        if not parts or parts[-1] not in ("action", "detail_route", "list_route"):
            continue
        detail_node = keyword(deco, "detail")
        if isinstance(detail_node, ast.Constant):
            detail = bool(detail_node.value)
        else:
            detail = parts[-1] != "list_route"
        methods_node = keyword(deco, "methods")
        methods: tuple[str, ...] = ("GET",)
        if isinstance(methods_node, ast.List | ast.Tuple):
            found = [literal_str(e) for e in methods_node.elts]
            methods = tuple(sorted({m.upper() for m in found if m}))
        url_path = literal_str(keyword(deco, "url_path")) or node.name
        url_name = literal_str(keyword(deco, "url_name")) or node.name.replace("_", "-")
        return Action(node.name, detail, methods, url_path, url_name)
    return None
