"""The project's symbol table: dotted names across modules, apps and models.

Collectors saw one file each; here every module's facts are put together to answer
what a dotted reference really names (following re-exports), which classes are Django
models, and what each model's ``app_label.Model`` label is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from analysis.collect.scope import (
    DYNAMIC_PREFIX,
    LABEL_PREFIX,
    STAR_PREFIX,
    USER_MODEL,
    label_alias,
)
from analysis.facts import ClassFact, Field, FunctionFact, ModuleFacts, Ref

BOUND = (LABEL_PREFIX, DYNAMIC_PREFIX)  # aliases bound to a model label
MODEL_ROOTS = frozenset({"django.db.models.Model", "django.db.models.base.Model"})
CONCRETE_EXTERNAL = frozenset({"auth.User", "auth.Group", "auth.Permission"})
EXTERNAL_MODELS = frozenset(
    {"AbstractUser", "AbstractBaseUser", "PermissionsMixin", "User", "Group", "Permission"}
)


@dataclass(frozen=True, slots=True)
class Model:
    label: str
    cls: ClassFact | None  # None: a model outside the analyzed tree (auth.User)
    module: str | None

    def abstract(self) -> bool:
        return self.cls is not None and self.cls.abstract


class Symbols:
    def __init__(self, all_facts: Iterable[ModuleFacts]) -> None:
        self.modules: dict[str, ModuleFacts] = {f.module: f for f in all_facts}
        self.classes: dict[str, ClassFact] = {}
        self.functions: dict[str, FunctionFact] = {}
        self.class_module: dict[str, str] = {}
        for facts in self.modules.values():
            for cls in facts.classes:
                self.classes[cls.name] = cls
                self.class_module[cls.name] = facts.module
            for fn in facts.functions:
                self.functions[f"{facts.module}.{fn.name}"] = fn
        self.tops = {m.split(".")[0] for m in self.modules}
        self.apps = self._apps()
        self._resolved: dict[str, str] = {}
        self._is_model: dict[str, bool] = {}
        settings = sorted(
            f.settings["AUTH_USER_MODEL"]
            for f in self.modules.values()
            if f.settings.get("AUTH_USER_MODEL")
        )
        self.user_model = settings[0] if settings else "auth.User"
        self.models: dict[str, Model] = {}  # label -> model
        self.model_of_class: dict[str, str] = {}  # dotted class -> label
        for name, cls in self.classes.items():
            if self.is_model(name):
                label = self.class_label(cls)
                self.models.setdefault(label, Model(label, cls, self.class_module[name]))
                self.model_of_class[name] = label
        self._lower = {label.lower(): label for label in self.models}

    # -- names -------------------------------------------------------------------------
    def module_of(self, dotted: str) -> str | None:
        """The longest prefix of ``dotted`` that is a module of the project."""
        name = dotted
        while name:
            if name in self.modules:
                return name
            if "." not in name:
                return None
            name = name.rsplit(".", 1)[0]
        return None

    def resolve(self, dotted: str) -> str:
        """Follow re-exports: ``shop.catalog.Product`` -> ``shop.catalog.models.Product``."""
        cached = self._resolved.get(dotted)
        if cached is None:
            cached = self._resolve(dotted, 0)
            self._resolved[dotted] = cached
        return cached

    def known(self, dotted: str) -> bool:
        return (
            dotted in self.classes
            or dotted in self.modules
            or dotted in self.functions
            or dotted.startswith(BOUND)
        )

    def _resolve(self, dotted: str, depth: int) -> str:
        if self.known(dotted) or depth > 12:
            return dotted
        if dotted.startswith(STAR_PREFIX):  # "*:mod1|mod2:Name.rest": try each star module
            modules, _, rest = dotted[len(STAR_PREFIX) :].partition(":")
            return self._first_known([f"{m}.{rest}" for m in modules.split("|")], depth)
        module = self.module_of(dotted)
        if module is None:
            return dotted
        head, _, tail = dotted[len(module) + 1 :].partition(".")
        facts = self.modules[module]
        alias = facts.aliases.get(head)
        if alias is None:
            stars = [i.module for i in facts.imports if i.name == "*"]
            if not stars:
                return dotted
            suffix = f"{head}.{tail}" if tail else head
            return self._first_known([f"{m}.{suffix}" for m in stars], depth, dotted)
        if alias == f"{module}.{head}":
            return dotted
        if alias.startswith(BOUND):
            return alias
        return self._resolve(f"{alias}.{tail}" if tail else alias, depth + 1)

    def _first_known(self, candidates: list[str], depth: int, default: str = "") -> str:
        if depth > 4:  # star imports of star imports: deep enough, and cycles end here
            return default or candidates[0]
        resolved = [self._resolve(c, depth + 1) for c in candidates]
        return next((r for r in resolved if self.known(r)), default or resolved[0])

    # -- apps and models ---------------------------------------------------------------
    def _apps(self) -> dict[str, str]:
        """App package -> app label (apps.py ``label = ...``, else its last component).

        The apps are the project's packages listed in INSTALLED_APPS where settings list
        them, else every package with a models or apps module."""
        apps: dict[str, str] = {}
        for entry in self._installed():
            package = entry if entry in self.modules else self.module_of(entry)
            if package is not None and package.rsplit(".", 1)[-1] == "apps" and entry != package:
                package = package.rpartition(".")[0]  # "shop.catalog.apps.CatalogConfig"
            if package:
                apps.setdefault(package, package.rsplit(".", 1)[-1])
        if apps:
            for name, facts in self.modules.items():
                package = name.rpartition(".")[0]
                if facts.app_label and package in apps:
                    apps[package] = facts.app_label
            return apps
        for name in self.modules:
            package, _, last = name.rpartition(".")
            if package and last in ("models", "apps") and not package.endswith(".models"):
                apps.setdefault(package, package.rsplit(".", 1)[-1])
        for name, facts in self.modules.items():
            package = name.rpartition(".")[0]
            if facts.app_label and package in apps:
                apps[package] = facts.app_label
        return apps

    def _installed(self) -> list[str]:
        entries: list[str] = []
        for facts in self.modules.values():
            entries.extend(e for e in facts.settings.get("INSTALLED_APPS", "").split(",") if e)
        return entries

    def app_of(self, module: str) -> str | None:
        """The label of the innermost app package enclosing ``module``."""
        name = module
        while name:
            if name in self.apps:
                return self.apps[name]
            name = name.rpartition(".")[0]
        return None

    @cached_property
    def wiring(self) -> frozenset[str]:
        """The project's wiring, outside any app: settings modules (those assigning
        ROOT_URLCONF or INSTALLED_APPS, and their ``settings`` package), the root urlconf,
        the project package holding them, and wsgi/asgi/manage entry points."""
        found: set[str] = set()
        for name, facts in self.modules.items():
            if not {"ROOT_URLCONF", "INSTALLED_APPS"} & facts.settings.keys():
                continue
            found.add(name)
            package = name.rpartition(".")[0]
            if package.rpartition(".")[2] == "settings":  # project/settings/base.py
                found.update(m for m in self.modules if m.startswith(f"{package}."))
                found.add(package)
                package = package.rpartition(".")[0]
            found.add(package)
            urlconf = facts.settings.get("ROOT_URLCONF")
            if urlconf:
                found.add(urlconf)
        for name in self.modules:
            if {"wsgi", "asgi", "manage"} & set(name.split(".")):
                found.add(name)
        return frozenset(m for m in found if m in self.modules and self.app_of(m) is None)

    def is_model(self, dotted: str) -> bool:
        name = self.resolve(dotted)
        known = self._is_model.get(name)
        if known is not None:
            return known
        self._is_model[name] = False  # cycle guard
        cls = self.classes.get(name)
        if cls is None:
            result = _model_base_by_name(name) and name.split(".")[0] not in self.tops
        else:
            result = cls.model_fields or any(self.is_model(base) for base in cls.bases)
        self._is_model[name] = result
        return result

    def _outside_model(self, name: str) -> bool:
        """A model outside the tree: a known one (auth.User), or a class of some
        package's ``models`` module (django.contrib.sites.models.Site)."""
        if name.startswith("django.db.") or name.split(".")[0] in self.tops:
            return False  # django.db.models.Q, F, Model... are no models
        return self.is_model(name) or ".models." in name

    def class_label(self, cls: ClassFact) -> str:
        module = self.class_module[cls.name]
        app = cls.app_label or self.app_of(module)
        if app is None:  # outside any app: name it after the package holding "models"
            parts = module.split(".")
            at = parts.index("models") if "models" in parts[1:] else len(parts)
            app = parts[at - 1]
        return f"{app}.{cls.name.rsplit('.', 1)[-1]}"

    def label_of(self, ref: Ref, context: str | None = None) -> str | None:
        """The model label a class or label reference names; ``context`` is the label
        of the model the reference appears in (for "self" and same-app names)."""
        if ref.kind == "class":
            name = self.resolve(ref.target)
            bound = label_alias(name)
            if bound is not None:
                return self.label_of(bound, context)
            label = self.model_of_class.get(name)
            if label is not None:
                return label
            if name.endswith(".through"):  # Warehouse.channels.through: the M2M's table
                return self.label_of(Ref("class", name.rsplit(".", 2)[0]), context)
            cls = self.classes.get(name)
            if cls is not None and cls.queryset and cls.queryset != name:  # serializer, form
                return self.model_of_class.get(self.resolve(cls.queryset))
            if cls is None and self._outside_model(name):
                parts = name.split(".")
                app = parts[-3] if len(parts) >= 3 and parts[-2] == "models" else parts[0]
                return f"{app}.{parts[-1]}"
            return None
        text = ref.target
        if text == USER_MODEL:
            text = self.user_model
        if text == "self":
            return context
        if "." not in text:
            if context is None:
                return None
            text = f"{context.split('.')[0]}.{text}"
        return self._lower.get(text.lower(), text)

    def is_concrete(self, label: str) -> bool:
        """A model with a table: the project's non-abstract ones, and Django's own
        concrete auth models (other external bases such as AbstractUser are abstract)."""
        model = self.models.get(label)
        if model is not None:
            return not model.abstract()
        return label in CONCRETE_EXTERNAL

    def related(self, ref: Ref) -> str | None:
        """``order.lines`` -> the model behind the related manager or relation field."""
        owner = self.label_of(Ref("class", ref.target))
        return self.accessors.get((owner, ref.attr)) if owner else None

    @cached_property
    def accessors(self) -> dict[tuple[str, str], str]:
        """(model, attribute) -> related model, for forward fields and reverse managers."""
        table: dict[tuple[str, str], str] = {}
        for label, model in self.models.items():
            for field in self.fields(model):
                target = self.label_of(field.to, label)
                if not target:
                    continue
                table[(label, field.name)] = target  # forward: line.order
                reverse = field.related_name or _default_accessor(label, field.relation)
                if "+" not in reverse:
                    table.setdefault((target, reverse), label)  # reverse: order.lines
        return table

    def ancestors(self, name: str) -> list[ClassFact]:
        """The project's classes a class derives from, nearest first (itself included)."""
        seen: list[ClassFact] = []
        queue = [self.resolve(name)]
        while queue:
            cls = self.classes.get(queue.pop(0))
            if cls is None or cls in seen:
                continue
            seen.append(cls)
            queue.extend(self.resolve(base) for base in cls.bases)
        return seen

    def fields(self, model: Model) -> list[Field]:
        """The model's relation fields, its abstract parents' included."""
        if model.cls is None:
            return []
        found = list(model.cls.fields)
        seen = {model.cls.name}
        queue = [self.resolve(b) for b in model.cls.bases]
        while queue:  # through abstract parents and mixins, not into concrete parents
            cls = self.classes.get(queue.pop(0))
            if cls is None or cls.name in seen:
                continue
            seen.add(cls.name)
            if cls.name in self.model_of_class and not cls.abstract:
                continue  # a concrete parent keeps its fields in its own table
            found.extend(cls.fields)
            queue.extend(self.resolve(b) for b in cls.bases)
        return found


def _model_base_by_name(name: str) -> bool:
    """Whether a base class outside the tree makes a model: django's Model, the auth
    bases (AbstractUser...), and ``<pkg>.models.<Something>Model`` (mptt's MPTTModel)."""
    if name in MODEL_ROOTS:
        return True
    parts = name.split(".")
    if len(parts) < 2:
        return False
    if parts[-1] in EXTERNAL_MODELS and "auth" in parts:
        return True
    return "models" in parts[:-1] and parts[-1].endswith("Model")


def _default_accessor(label: str, relation: str) -> str:
    """Django's reverse accessor: ``orderline_set``, or ``profile`` for a one-to-one."""
    name = label.rsplit(".", 1)[-1].lower()
    return name if relation == "o2o" else f"{name}_set"
