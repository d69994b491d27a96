"""What ``strangler up`` runs, as data (pure): one-shot preparation tasks and long-running services.

The stack is a list: the monolith today; the proxy (127.0.0.1:8080, its admin API on its own
loopback port) and each extracted service join with one :class:`ServiceSpec` entry each.

>>> options = StackOptions.parse(monolith_port=8000, seed_size="tiny", var_dir="var")
>>> stack = default_stack(options, python="python", manage_py=Path("/src/shop/manage.py"))
>>> [task.name for task in stack.prepare], [s.name for s in stack.services]
(['migrate', 'seed'], ['monolith'])
>>> stack.services[0].url
'http://127.0.0.1:8000'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

LOOPBACK = "127.0.0.1"
MONOLITH_SETTINGS = "legacy_monolith.shop.settings"
MONOLITH_WSGI = "legacy_monolith.shop.wsgi:application"

#: Exit code of the "is the database empty?" probe when it is (0 means: has data already).
EMPTY_DATABASE = 3
#: Generic Django, so it knows nothing of the monolith's own models: seeded means it has users.
_HAS_USERS = (
    "import sys; from django.contrib.auth import get_user_model; "
    f"sys.exit(0 if get_user_model().objects.exists() else {EMPTY_DATABASE})"
)


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


@dataclass(frozen=True)
class Account:
    """A demo account a service comes with, shown when the stack is up."""

    who: str
    username: str
    password: str


@dataclass(frozen=True)
class ServiceSpec:
    """A long-running process that is up once ``health_path`` answers 200."""

    name: str
    argv: tuple[str, ...]
    port: int
    log_name: str
    host: str = LOOPBACK
    health_path: str = "/health/"
    start_timeout: float = 60.0
    notes: tuple[str, ...] = ()
    accounts: tuple[Account, ...] = ()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def health_url(self) -> str:
        return self.url + self.health_path


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


_SIZE = re.compile(r"^[a-z][a-z0-9_-]*$")


@dataclass(frozen=True)
class StackOptions:
    monolith_port: int = 8000
    seed_size: str = "default"
    var_dir: Path = field(default_factory=lambda: Path("var"))

    @classmethod
    def parse(cls, *, monolith_port: int, seed_size: str, var_dir: str | Path) -> StackOptions:
        if not 1 <= monolith_port <= 65535:
            raise StackSpecError(
                "--monolith-port", f"must be a TCP port 1-65535, got {monolith_port}"
            )
        if not _SIZE.match(seed_size):
            raise StackSpecError(
                "--seed-size", f"expected a size name such as tiny or default, got {seed_size!r}"
            )
        path = Path(var_dir)
        if path.exists() and not path.is_dir():
            raise StackSpecError("--var-dir", f"{path} exists and is not a directory")
        return cls(monolith_port=monolith_port, seed_size=seed_size, var_dir=path.resolve())


def monolith_tasks(options: StackOptions, *, python: str, manage_py: Path) -> tuple[Task, ...]:
    """Migrate always (a new version may bring migrations); seed only an empty database."""
    manage = (python, str(manage_py))
    return (
        Task("migrate", (*manage, "migrate", "--noinput")),
        Task(
            "seed",
            (*manage, "seed_shop", "--size", options.seed_size),
            skip_probe=(*manage, "shell", "-v", "0", "-c", _HAS_USERS),
            skip_reason="the database has data already",
            echo=True,
        ),
    )


def monolith_service(options: StackOptions, *, python: str) -> ServiceSpec:
    """The monolith under gunicorn (gthread, 2 workers) on loopback."""
    return ServiceSpec(
        name="monolith",
        argv=(
            *(python, "-m", "gunicorn", MONOLITH_WSGI),
            *("--bind", f"{LOOPBACK}:{options.monolith_port}"),
            *("--worker-class", "gthread", "--workers", "2", "--threads", "4"),
            *("--graceful-timeout", "5", "--access-logfile", "-"),
            *("--pid", str(options.var_dir / "run" / "monolith.pid")),
        ),
        port=options.monolith_port,
        log_name="monolith.log",
        notes=("Django + DRF shop, gunicorn gthread x2",),
        accounts=(
            Account("customers", "customer0001, customer0002, ...", "shop-demo-pass"),
            Account("staff", "staff", "staff-demo-pass"),
        ),
    )


def default_stack(options: StackOptions, *, python: str, manage_py: Path) -> StackSpec:
    """Everything ``strangler up`` runs. The proxy and extracted services join ``services``."""
    return StackSpec(
        var_dir=options.var_dir,
        cwd=manage_py.parent.parent,
        env=MappingProxyType(
            {"STRANGLER_VAR_DIR": str(options.var_dir), "DJANGO_SETTINGS_MODULE": MONOLITH_SETTINGS}
        ),
        prepare=monolith_tasks(options, python=python, manage_py=manage_py),
        services=(monolith_service(options, python=python),),
    )
