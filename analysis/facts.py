"""Facts: what the collectors read out of one source file.

Every fact is a frozen, plain value that depends only on the file's text, its dotted
module name and its path, so facts are cached by content hash and computed in worker
processes. Names in facts are *dotted references as written in that module*, already run
through the module's own imports (``models.ForeignKey`` -> ``django.db.models.ForeignKey``,
``Product`` defined here -> ``shop.catalog.models.Product``); resolving them across
modules (re-exports, which class is a model, app labels) is the graph builder's job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Access = Literal["read", "write"]


class Fact:
    """Base of every fact: sent from worker processes as its constructor call, about twice
    as fast to load as the state that slotted dataclasses send by default. (The cache
    stores facts as checked JSON, never like this: see ``analysis.codec``.)"""

    __slots__: tuple[str, ...] = ()  # a dataclass(slots=True) lists its fields here, in order

    def __reduce__(self) -> tuple[type, tuple[object, ...]]:
        return type(self), tuple(getattr(self, name) for name in type(self).__slots__)


RefKind = Literal["class", "label", "related", "dynamic"]


@dataclass(frozen=True, slots=True)
class Import(Fact):
    """``import module`` (name None) or ``from module import name`` (name "*" for a star
    import), made absolute."""

    module: str
    name: str | None
    line: int
    conditional: bool = False  # under if/try/TYPE_CHECKING
    function_level: bool = False  # inside a def


@dataclass(frozen=True, slots=True)
class Ref(Fact):
    """A reference to a model that the builder resolves to an ``app_label.Model``.

    Dotted names here and elsewhere may start with ``*:mod1|mod2:`` when the name is not
    bound in the module but may come from its star imports (``from mod1 import *``).

    kind "class": ``target`` is a dotted class name (``shop.catalog.models.Product``);
    kind "label": ``target`` is ``app_label.Model``, ``Model`` (same app) or ``self``;
    kind "dynamic": ``target`` is ``app_label.Model`` loaded by name at run time
    (``apps.get_model("app_label", "Model")`` with literal arguments);
    kind "related": ``target`` is a dotted class name and ``attr`` a related manager or
    field on its instances (``order.lines`` -> target Order, attr "lines").
    """

    kind: RefKind
    target: str
    attr: str = ""


@dataclass(frozen=True, slots=True)
class Field(Fact):
    """A relation field declared in a class body: ``customer = models.ForeignKey(...)``."""

    name: str
    relation: Literal["fk", "o2o", "m2m"]
    to: Ref
    related_name: str | None
    line: int


@dataclass(frozen=True, slots=True)
class Action(Fact):
    """A DRF ``@action`` on a viewset method."""

    name: str
    detail: bool
    methods: tuple[str, ...]
    url_path: str
    url_name: str


@dataclass(frozen=True, slots=True)
class ClassFact(Fact):
    name: str  # dotted: module.Class
    line: int
    bases: tuple[str, ...]  # dotted references
    methods: tuple[str, ...]  # names of functions defined in the body
    fields: tuple[Field, ...] = ()
    abstract: bool = False  # class Meta: abstract = True
    proxy: bool = False  # class Meta: proxy = True
    app_label: str | None = None  # class Meta: app_label = "..."
    actions: tuple[Action, ...] = ()
    attrs: tuple[tuple[str, str], ...] = ()  # string class attributes (lookup_field, label...)
    queryset: str | None = None  # dotted root of ``queryset = X.objects...`` / ``model = X``
    serializer: str | None = None  # dotted ``serializer_class = X`` (a DRF view)
    model_fields: bool = False  # declares django.db.models fields: a model, whatever its bases


@dataclass(frozen=True, slots=True)
class OrmUse(Fact):
    target: Ref
    access: Access
    line: int


@dataclass(frozen=True, slots=True)
class Call(Fact):
    """A call to a dotted name (a function in this module or an imported one)."""

    callee: str
    line: int


@dataclass(frozen=True, slots=True)
class Atomic(Fact):
    """A ``transaction.atomic`` block: a decorated function or a ``with`` body."""

    line: int
    end_line: int


@dataclass(frozen=True, slots=True)
class FunctionFact(Fact):
    """A function, method or class body (name is its qualified name in the module)."""

    name: str
    line: int
    end_line: int
    uses: tuple[OrmUse, ...] = ()
    calls: tuple[Call, ...] = ()
    atomic: tuple[Atomic, ...] = ()
    http_methods: tuple[str, ...] | None = None  # @api_view([...]) / @require_http_methods


@dataclass(frozen=True, slots=True)
class Receiver(Fact):
    """``@receiver(signal, sender=X)`` or ``signal.connect(fn, sender=X)``."""

    signal: str  # dotted reference of the signal object
    sender: Ref | None
    function: str  # dotted reference of the receiver function
    line: int


@dataclass(frozen=True, slots=True)
class Send(Fact):
    """``signal.send(...)`` / ``signal.send_robust(...)``."""

    signal: str
    line: int
    function: str


@dataclass(frozen=True, slots=True)
class Route(Fact):
    """One entry of a ``urlpatterns`` list.

    kind "view": ``pattern`` leads to ``view`` (a dotted callable; ``as_view({...})``
    mappings give ``methods``); kind "include": to the urlconf module ``target`` or to the
    inline ``children``; kind "router": to the DRF router object named ``target``.
    """

    kind: Literal["view", "include", "router"]
    pattern: str
    regex: bool
    line: int
    target: str = ""
    name: str | None = None
    methods: tuple[str, ...] | None = None
    children: tuple[Route, ...] = ()


@dataclass(frozen=True, slots=True)
class Registration(Fact):
    """``router.register(prefix, ViewSet, basename=...)``; router is a dotted name."""

    router: str
    prefix: str
    viewset: str
    basename: str | None
    line: int


@dataclass(frozen=True, slots=True)
class ModuleFacts(Fact):
    module: str
    path: str  # relative to the analyzed root, posix
    is_package: bool
    lines: int
    imports: tuple[Import, ...] = ()
    aliases: dict[str, str] = field(default_factory=dict)  # local name -> dotted
    classes: tuple[ClassFact, ...] = ()
    functions: tuple[FunctionFact, ...] = ()
    urlpatterns: tuple[Route, ...] | None = None  # None: this module defines none
    registrations: tuple[Registration, ...] = ()
    signals: tuple[str, ...] = ()  # dotted names of module-level Signal() objects
    receivers: tuple[Receiver, ...] = ()
    sends: tuple[Send, ...] = ()
    # ROOT_URLCONF, AUTH_USER_MODEL, INSTALLED_APPS (its literal entries joined by commas)
    settings: dict[str, str] = field(default_factory=dict)
    app_label: str | None = None  # an AppConfig's ``label = "..."`` in this module


@dataclass(frozen=True, slots=True)
class BrokenFile(Fact):
    """A file the analyzer could not read; it is reported and skipped."""

    path: str
    reason: str
    line: int | None = None  # where the parser stopped, when it says
