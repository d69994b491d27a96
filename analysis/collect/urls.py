"""URL configuration: ``urlpatterns`` entries and DRF router registrations."""

from __future__ import annotations

import ast

from analysis.collect.scope import Scope, attr_chain, keyword, literal_str
from analysis.facts import Registration, Route

ROUTE_FUNCTIONS = {"path": False, "re_path": True, "url": True}


class UrlCollector:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.lists: dict[str, list[Route]] = {}
        self.registrations: list[Registration] = []
        self.views: dict[str, ast.Call] = {}  # cart_item = CartItemView.as_view({...})
        self.defined = False

    def module(self, statements: list[ast.stmt]) -> None:
        for stmt in statements:
            if isinstance(stmt, ast.Assign):
                for target in stmt.targets:
                    if isinstance(target, ast.Name):
                        self._assign(target.id, stmt.value, extend=False)
            elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name):
                self._assign(stmt.target.id, stmt.value, extend=True)
            elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
                self._statement_call(stmt.value)

    @property
    def urlpatterns(self) -> tuple[Route, ...] | None:
        if not self.defined:
            return None
        return tuple(self.lists.get("urlpatterns", []))

    def _assign(self, name: str, value: ast.expr, extend: bool) -> None:
        if isinstance(value, ast.Call) and not extend:
            self.views[name] = value
        routes = self._routes(value)
        if routes is None:
            return
        if name == "urlpatterns":
            self.defined = True
        if extend:
            self.lists.setdefault(name, []).extend(routes)
        else:
            self.lists[name] = routes

    def _statement_call(self, call: ast.Call) -> None:
        parts = attr_chain(call.func)
        if not parts or len(parts) < 2:
            return
        if parts[-1] == "register" and len(call.args) >= 2:
            prefix = literal_str(call.args[0])
            viewset = self.scope.dotted(call.args[1])
            router = self.scope.dotted(call.func)
            if prefix is not None and viewset and router:
                basename = literal_str(keyword(call, "basename") or keyword(call, "base_name"))
                self.registrations.append(
                    Registration(router.rsplit(".", 1)[0], prefix, viewset, basename, call.lineno)
                )
        elif parts[0] in self.lists and parts[-1] in ("append", "extend") and call.args:
            value = call.args[0]
            routes = self._routes(ast.List([value]) if parts[-1] == "append" else value)
            if routes is not None:
                self.lists[parts[0]].extend(routes)

    def _routes(self, value: ast.expr) -> list[Route] | None:
        """The routes of a list expression, or None if it is not a URL list."""
        if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add):
            left, right = self._routes(value.left), self._routes(value.right)
            if left is None and right is None:
                return None
            return [*(left or []), *(right or [])]
        if isinstance(value, ast.Name) and value.id in self.lists:
            return list(self.lists[value.id])
        router = self._router(value)
        if router:
            return [Route("router", "", False, value.lineno, target=router)]
        if not isinstance(value, ast.List | ast.Tuple):
            return None
        routes: list[Route] = []
        is_url_list = not value.elts
        for element in value.elts:
            if isinstance(element, ast.Starred):
                element = element.value
            route = self._route(element)
            if route is not None:
                routes.append(route)
                is_url_list = True
            elif (nested := self._routes(element)) is not None:
                routes.extend(nested)
                is_url_list = True
        return routes if is_url_list else None

    def _router(self, value: ast.expr) -> str | None:
        """``router.urls`` -> the router's dotted name."""
        parts = attr_chain(value)
        if parts and len(parts) >= 2 and parts[-1] == "urls":
            dotted = self.scope.dotted(value)
            return dotted.rsplit(".", 1)[0] if dotted else None
        return None

    def _route(self, node: ast.expr) -> Route | None:
        if not isinstance(node, ast.Call):
            return None
        parts = attr_chain(node.func)
        if not parts or parts[-1] not in ROUTE_FUNCTIONS or not node.args:
            return None
        pattern = _pattern(node.args[0])
        if len(node.args) < 2 and keyword(node, "view") is None:
            return None
        regex = ROUTE_FUNCTIONS[parts[-1]]
        view = node.args[1] if len(node.args) > 1 else keyword(node, "view")
        assert view is not None
        name = literal_str(keyword(node, "name"))
        return self._target(view, pattern, regex, name, node.lineno)

    def _target(
        self, view: ast.expr, pattern: str, regex: bool, name: str | None, line: int
    ) -> Route | None:
        if isinstance(view, ast.Call):
            parts = attr_chain(view.func) or []
            if parts and parts[-1] == "include" and view.args:
                return self._include(view.args[0], pattern, regex, line)
            if parts and parts[-1] == "as_view":
                target = self.scope.dotted(view.func)
                if target is None:
                    return None
                mapping = view.args[0] if view.args else None
                methods = None
                if isinstance(mapping, ast.Dict):
                    keys = [literal_str(k) for k in mapping.keys if k is not None]
                    methods = tuple(sorted({k.upper() for k in keys if k}))
                return Route("view", pattern, regex, line, target.rsplit(".", 1)[0], name, methods)
            if view.args:  # login_required(view), csrf_exempt(View.as_view())
                return self._target(view.args[0], pattern, regex, name, line)
            return None
        if isinstance(view, ast.Name) and view.id in self.views:
            call = self.views.pop(view.id)  # popped while in use: no endless recursion
            try:
                return self._target(call, pattern, regex, name, line)
            finally:
                self.views[view.id] = call
        target = self.scope.dotted(view)
        if target is None:
            return None
        return Route("view", pattern, regex, line, target, name)

    def _include(self, arg: ast.expr, pattern: str, regex: bool, line: int) -> Route | None:
        if isinstance(arg, ast.Tuple) and arg.elts:
            arg = arg.elts[0]  # include((patterns, app_name))
        text = literal_str(arg)
        if text is not None:
            return Route("include", pattern, regex, line, target=text)
        router = self._router(arg)
        if router:
            return Route("router", pattern, regex, line, target=router)
        children = self._routes(arg)
        if children is not None:
            return Route("include", pattern, regex, line, children=tuple(children))
        target = self.scope.dotted(arg)
        if target is None:
            return None
        if target.endswith(".urlpatterns"):
            target = target.rsplit(".", 1)[0]
        return Route("include", pattern, regex, line, target=target)


def _pattern(node: ast.expr) -> str:
    """The literal pattern; ``_("path/")`` is gettext; any other expression (such as
    ``settings.BASE_PATH``) is taken to be the empty prefix."""
    text = literal_str(node)
    if text is None and isinstance(node, ast.Call) and node.args:
        text = literal_str(node.args[0])
    return text or ""
