"""What the ``routes`` and ``services`` commands share: admin API options and error display."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from strangler_proxy.admin.auth import TOKEN_ENV
from strangler_proxy.admin.client import ADMIN_URL_ENV, DEFAULT_ADMIN_URL, AdminClient, AdminError

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
