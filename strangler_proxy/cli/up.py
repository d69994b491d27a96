"""``strangler up``: the whole stack on this machine, until Ctrl-C or SIGTERM."""

from __future__ import annotations

import importlib.util
import json
import shlex
import sys
from pathlib import Path

import click
import httpx
from rich.console import Console
from rich.table import Table

from strangler_proxy.stack.spec import (
    ServiceSpec,
    StackOptions,
    StackSpec,
    StackSpecError,
    default_stack,
)
from strangler_proxy.stack.supervisor import Running, StackFailed, Supervisor

DEMO_USER, DEMO_PASSWORD = "customer0001", "shop-demo-pass"


@click.command()
@click.option("--monolith-port", type=int, default=8000, show_default=True)
@click.option(
    "--seed-size",
    default="default",
    show_default=True,
    help="seed_shop size for an empty database (tiny, small, default, large).",
)
@click.option(
    "--var-dir",
    default="var",
    show_default=True,
    help="Databases, logs and pid files live here.",
)
def up(monolith_port: int, seed_size: str, var_dir: str) -> None:
    """Migrate, seed (only an empty database) and start the stack; Ctrl-C stops all of it.

    Today that is the monolith under gunicorn on 127.0.0.1:8000; the proxy and the
    extracted services join the same list as they are built.
    """
    try:
        options = StackOptions.parse(
            monolith_port=monolith_port, seed_size=seed_size, var_dir=var_dir
        )
    except StackSpecError as exc:
        raise click.BadParameter(exc.message, param_hint=f"'{exc.option}'") from exc
    console = Console(highlight=False)
    stack = default_stack(options, python=sys.executable, manage_py=_manage_py())
    supervisor = Supervisor(
        stack, say=lambda line: console.print(line, markup=False), busy=console.status
    )
    try:
        code = supervisor.run(on_ready=lambda running: _welcome(console, stack, running))
    except StackFailed as exc:
        raise click.ClickException(str(exc)) from exc
    if code != 0:
        raise click.exceptions.Exit(code)
    console.print("stack stopped")


def _manage_py() -> Path:
    """The monolith's manage.py, found without importing the monolith."""
    spec = importlib.util.find_spec("legacy_monolith")
    if spec is None or not spec.submodule_search_locations:
        raise click.ClickException("the legacy_monolith package is not installed here")
    return Path(next(iter(spec.submodule_search_locations))) / "manage.py"


def _welcome(console: Console, stack: StackSpec, running: list[Running]) -> None:
    table = Table(title="strangler up: the stack is running (Ctrl-C stops all of it)")
    table.add_column("process", no_wrap=True)
    table.add_column("URL", no_wrap=True)
    table.add_column("pid", justify="right")
    table.add_column("log", overflow="fold")
    table.add_column("what", overflow="fold")
    for service in running:
        spec = service.spec
        table.add_row(
            spec.name, spec.url, str(service.pid), str(service.log_path), "\n".join(spec.notes)
        )
    console.print(table)
    console.print(f"state (databases, logs, pid files): {stack.var_dir}", soft_wrap=True)
    accounts = Table(title="demo accounts", title_justify="left")
    for column in ("process", "who", "username", "password"):
        accounts.add_column(column)
    for service in running:
        for account in service.spec.accounts:
            accounts.add_row(service.spec.name, account.who, account.username, account.password)
    if accounts.row_count:
        console.print(accounts)
    monolith = next((s.spec for s in running if s.spec.name == "monolith"), None)
    if monolith is not None:
        _try_it(console, monolith)


def _try_it(console: Console, monolith: ServiceSpec) -> None:
    """An example that works as pasted: a real token of the first demo customer."""
    base = monolith.url
    try:
        response = httpx.post(
            f"{base}/api/auth/token/",
            json={"username": DEMO_USER, "password": DEMO_PASSWORD},
            timeout=5.0,
            trust_env=False,
        )
        token = str(response.json()["token"])
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        login = json.dumps({"username": DEMO_USER, "password": DEMO_PASSWORD})
        console.print("get a token:")
        console.print(
            f"  curl -s -X POST {base}/api/auth/token/ -H 'Content-Type: application/json' "
            f"-d {shlex.quote(login)}",
            markup=False,
            soft_wrap=True,
        )
        token = "<token>"
    console.print(f"try it ({DEMO_USER}'s token):", markup=False)
    for line in (
        f"  curl -H 'Authorization: Token {token}' {base}/api/orders/cart/",
        f"  strangler traffic --target {base} --duration 30 --rate 10 --users 5",
    ):
        console.print(line, markup=False, soft_wrap=True)
