"""Imports: absolute, relative, from-imports; conditional and function-level ones."""

from __future__ import annotations

import ast

from analysis.facts import Import


def absolute(module: str, is_package: bool, level: int, target: str | None) -> str:
    """Resolve ``from ..x import y`` (level 2, target "x") inside ``module``."""
    if level == 0:
        return target or ""
    parts = module.split(".")
    if not is_package:
        parts = parts[:-1]
    if level > 1:
        parts = parts[: len(parts) - (level - 1)]
    base = ".".join(parts)
    if target:
        return f"{base}.{target}" if base else target
    return base


def collect_imports(
    tree: ast.Module, module: str, is_package: bool
) -> tuple[list[Import], dict[str, str]]:
    """Every import statement of the module, and the names they bind."""
    imports: list[Import] = []
    aliases: dict[str, str] = {}

    def visit(body: list[ast.stmt], conditional: bool, function_level: bool) -> None:
        for stmt in body:
            if type(stmt) in _NO_IMPORTS:  # most statements: skip the checks below
                continue
            if isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    imports.append(
                        Import(alias.name, None, stmt.lineno, conditional, function_level)
                    )
                    if alias.asname:
                        aliases.setdefault(alias.asname, alias.name)
                    else:
                        top = alias.name.split(".")[0]
                        aliases.setdefault(top, top)
            elif isinstance(stmt, ast.ImportFrom):
                base = absolute(module, is_package, stmt.level, stmt.module)
                for alias in stmt.names:
                    name = alias.name
                    imports.append(Import(base, name, stmt.lineno, conditional, function_level))
                    if name != "*":
                        aliases.setdefault(alias.asname or name, f"{base}.{name}")
            elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                visit(stmt.body, conditional, True)
            elif isinstance(stmt, ast.ClassDef):
                visit(stmt.body, conditional, function_level)
            elif isinstance(stmt, ast.If | ast.Try | ast.TryStar):
                for block in _blocks(stmt):
                    visit(block, True, function_level)
            elif isinstance(stmt, ast.With | ast.AsyncWith | ast.For | ast.AsyncFor | ast.While):
                visit(stmt.body, conditional, function_level)
                visit(getattr(stmt, "orelse", []), conditional, function_level)
            elif isinstance(stmt, ast.Match):
                for case in stmt.cases:
                    visit(case.body, True, function_level)

    visit(tree.body, False, False)
    return imports, aliases


# Statements that never hold an import statement (expressions, assignments, returns...).
_NO_IMPORTS = frozenset(
    {ast.Expr, ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Return, ast.Pass, ast.Raise}
    | {ast.Delete, ast.Assert, ast.Global, ast.Nonlocal, ast.Break, ast.Continue}
)


def _blocks(stmt: ast.If | ast.Try | ast.TryStar) -> list[list[ast.stmt]]:
    if isinstance(stmt, ast.If):
        return [stmt.body, stmt.orelse]
    return [stmt.body, *(h.body for h in stmt.handlers), stmt.orelse, stmt.finalbody]
