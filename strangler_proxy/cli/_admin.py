"""The admin API from the command line: what the ``routes`` and ``services`` commands share
(options, error display), and how ``strangler proxy run`` composes the admin app and its
dashboard (``admin_factory``)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from strangler_proxy.admin.auth import TOKEN_ENV
from strangler_proxy.admin.client import ADMIN_URL_ENV, DEFAULT_ADMIN_URL, AdminClient, AdminError
from strangler_proxy.engine.settings import ConfigError, EngineSettings

if TYPE_CHECKING:
    from strangler_proxy.admin import AdminApp
    from strangler_proxy.engine.server import AdminFactory
    from strangler_proxy.engine.status import WorkerStatus

F = TypeVar("F", bound=Callable[..., Any])

TOKEN_FILE = "var/admin.token"  # where `strangler up` / `strangler proxy run` keep it
TOKEN_FILE_ENV = "STRANGLER_ADMIN_TOKEN_FILE"
MODE_STYLES = {"monolith": "dim", "shadow": "cyan", "canary": "yellow", "service": "green"}


def admin_options(command: F) -> F:
    """``--admin URL`` and ``--token`` (or their environment variables, or the token file)."""
    command = click.option(
        "--token",
        envvar=TOKEN_ENV,
        show_envvar=True,
        callback=_token_or_file,
        help=f"Admin API token [default: the contents of {TOKEN_FILE}, if it exists].",
    )(command)
    command = click.option(
        "--admin",
        "admin_url",
        envvar=ADMIN_URL_ENV,
        show_envvar=True,
        default=DEFAULT_ADMIN_URL,
        show_default=True,
        help="Admin API base URL.",
    )(command)
    return command


def _token_or_file(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value:
        return value
    path = Path(os.environ.get(TOKEN_FILE_ENV) or TOKEN_FILE)
    try:
        return path.read_text().strip() or None
    except OSError:
        return None


@contextmanager
def admin_client(admin_url: str, token: str | None) -> Iterator[AdminClient]:
    """An ``AdminClient``; any ``AdminError`` becomes one ``Error: ...`` line and exit code 1."""
    if not token:
        raise click.ClickException(
            f"no admin token: pass --token, set {TOKEN_ENV}, or write it to {TOKEN_FILE}"
        )
    try:
        with AdminClient(admin_url, token) as client:
            yield client
    except AdminError as exc:
        raise click.ClickException(str(exc)) from exc


def describe_flag(flag: dict[str, Any] | None) -> str:
    """``canary 10% -> catalog`` for a route (or audit before/after) dict."""
    if not flag:
        return "-"
    if "instances" in flag:
        return ", ".join(flag["instances"])
    mode = flag.get("mode", "?")
    if mode == "canary":
        return f"canary {flag.get('percent', 0)}% -> {flag.get('service')}"
    writes = " (writes copied too)" if flag.get("shadow_writes") else ""
    if mode == "shadow":
        return f"shadow -> {flag.get('service')}{writes}"
    if mode == "service":
        return f"service -> {flag.get('service')}"
    return str(mode)


@dataclass(frozen=True)
class DashboardInputs:
    """What the dashboard reads besides the engine: the analyzer's graph, span files, events."""

    report: Path | None = None
    traces_dir: Path | None = None
    events_status: Callable[[], Mapping[str, Any]] | None = None


def events_status(
    sources: tuple[str, ...], broker: str | None, dead_letters: str | None
) -> Callable[[], Mapping[str, Any]] | None:
    """What ``strangler events status --json`` shows, as a callable for the dashboard (None
    without --events-source or --events-broker). A bad NAME=URL is a usage error now."""
    if not sources and broker is None:
        return None
    from strangler_proxy.events.deadletters import (
        DEFAULT_DEAD_LETTERS_URL,
        DeadLetterError,
        open_dead_letters,
    )
    from strangler_proxy.events.sources import EMBEDDED, BadSource, parse_source
    from strangler_proxy.events.status import status

    try:
        parsed = [parse_source(s) for s in sources]
    except BadSource as exc:
        raise ConfigError(f"--events-source: {exc}") from exc
    url = broker or EMBEDDED
    letters = dead_letters or DEFAULT_DEAD_LETTERS_URL

    def read() -> Mapping[str, Any]:
        counts: dict[str, int] = {}
        try:
            store = open_dead_letters(letters)
        except DeadLetterError:  # none yet (nothing ever died), or unreadable: no counts
            pass
        else:
            try:
                counts = store.counts()
            finally:
                store.close()
        return status(url, parsed, counts).to_json()

    return read


def admin_factory(settings: EngineSettings, dashboard: DashboardInputs) -> AdminFactory | None:
    """The admin API for the engine's workers (``--admin-listen``), or None.

    The command line composes the two: the engine reports on its workers through the
    ``WorkerStatus`` it hands over, the admin app never imports the engine."""
    if settings.admin_port is None:
        return None
    from strangler_proxy.admin import create_admin_app

    path = settings.admin_token_file
    token = Path(path).read_text().strip() if path else ""

    from strangler_proxy.admin.evidence import EvidenceView
    from strangler_proxy.evidence.store import default_evidence_url

    evidence = EvidenceView(
        settings.evidence_url or default_evidence_url(settings.store_url),
        Path(settings.rules_file) if settings.rules_file else None,
    )

    def make(status: WorkerStatus) -> AdminApp:
        return create_admin_app(
            store_url=settings.store_url,
            token=token,
            metrics_text=status.metrics_text,
            health_snapshot=status.health_snapshot,
            evidence=evidence,
            metrics_snapshot=status.metrics_snapshot,
            events_status=dashboard.events_status,
            report=dashboard.report,
            traces_dir=dashboard.traces_dir,
        )

    return make
