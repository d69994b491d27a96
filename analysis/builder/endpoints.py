"""Endpoints: walk the URL configuration from the root urlconf down to every view.

Django ``path()`` and ``re_path()`` patterns become proxy templates (``/api/items/{pk:int}/``),
``include()`` nests prefixes, DRF routers expand each registered viewset into its list
and detail routes and its ``@action`` routes, with the HTTP methods the view answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from analysis.builder.symbols import Symbols
from analysis.facts import ClassFact, Route

ALL_METHODS = ("DELETE", "GET", "PATCH", "POST", "PUT")
HANDLERS = {"get": "GET", "post": "POST", "put": "PUT", "patch": "PATCH", "delete": "DELETE"}
# Actions of DRF viewsets and the mixins/bases that provide them.
LIST_ACTIONS = {"list": "GET", "create": "POST"}
DETAIL_ACTIONS = {
    "retrieve": "GET",
    "update": "PUT",
    "partial_update": "PATCH",
    "destroy": "DELETE",
}
MIXIN_ACTIONS = {
    "ListModelMixin": ("list",),
    "CreateModelMixin": ("create",),
    "RetrieveModelMixin": ("retrieve",),
    "UpdateModelMixin": ("update", "partial_update"),
    "DestroyModelMixin": ("destroy",),
    "ReadOnlyModelViewSet": ("list", "retrieve"),
    "ModelViewSet": ("list", "create", "retrieve", "update", "partial_update", "destroy"),
}
# Generic class-based views (DRF and Django) and the methods they answer.
GENERIC_METHODS = {
    "ListAPIView": ("GET",),
    "CreateAPIView": ("POST",),
    "ListCreateAPIView": ("GET", "POST"),
    "RetrieveAPIView": ("GET",),
    "UpdateAPIView": ("PATCH", "PUT"),
    "DestroyAPIView": ("DELETE",),
    "RetrieveUpdateAPIView": ("GET", "PATCH", "PUT"),
    "RetrieveDestroyAPIView": ("DELETE", "GET"),
    "RetrieveUpdateDestroyAPIView": ("DELETE", "GET", "PATCH", "PUT"),
    "TemplateView": ("GET",),
    "ListView": ("GET",),
    "DetailView": ("GET",),
    "FormView": ("GET", "POST"),
    "CreateView": ("GET", "POST"),
    "UpdateView": ("GET", "POST"),
    "DeleteView": ("GET", "POST"),
    "RedirectView": ALL_METHODS,
}


@dataclass(frozen=True, slots=True)
class Endpoint:
    pattern: str
    methods: tuple[str, ...]
    view: str  # dotted view callable; ``ViewSet.action`` for DRF actions
    name: str | None
    module: str | None  # the project module holding the view, if it is one
    site: str


def endpoints(symbols: Symbols) -> list[Endpoint]:
    """Every endpoint reachable from the root urlconf(s), in URL order."""
    found: list[Endpoint] = []
    for root in _roots(symbols):
        _walk(symbols, root, symbols.modules[root].urlpatterns or (), "", found, [root])
    return found


def _roots(symbols: Symbols) -> list[str]:
    configured = sorted(
        {
            f.settings["ROOT_URLCONF"]
            for f in symbols.modules.values()
            if "ROOT_URLCONF" in f.settings
        }
    )
    roots = [m for m in configured if symbols.modules.get(m) and symbols.modules[m].urlpatterns]
    if roots:
        return roots
    included: set[str] = set()
    for facts in symbols.modules.values():
        stack = list(facts.urlpatterns or ())
        while stack:
            route = stack.pop()
            stack.extend(route.children)
            if route.kind == "include" and route.target:
                included.add(symbols.resolve(route.target))
    return sorted(
        name
        for name, facts in symbols.modules.items()
        if facts.urlpatterns is not None and name not in included
    )


def _walk(
    symbols: Symbols,
    module: str,
    routes: tuple[Route, ...],
    prefix: str,
    found: list[Endpoint],
    stack: list[str],
) -> None:
    path = symbols.modules[module].path
    for route in routes:
        pattern = prefix + template(route.pattern, route.regex)
        site = f"{path}:{route.line}"
        if route.kind == "view":
            found.extend(_views(symbols, route, pattern, site))
        elif route.kind == "router":
            found.extend(_router(symbols, symbols.resolve(route.target), pattern))
        elif route.children:
            _walk(symbols, module, route.children, pattern, found, stack)
        else:
            target = symbols.resolve(route.target)
            facts = symbols.modules.get(target)
            if facts is not None and facts.urlpatterns is not None and target not in stack:
                _walk(symbols, target, facts.urlpatterns, pattern, found, [*stack, target])


def _views(symbols: Symbols, route: Route, pattern: str, site: str) -> list[Endpoint]:
    view = symbols.resolve(route.target)
    module = symbols.module_of(view)
    cls = symbols.classes.get(view)
    if route.methods is not None:
        methods = route.methods
    elif cls is not None:
        methods = class_methods(symbols, cls)
    else:
        function = symbols.functions.get(view)
        methods = function.http_methods if function and function.http_methods else ALL_METHODS
    return [Endpoint(_clean(pattern), methods, view, route.name, module, site)]


def _router(symbols: Symbols, router: str, prefix: str) -> list[Endpoint]:
    found: list[Endpoint] = []
    for facts in symbols.modules.values():
        for reg in facts.registrations:
            if symbols.resolve(reg.router) != router:
                continue
            viewset = symbols.resolve(reg.viewset)
            base = f"{prefix}{reg.prefix.strip('/')}/" if reg.prefix.strip("/") else prefix
            site = f"{facts.path}:{reg.line}"
            found.extend(_viewset(symbols, viewset, _clean("/" + base), reg.basename, site))
    return found


def _viewset(
    symbols: Symbols, viewset: str, base: str, basename: str | None, site: str
) -> list[Endpoint]:
    module = symbols.module_of(viewset)
    ancestry = symbols.ancestors(viewset)
    actions = set(inherited_actions(symbols, viewset))
    attrs = {k: v for cls in reversed(ancestry) for k, v in cls.attrs}
    lookup = attrs.get("lookup_url_kwarg") or attrs.get("lookup_field") or "pk"
    lookup += _regex_type(attrs.get("lookup_value_regex", ""))  # "[0-9]+" -> {pk:int}
    if basename is None and ancestry and ancestry[0].queryset:
        basename = symbols.resolve(ancestry[0].queryset).rsplit(".", 1)[-1].lower()
    found: list[Endpoint] = []
    for suffix, table, kind in (
        ("", LIST_ACTIONS, "list"),
        (f"{{{lookup}}}/", DETAIL_ACTIONS, "detail"),
    ):
        methods = tuple(sorted({table[a] for a in actions if a in table}))
        if methods:
            name = f"{basename}-{kind}" if basename else None
            found.append(Endpoint(base + suffix, methods, viewset, name, module, site))
    seen: set[str] = set()
    for cls in ancestry:
        for action in cls.actions:
            if action.name in seen:
                continue
            seen.add(action.name)
            url_path = template(action.url_path, regex=True)  # url_path may be a regex
            path = f"{{{lookup}}}/{url_path}/" if action.detail else f"{url_path}/"
            name = f"{basename}-{action.url_name}" if basename else None
            view = f"{viewset}.{action.name}"
            found.append(Endpoint(_clean(base + path), action.methods, view, name, module, site))
    return found


WRITE_ACTIONS = frozenset({"create", "update", "partial_update", "destroy"})


def inherited_actions(symbols: Symbols, viewset: str) -> list[str]:
    """Viewset actions (list, create, ...) a class defines or gets from DRF mixins."""
    names: list[str] = []
    for cls in symbols.ancestors(viewset):
        names.extend(cls.methods)
        for base in cls.bases:
            names.extend(MIXIN_ACTIONS.get(symbols.resolve(base).rsplit(".", 1)[-1], ()))
    return names


def class_methods(symbols: Symbols, cls: ClassFact) -> tuple[str, ...]:
    """The HTTP methods a class-based view answers (by its handlers or generic bases)."""
    methods: set[str] = set()
    for ancestor in symbols.ancestors(cls.name):
        methods.update(HANDLERS[m] for m in ancestor.methods if m in HANDLERS)
        for base in ancestor.bases:
            methods.update(GENERIC_METHODS.get(symbols.resolve(base).rsplit(".", 1)[-1], ()))
        allowed = dict(ancestor.attrs).get("http_method_names")
        if allowed:
            methods &= {m.upper() for m in allowed.split(",")}
    return tuple(sorted(methods)) or ALL_METHODS


# -- patterns ----------------------------------------------------------------------------
PATH_PARAM = re.compile(r"<(?:(?P<conv>[^>:]+):)?(?P<name>[^>]+)>")
CONVERTERS = {"int": ":int", "slug": ":slug", "uuid": ":uuid", "path": ":path"}
NAMED_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>")


def template(pattern: str, regex: bool) -> str:
    """One Django pattern piece -> the proxy's template syntax (no leading slash)."""
    if not regex:
        return PATH_PARAM.sub(
            lambda m: f"{{{m['name']}{CONVERTERS.get(m['conv'] or '', '')}}}", pattern
        )
    text = pattern.removeprefix("^").removesuffix("$").removesuffix("\\Z")
    out: list[str] = []
    i, unnamed = 0, 0
    while i < len(text):
        char = text[i]
        if char == "(":
            end = _group_end(text, i)
            group = text[i:end]
            named = NAMED_GROUP.match(group)
            if named:
                body = group[named.end() : -1]
                out.append(f"{{{named['name']}{_regex_type(body)}}}")
            elif group.startswith("(?:"):
                out.append(template(group[3:-1], regex=True))
            else:
                out.append(f"{{arg{unnamed}{_regex_type(group[1:-1])}}}")
                unnamed += 1
            i = end
            if i < len(text) and text[i] in "?*+":
                i += 1
        elif char == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
        elif char in "?*+$^":
            i += 1
        else:
            out.append(char)
            i += 1
    return "".join(out)


def _group_end(text: str, start: int) -> int:
    depth, i = 0, start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        i += 1
        if depth == 0:
            break
    return i


def _regex_type(body: str) -> str:
    if re.fullmatch(r"(\\d|\[0-9\])[+*]|(\\d|\[0-9\])\{\d+(,\d*)?\}", body):
        return ":int"
    if "{8}" in body or "{12}" in body:
        return ":uuid"
    if body in (".+", ".*"):
        return ":path"
    if re.fullmatch(r"\[(-\\w|\\w-|-a-zA-Z0-9_|a-zA-Z0-9_-|\\w\\-|-\\w_?)\][+*]", body):
        return ":slug"
    return ""


def _clean(pattern: str) -> str:
    pattern = "/" + pattern.lstrip("/")
    return re.sub(r"/{2,}", "/", pattern)
