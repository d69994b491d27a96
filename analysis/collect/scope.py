"""Name resolution inside one module: local names -> dotted references."""

from __future__ import annotations

import ast
import builtins

from analysis.facts import Ref

USER_MODEL = "settings.AUTH_USER_MODEL"  # label placeholder the builder resolves
LABEL_PREFIX = "label:"  # an alias bound to a model label (User = get_user_model())
DYNAMIC_PREFIX = "dynamic:"  # an alias bound to apps.get_model("app", "Model")
STAR_PREFIX = "*:"  # a name that may come from star imports: "*:mod1|mod2:Name"
BUILTINS = frozenset(dir(builtins)) | {"self", "cls"}


def attr_chain(node: ast.expr) -> list[str] | None:
    """``a.b.c`` -> ["a", "b", "c"]; None for anything that is not a plain name chain."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    parts.reverse()
    return parts


def literal_str(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def keyword(call: ast.Call, name: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return None


def argument(call: ast.Call, index: int, name: str) -> ast.expr | None:
    """The positional argument ``index`` or else the keyword ``name``."""
    if len(call.args) > index and not isinstance(call.args[index], ast.Starred):
        return call.args[index]
    return keyword(call, name)


def label_alias(dotted: str) -> Ref | None:
    """The model reference an alias holds when it is bound to a label (see the prefixes)."""
    if dotted.startswith(LABEL_PREFIX):
        return Ref("label", dotted[len(LABEL_PREFIX) :])
    if dotted.startswith(DYNAMIC_PREFIX):
        return Ref("dynamic", dotted[len(DYNAMIC_PREFIX) :])
    return None


def alias_of(ref: Ref) -> str:
    """The alias text for a label or dynamic reference (the inverse of label_alias)."""
    return (DYNAMIC_PREFIX if ref.kind == "dynamic" else LABEL_PREFIX) + ref.target


class Scope:
    """The module's names: imports, module-level classes/functions, model aliases."""

    def __init__(self, module: str, aliases: dict[str, str], stars: tuple[str, ...] = ()) -> None:
        self.module = module
        self.aliases = aliases
        self.stars = stars  # modules this one star-imports from

    def dotted(self, node: ast.expr) -> str | None:
        """The dotted reference an expression names, or None if it is not a known name."""
        parts = attr_chain(node)
        if parts is None:
            return None
        head = self.aliases.get(parts[0])
        if head is None:
            if not self.stars or parts[0] in BUILTINS:
                return None
            head = f"{STAR_PREFIX}{'|'.join(self.stars)}:{parts[0]}"  # the builder decides
        return ".".join([head, *parts[1:]])

    def model_ref(self, node: ast.expr) -> Ref | None:
        """A model reference: a class name, a label string, or get_user_model()."""
        text = literal_str(node)
        if text is not None:
            return Ref("label", text)
        if isinstance(node, ast.Call):
            return self.model_load(node)
        dotted = self.dotted(node)
        if dotted is None:
            return None
        bound = label_alias(dotted)
        if bound is not None:
            return bound
        if dotted.endswith("AUTH_USER_MODEL"):
            return Ref("label", USER_MODEL)
        return Ref("class", dotted)

    def model_load(self, call: ast.Call) -> Ref | None:
        """``apps.get_model(...)`` -> a "dynamic" reference; ``get_user_model()`` -> the
        user model's label (Django's own way to name it, no smell)."""
        label = self.dynamic_model(call)
        if label is None:
            return None
        return Ref("label", label) if label == USER_MODEL else Ref("dynamic", label)

    def dynamic_model(self, call: ast.Call) -> str | None:
        """``apps.get_model("app", "Model")`` / ``get_model("app.Model")`` /
        ``get_user_model()`` with literal arguments -> a label."""
        parts = attr_chain(call.func)
        if not parts:
            return None
        if parts[-1] == "get_user_model":
            return USER_MODEL
        if parts[-1] != "get_model":
            return None
        first, second = literal_str(argument(call, 0, "app_label")), None
        if len(call.args) > 1:
            second = literal_str(call.args[1])
        else:
            second = literal_str(keyword(call, "model_name"))
        if first and second:
            return f"{first}.{second}"
        if first and "." in first:
            return first
        return None


# Fields that never hold a call, an assignment or a with block, and node types that
# never contain one: skipping them makes the walk about three times faster than ast.walk.
_SKIP_FIELDS = frozenset(
    {"ctx", "op", "ops", "id", "attr", "arg", "name", "module", "level", "type_comment"}
    | {"kind", "is_async", "conversion", "simple", "asname", "names", "kwd_attrs", "rest"}
)
_LEAVES: frozenset[type] = frozenset(
    {ast.Constant, ast.Name, ast.Pass, ast.Break, ast.Continue, ast.Import, ast.ImportFrom}
    | {str, int, float, complex, bool, bytes, type(None), type(...)}
)
# The fields worth walking per node type; none for leaves (pushed, popped, never opened).
_CHILD_FIELDS: dict[type, tuple[str, ...]] = dict.fromkeys(_LEAVES, ())


def interesting_nodes(stmts: list[ast.stmt], kinds: tuple[type[ast.AST], ...]) -> list[ast.AST]:
    """The nodes of ``kinds`` under ``stmts``, in source order."""
    wanted = frozenset(kinds)
    found: list[ast.AST] = []
    stack: list[object] = list(stmts)
    pop, push, extend, child_fields = stack.pop, stack.append, stack.extend, _CHILD_FIELDS.get
    while stack:
        node = pop()
        cls = type(node)
        fields = child_fields(cls)
        if fields is None:
            fields = tuple(f for f in getattr(cls, "_fields", ()) if f not in _SKIP_FIELDS)
            _CHILD_FIELDS[cls] = fields
        if cls in wanted and isinstance(node, ast.AST):
            found.append(node)
        for name in fields:
            value = getattr(node, name, None)
            if type(value) is list:
                extend(value)
            else:
                push(value)
    found.sort(key=lambda n: (getattr(n, "lineno", 0), getattr(n, "col_offset", 0)))
    return found


def module_statements(tree: ast.Module) -> list[ast.stmt]:
    """The module-level statements, with those under module-level ``if``/``try``/``with``
    blocks flattened in (``if not is_model_registered(...): class Product(...)``)."""
    found: list[ast.stmt] = []
    stack: list[ast.stmt] = list(reversed(tree.body))
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, ast.If):
            blocks = [stmt.body, stmt.orelse]
        elif isinstance(stmt, ast.Try | ast.TryStar):
            blocks = [stmt.body, *(h.body for h in stmt.handlers), stmt.orelse, stmt.finalbody]
        elif isinstance(stmt, ast.With):
            blocks = [stmt.body]
        else:
            found.append(stmt)
            continue
        for block in reversed(blocks):
            stack.extend(reversed(block))
    return found
