"""The pieces a stack is made of, as data (pure): tasks that run to completion, services
that keep running (with their ports, health URLs and environment), and the stack itself.

>>> ServiceSpec("catalog", ("python",), 8101, "catalog.log").health_url
'http://127.0.0.1:8101/health/'
>>> relay = ServiceSpec("relay", ("r",), 0, "relay.log", worker=True, scrape=Scrape(8091))
>>> relay.scrape.url, [(b.who, b.port) for b in relay.binds]  # a worker's metrics port
('http://127.0.0.1:8091/metrics', [("relay's metrics", 8091)])
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

LOOPBACK = "127.0.0.1"
#: Exit code of the "is the database empty?" probe when it is (0 means: has data already).
EMPTY_DATABASE = 3


def _no_env() -> Mapping[str, str]:
    """No variables of its own (the stack's are used as they are)."""
    return MappingProxyType({})


def _no_files() -> Mapping[str, Path]:
    return MappingProxyType({})


def _no_texts() -> Mapping[Path, str]:
    return MappingProxyType({})


@dataclass(frozen=True)
class Task:
    """A command that runs to completion before the services start (migrate, seed), or
    once the service it comes ``after`` is up (a backfill that reads that service)."""

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
    #: Run once this service is up (None: before any service starts).
    after: str | None = None
    #: Its own variables, over the stack's.
    env: Mapping[str, str] = field(default_factory=_no_env, hash=False)


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
class Scrape:
    """Where a process serves its Prometheus metrics, and the bearer token file a scrape
    presents (None: no token asked)."""

    port: int
    path: str = "/metrics"
    credentials_file: Path | None = None
    host: str = LOOPBACK
    #: the ``strangler up`` option that sets ``port``, when it is a port of its own
    option: str = ""

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}{self.path}"


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
    #: (the supervisor then knows the service by that port). A worker's: the line it
    #: prints once it is ready.
    announces: re.Pattern[str] | None = None
    #: the ``strangler up`` option that sets ``port`` (named when the port is taken)
    option: str = ""
    #: Its own variables, over the stack's (a service's var dir and database).
    env: Mapping[str, str] = field(default_factory=_no_env, hash=False)
    #: Variables read from files just before it starts (a token a set-up task wrote), so
    #: secrets stay out of argv and out of the spec.
    env_files: Mapping[str, Path] = field(default_factory=_no_files, hash=False)
    #: Not a server: a worker with no port and no health URL (up once it is running).
    worker: bool = False
    #: Needs none of the services before it to start: launched while they still start.
    concurrent: bool = False
    #: Its death is not the stack's: started again (the proxy falls back to the monolith
    #: for a dead service's reads meanwhile; events wait in the outbox or the broker).
    restart: bool = False
    #: Its Prometheus metrics (None: it has none).
    scrape: Scrape | None = None
    #: Folders emptied (and made) before each start: the Django apps' multiprocess metrics
    #: (the files of a previous run's workers would be summed into this run's).
    fresh_dirs: tuple[Path, ...] = ()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def health_url(self) -> str:
        return self.url + self.health_path

    @property
    def binds(self) -> tuple[Bind, ...]:
        """Every address it listens on: checked free before anything starts."""
        own = () if self.worker else (Bind(self.name, self.host, self.port, self.option),)
        listeners = () if self.worker else self.listeners
        found = (
            *own,
            *(Bind(f"{self.name}'s {x.name}", x.host, x.port, x.option) for x in listeners),
        )
        metrics = self.scrape
        if metrics is not None and metrics.port not in {b.port for b in found}:
            found += (Bind(f"{self.name}'s metrics", metrics.host, metrics.port, metrics.option),)
        return found


@dataclass(frozen=True)
class StackSpec:
    var_dir: Path
    cwd: Path
    env: Mapping[str, str]
    prepare: tuple[Task, ...]
    services: tuple[ServiceSpec, ...]
    #: Files written before anything runs (generated text: Prometheus's configuration).
    files: Mapping[Path, str] = field(default_factory=_no_texts, hash=False)
    #: Folders made before anything runs (where spans and Prometheus's data go).
    dirs: tuple[Path, ...] = ()

    @property
    def log_dir(self) -> Path:
        return self.var_dir / "logs"

    @property
    def run_dir(self) -> Path:
        return self.var_dir / "run"

    def service(self, name: str) -> ServiceSpec | None:
        return next((s for s in self.services if s.name == name), None)
