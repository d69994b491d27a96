"""What ``strangler up`` runs, as data (pure): one-shot preparation tasks and long-running services.

Set-up first (migrate, seed an empty database, analyze the monolith into ``var/report/``,
import its routes into ``var/flags.sqlite3``, make ``var/admin.token``), then the monolith
(127.0.0.1:8000) and the proxy in front of it (127.0.0.1:8080, admin API on 127.0.0.1:8081).
Each extracted service joins ``services`` with one :class:`ServiceSpec` entry.

>>> options = StackOptions.parse(monolith_port=8000, seed_size="tiny", var_dir="var")
>>> stack = default_stack(
...     options, python="python", manage_py=Path("/src/shop/manage.py"), strangler=("strangler",)
... )
>>> [task.name for task in stack.prepare], [s.name for s in stack.services]
(['migrate', 'seed', 'analyze', 'routes', 'admin-token'], ['monolith', 'proxy'])
>>> stack.services[1].url, stack.services[1].listeners[0].url
('http://127.0.0.1:8080', 'http://127.0.0.1:8081')
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from strangler_proxy.stack.monolith import gunicorn_argv, monolith_env

LOOPBACK = "127.0.0.1"

#: What ``strangler routes import`` prints when it made the flag store (``up`` repeats it).
CREATED_STORE = re.compile(r"^created flag store .+$", re.M)
#: Exit code of the "is the database empty?" probe when it is (0 means: has data already).
EMPTY_DATABASE = 3
#: Generic Django, so it knows nothing of the monolith's own models: seeded means it has users.
_HAS_USERS = (
    "import sys; from django.contrib.auth import get_user_model; "
    f"sys.exit(0 if get_user_model().objects.exists() else {EMPTY_DATABASE})"
)


#: ``manage.py seed_shop --size`` choices (legacy_monolith.common.seed_sizes.SIZES; the
#: toolkit never imports the monolith, so a test keeps the two equal)
SEED_SIZES = ("tiny", "small", "default", "large")


class StackSpecError(ValueError):
    """A bad ``strangler up`` option; ``option`` names it."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(f"{option}: {message}")
        self.option = option
        self.message = message


@dataclass(frozen=True)
class Task:
    """A command that runs to completion before the services start (migrate, seed)."""

    name: str
    argv: tuple[str, ...]
    #: Skip the task when this probe exits 0; run it when the probe exits ``run_on_probe_exit``.
    skip_probe: tuple[str, ...] | None = None
    run_on_probe_exit: int = EMPTY_DATABASE
    skip_reason: str = ""
    #: Show its output (progress, a summary) on the terminal instead of only in its log.
    echo: bool = False
    #: A failure is reported and the stack goes on without it (the analysis report).
    optional: bool = False
    #: Run ``fallback_argv`` instead when the task named ``fallback_after`` failed.
    fallback_after: str | None = None
    fallback_argv: tuple[str, ...] = ()
    #: What it does, for the progress display.
    title: str = ""
    #: Lines of its log shown on the terminal too (``routes``: the flag store it created).
    tell: re.Pattern[str] | None = None


@dataclass(frozen=True)
class Account:
    """A demo account a service comes with, shown when the stack is up."""

    who: str
    username: str
    password: str


@dataclass(frozen=True)
class Listener:
    """A further port a service serves (the proxy's admin API), healthy once ``health_path`` is."""

    name: str
    port: int
    health_path: str
    host: str = LOOPBACK
    #: the ``strangler up`` option that sets ``port`` (named when the port is taken)
    option: str = ""

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def health_url(self) -> str:
        return self.url + self.health_path


@dataclass(frozen=True)
class Bind:
    """An address a service listens on: who (``proxy``, ``proxy's admin API``), and the
    option that chose its port."""

    who: str
    host: str
    port: int
    option: str = ""


@dataclass(frozen=True)
class ServiceSpec:
    """A long-running process that is up once ``health_path`` (and its listeners') answer 200."""

    name: str
    argv: tuple[str, ...]
    port: int
    log_name: str
    host: str = LOOPBACK
    health_path: str = "/health/"
    start_timeout: float = 60.0
    notes: tuple[str, ...] = ()
    accounts: tuple[Account, ...] = ()
    listeners: tuple[Listener, ...] = ()
    #: With ``port`` 0: the line it prints once bound, whose ``port`` group says where
    #: (the supervisor then knows the service by that port).
    announces: re.Pattern[str] | None = None
    #: the ``strangler up`` option that sets ``port`` (named when the port is taken)
    option: str = ""

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def health_url(self) -> str:
        return self.url + self.health_path

    @property
    def binds(self) -> tuple[Bind, ...]:
        """Every address it listens on: checked free before anything starts."""
        return (
            Bind(self.name, self.host, self.port, self.option),
            *(Bind(f"{self.name}'s {x.name}", x.host, x.port, x.option) for x in self.listeners),
        )


@dataclass(frozen=True)
class StackSpec:
    var_dir: Path
    cwd: Path
    env: Mapping[str, str]
    prepare: tuple[Task, ...]
    services: tuple[ServiceSpec, ...]

    @property
    def log_dir(self) -> Path:
        return self.var_dir / "logs"

    @property
    def run_dir(self) -> Path:
        return self.var_dir / "run"

    def service(self, name: str) -> ServiceSpec | None:
        return next((s for s in self.services if s.name == name), None)


@dataclass(frozen=True)
class StackOptions:
    monolith_port: int = 8000
    seed_size: str = "default"
    var_dir: Path = field(default_factory=lambda: Path("var"))
    proxy_port: int = 8080
    admin_port: int = 8081

    @classmethod
    def parse(
        cls,
        *,
        monolith_port: int,
        seed_size: str,
        var_dir: str | Path,
        proxy_port: int = 8080,
        admin_port: int = 8081,
    ) -> StackOptions:
        ports = {
            "--monolith-port": monolith_port,
            "--proxy-port": proxy_port,
            "--admin-port": admin_port,
        }
        seen: dict[int, str] = {}
        for option, port in ports.items():
            if not 1 <= port <= 65535:
                raise StackSpecError(option, f"must be a TCP port 1-65535, got {port}")
            if port in seen:
                raise StackSpecError(option, f"port {port} is taken by {seen[port]} already")
            seen[port] = option
        if seed_size not in SEED_SIZES:
            raise StackSpecError(
                "--seed-size", f"expected one of {', '.join(SEED_SIZES)}, got {seed_size!r}"
            )
        path = Path(var_dir)
        if path.exists() and not path.is_dir():
            raise StackSpecError("--var-dir", f"{path} exists and is not a directory")
        _check_creatable(path)
        return cls(
            monolith_port=monolith_port,
            seed_size=seed_size,
            var_dir=path.resolve(),
            proxy_port=proxy_port,
            admin_port=admin_port,
        )

    @property
    def report_dir(self) -> Path:
        return self.var_dir / "report"

    @property
    def report_json(self) -> Path:
        return self.report_dir / "report.json"

    @property
    def store_url(self) -> str:
        """The flag store (routes, service registry) as ``strangler`` commands take it."""
        return f"sqlite:///{self.var_dir / 'flags.sqlite3'}"

    @property
    def token_file(self) -> Path:
        return self.var_dir / "admin.token"


def _check_creatable(path: Path) -> None:
    """``path`` is a folder, or one ``mkdir -p`` can make (its nearest existing parent is a
    writable folder): a var dir that cannot be made is named before any work starts."""
    found = path.absolute()
    while not found.exists() and found != found.parent:
        found = found.parent
    if found == path.absolute():
        return
    if not found.is_dir():
        raise StackSpecError("--var-dir", f"cannot create {path}: {found} is not a directory")
    if not os.access(found, os.W_OK | os.X_OK):
        raise StackSpecError("--var-dir", f"cannot create {path}: {found} is not writable")


def monolith_tasks(options: StackOptions, *, python: str, manage_py: Path) -> tuple[Task, ...]:
    """Migrate always (a new version may bring migrations); seed only an empty database."""
    manage = (python, str(manage_py))
    return (
        Task("migrate", (*manage, "migrate", "--noinput"), title="migrate the database"),
        Task(
            "seed",
            (*manage, "seed_shop", "--size", options.seed_size),
            skip_probe=(*manage, "shell", "-v", "0", "-c", _HAS_USERS),
            skip_reason="the database has data already",
            echo=True,
            title=f"seed the database ({options.seed_size})",
        ),
    )


def analysis_tasks(
    options: StackOptions, *, python: str, manage_py: Path, strangler: tuple[str, ...]
) -> tuple[Task, ...]:
    """The report, the route table imported from it (flags kept), and the admin token.

    The analysis is optional: when it fails the routes come from the source instead.
    """
    source = str(manage_py.parent)
    store = ("--store", options.store_url)
    return (
        Task(
            "analyze",
            (*strangler, "analyze", source, "--out", str(options.report_dir)),
            optional=True,
            title="analyze the monolith statically",
        ),
        Task(
            "routes",
            (*strangler, "routes", "import", "--from", str(options.report_json), *store),
            fallback_after="analyze",
            fallback_argv=(*strangler, "routes", "import", "--source", source, *store),
            title="import the route table",
            tell=CREATED_STORE,
        ),
        Task(
            "admin-token",
            (python, "-m", "strangler_proxy.stack.token", str(options.token_file)),
            title="admin API token",
        ),
    )


def monolith_service(options: StackOptions, *, python: str) -> ServiceSpec:
    """The monolith under gunicorn (gthread, 2 workers) on loopback."""
    return ServiceSpec(
        name="monolith",
        argv=(
            *gunicorn_argv(python, options.monolith_port, host=LOOPBACK),
            *("--access-logfile", "-", "--pid", str(options.var_dir / "run" / "monolith.pid")),
        ),
        port=options.monolith_port,
        option="--monolith-port",
        log_name="monolith.log",
        notes=("Django + DRF shop, gunicorn gthread x2",),
        accounts=(
            Account("customers", "customer0001, customer0002, ...", "shop-demo-pass"),
            Account("staff", "staff", "staff-demo-pass"),
        ),
    )


def proxy_service(options: StackOptions, *, strangler: tuple[str, ...]) -> ServiceSpec:
    """``strangler proxy run`` in front of the monolith, its admin API on its own port.

    Its health URL goes through it to the monolith's ``/health/`` (unmatched: the monolith).
    """
    return ServiceSpec(
        name="proxy",
        argv=(
            *(*strangler, "proxy", "run"),
            *("--listen", f"{LOOPBACK}:{options.proxy_port}"),
            *("--monolith", f"http://{LOOPBACK}:{options.monolith_port}"),
            *("--store", options.store_url, "--workers", "1"),
            *("--admin-listen", f"{LOOPBACK}:{options.admin_port}"),
            *("--admin-token-file", str(options.token_file)),
            *("--graceful-seconds", "5"),
            *("--access-log", str(options.var_dir / "logs" / "access.log")),
        ),
        port=options.proxy_port,
        option="--proxy-port",
        log_name="proxy.log",
        notes=(
            "the public entry: routes each endpoint by its flag (1 worker); "
            "X-Strangler-Served-By says who answered, logs/access.log each request",
        ),
        listeners=(Listener("admin API", options.admin_port, "/health", option="--admin-port"),),
    )


def default_stack(
    options: StackOptions, *, python: str, manage_py: Path, strangler: tuple[str, ...]
) -> StackSpec:
    """Everything ``strangler up`` runs; ``strangler`` is how to call the CLI itself.

    Extracted services join ``services`` (before the proxy, which routes to them).
    """
    return StackSpec(
        var_dir=options.var_dir,
        cwd=manage_py.parent.parent,
        env=MappingProxyType(monolith_env(options.var_dir)),
        prepare=(
            *monolith_tasks(options, python=python, manage_py=manage_py),
            *analysis_tasks(options, python=python, manage_py=manage_py, strangler=strangler),
        ),
        services=(
            monolith_service(options, python=python),
            proxy_service(options, strangler=strangler),
        ),
    )
