"""One file in, its facts out: the single entry point of the collectors."""

from __future__ import annotations

import ast
import re
import warnings

from analysis.collect.classes import collect_class
from analysis.collect.functions import FunctionCollector
from analysis.collect.imports import collect_imports
from analysis.collect.scope import (
    Scope,
    alias_of,
    attr_chain,
    literal_str,
    module_statements,
)
from analysis.collect.urls import UrlCollector
from analysis.facts import BrokenFile, ModuleFacts

SETTINGS = ("ROOT_URLCONF", "AUTH_USER_MODEL")


def parse(source: bytes, path: str) -> ast.Module | BrokenFile:
    """Parse Python 3 source; anything unreadable becomes a BrokenFile with the reason."""
    if b"\x00" in source:
        return BrokenFile(path, "contains null bytes (binary or corrupted file)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences and the like
            return ast.parse(source, filename=path)
    except SyntaxError as error:
        message = error.msg or "invalid syntax"
        if "unicode error" in message or "codec can't decode" in message:
            return BrokenFile(path, f"cannot decode the file: {message}")
        if "Missing parentheses in call to 'print'" in message or "exec" in message:
            return BrokenFile(
                path, f"Python 2 syntax at line {error.lineno}: {message}", error.lineno
            )
        hint = " (Python 3.12+ syntax? the analyzer parses 3.11)" if _newer(error) else ""
        return BrokenFile(
            path, f"syntax error at line {error.lineno}: {message}{hint}", error.lineno
        )
    except (ValueError, UnicodeDecodeError) as error:  # bad coding cookie, decode errors
        return BrokenFile(path, f"cannot decode the file: {error}")
    except (RecursionError, MemoryError):
        return BrokenFile(path, "too deeply nested for the Python parser")


NEWER_SYNTAX = re.compile(r"\b(def|class)\s+\w+\s*\[|^\s*type\s+\w+.*=")


def _newer(error: SyntaxError) -> bool:
    """PEP 695 generics (``def f[T]``, ``type X = ...``) or PEP 701 f-strings."""
    return bool(NEWER_SYNTAX.search(error.text or "")) or "f-string" in (error.msg or "")


def collect_module(
    source: bytes, module: str, path: str, is_package: bool = False
) -> ModuleFacts | BrokenFile:
    """All facts of one module, from its source text alone (never imports or runs it)."""
    tree = parse(source, path)
    if isinstance(tree, BrokenFile):
        return tree
    try:
        return _collect(tree, source, module, path, is_package)
    except Exception as error:  # a collector bug on odd code must not stop the analysis
        return BrokenFile(path, f"the analyzer failed on it ({type(error).__name__}: {error})")


def _collect(
    tree: ast.Module, source: bytes, module: str, path: str, is_package: bool
) -> ModuleFacts:
    imports, aliases = collect_imports(tree, module, is_package)
    statements = module_statements(tree)
    settings: dict[str, str] = {}
    signals: list[str] = []
    for stmt in statements:
        if isinstance(stmt, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            aliases[stmt.name] = f"{module}.{stmt.name}"
    scope = Scope(module, aliases, tuple(i.module for i in imports if i.name == "*"))
    for stmt in statements:
        apps = _installed_apps(stmt)
        if apps:
            settings["INSTALLED_APPS"] = ",".join(
                filter(None, [settings.get("INSTALLED_APPS"), *apps])
            )
        if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1):
            continue
        target = stmt.targets[0]
        if not isinstance(target, ast.Name):
            continue
        text = literal_str(stmt.value)
        if target.id in SETTINGS and text is not None:
            settings[target.id] = text
        elif isinstance(stmt.value, ast.Call):
            parts = attr_chain(stmt.value.func)
            loaded = scope.model_load(stmt.value)
            if loaded:
                aliases[target.id] = alias_of(loaded)
            elif parts and parts[-1] == "Signal":
                signals.append(f"{module}.{target.id}")
                aliases[target.id] = f"{module}.{target.id}"
        elif (dotted := scope.dotted(stmt.value)) is not None:
            aliases.setdefault(target.id, dotted)  # re-export: Model = other.Model
        aliases.setdefault(target.id, f"{module}.{target.id}")  # router = DefaultRouter()
    classes = [collect_class(s, scope, module) for s in statements if isinstance(s, ast.ClassDef)]
    functions = FunctionCollector(scope)
    functions.module(statements)
    urls = UrlCollector(scope)
    urls.module(statements)
    app_label = None
    for cls in classes:
        if any(b.endswith("AppConfig") for b in cls.bases):
            app_label = dict(cls.attrs).get("label", app_label)
    return ModuleFacts(
        module=module,
        path=path,
        is_package=is_package,
        lines=source.count(b"\n") + (0 if source.endswith(b"\n") or not source else 1),
        imports=tuple(imports),
        aliases=aliases,
        classes=tuple(classes),
        functions=tuple(functions.functions),
        urlpatterns=urls.urlpatterns,
        registrations=tuple(urls.registrations),
        signals=tuple(signals),
        receivers=tuple(functions.receivers),
        sends=tuple(functions.sends),
        settings=settings,
        app_label=app_label,
    )


def _installed_apps(stmt: ast.stmt) -> list[str]:
    """``INSTALLED_APPS = [...]`` / ``+= [...]`` / ``= [...] + [...]``: the literal entries."""
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target, value = stmt.targets[0], stmt.value
    elif isinstance(stmt, ast.AugAssign):
        target, value = stmt.target, stmt.value
    else:
        return []
    if not (isinstance(target, ast.Name) and target.id == "INSTALLED_APPS"):
        return []
    found: list[str] = []
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.BinOp):
            stack.extend([node.right, node.left])
        elif isinstance(node, ast.List | ast.Tuple):
            found.extend(t for t in (literal_str(e) for e in node.elts) if t)
    return found
