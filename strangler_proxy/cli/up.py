"""``strangler up``: the whole stack on this machine, until Ctrl-C or SIGTERM."""

from __future__ import annotations

import json
import os
import shlex
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
import httpx
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from strangler_proxy.stack.monolith import MonolithMissing, manage_py
from strangler_proxy.stack.spec import (
    ServiceSpec,
    StackOptions,
    StackSpecError,
    default_stack,
)
from strangler_proxy.stack.supervisor import Running, StackFailed, Supervisor

DEMO_USER, DEMO_PASSWORD = "customer0001", "shop-demo-pass"
#: Where ``strangler routes`` looks for the token and the admin API when not told.
ADMIN_DEFAULTS = (Path("var") / "admin.token", "http://127.0.0.1:8081")


@click.command()
@click.option("--monolith-port", type=int, default=8000, show_default=True)
@click.option("--proxy-port", type=int, default=8080, show_default=True, help="The public entry.")
@click.option(
    "--admin-port", type=int, default=8081, show_default=True, help="The proxy's admin API."
)
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
    help="Databases, flag store, admin token, report, logs and pid files live here.",
)
def up(monolith_port: int, proxy_port: int, admin_port: int, seed_size: str, var_dir: str) -> None:
    """Set up and start the stack; Ctrl-C stops all of it.

    \b
    1. migrate the monolith's database; seed it only when it is empty
    2. analyze the monolith statically into VAR/report/ (a failure is reported, no more)
    3. import its routes into VAR/flags.sqlite3 (flags of known routes are kept)
    4. keep or create the admin token VAR/admin.token (0600)
    5. start the monolith (gunicorn) and the proxy in front of it with its admin API
    """
    try:
        options = StackOptions.parse(
            monolith_port=monolith_port,
            seed_size=seed_size,
            var_dir=var_dir,
            proxy_port=proxy_port,
            admin_port=admin_port,
        )
    except StackSpecError as exc:
        raise click.BadParameter(exc.message, param_hint=f"'{exc.option}'") from exc
    console = Console(highlight=False)
    stack = default_stack(
        options, python=sys.executable, manage_py=_manage_py(), strangler=_strangler()
    )
    supervisor = Supervisor(
        stack,
        say=lambda line: console.print(line, markup=False),
        busy=lambda text: _spinner(console, text),
    )
    try:
        code = supervisor.run(
            on_ready=lambda running: _welcome(console, options, running, supervisor.outcomes)
        )
    except StackFailed as exc:
        raise click.ClickException(str(exc)) from exc
    if code != 0:
        raise click.exceptions.Exit(code)
    console.print("stack stopped")


@contextmanager
def _spinner(console: Console, text: str) -> Iterator[None]:
    """One line with a spinner and the time taken while a step runs (gone when it ends)."""
    if not console.is_terminal:  # a log or a pipe gets the lines that stay, not the spinner
        yield
        return
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        progress.add_task(text, total=None)
        yield


def _manage_py() -> Path:
    try:
        return manage_py()
    except MonolithMissing as exc:
        raise click.ClickException(str(exc)) from exc


def _strangler() -> tuple[str, ...]:
    """How to run this CLI in a child process: the installed script next to this Python."""
    script = Path(sys.executable).with_name("strangler")
    if script.is_file() and os.access(script, os.X_OK):
        return (str(script),)
    return (sys.executable, "-c", "from strangler_proxy.cli import main; main()")


def _welcome(
    console: Console, options: StackOptions, running: list[Running], outcomes: dict[str, str]
) -> None:
    """One table of where everything is, then commands that work as pasted."""
    table = Table(title="strangler up: the stack is running (Ctrl-C stops all of it)")
    table.add_column("what", no_wrap=True)
    table.add_column("where", overflow="fold")
    table.add_column("notes", overflow="fold")
    by_name = {r.spec.name: r for r in running}
    for name in ("proxy", *(n for n in by_name if n != "proxy")):
        if name in by_name:
            service = by_name[name]
            notes = [*service.spec.notes, f"pid {service.pid}, log {service.log_path}"]
            table.add_row(name, service.spec.url, "\n".join(notes))
    proxy = by_name.get("proxy")
    for listener in proxy.spec.listeners if proxy else ():
        table.add_row(
            listener.name,
            listener.url,
            f"token in {options.token_file} (0600): Authorization: Bearer <token>\n"
            f"{_routes_list(options, listener.url)}",
        )
    if outcomes.get("analyze") == "failed":
        table.add_row(
            "report", "-", f"the analysis failed: {options.var_dir / 'logs/prepare-analyze.log'}"
        )
    else:
        report = options.report_dir / "report.html"
        table.add_row("report", report.as_uri(), "report.md and report.json beside it")
    routes_from = "the source" if outcomes.get("routes") == "fallback" else "the report"
    table.add_row(
        "routes",
        options.store_url,
        f"imported from {routes_from}: one per endpoint, flags kept on re-import",
    )
    table.add_row("logs", str(options.var_dir / "logs"), f"state lives in {options.var_dir}")
    for service in running:
        for account in service.spec.accounts:
            table.add_row("demo account", f"{account.username} / {account.password}", account.who)
    console.print(table)
    entry = proxy or (running[0] if running else None)
    if entry is not None:
        _try_it(console, entry.spec, options)


def _routes_list(options: StackOptions, admin_url: str) -> str:
    """``strangler routes list``, with what it cannot find by itself from here."""
    token_file, default_url = ADMIN_DEFAULTS
    env = []
    if admin_url != default_url:
        env.append(f"STRANGLER_ADMIN_URL={admin_url}")
    if token_file.resolve() != options.token_file:
        env.append(f"STRANGLER_ADMIN_TOKEN_FILE={shlex.quote(str(options.token_file))}")
    return " ".join([*env, "strangler routes list"])


def _try_it(console: Console, entry: ServiceSpec, options: StackOptions) -> None:
    """Examples that work as pasted: a real token of the first demo customer, via the proxy."""
    base = entry.url
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
    admin = next((x.url for x in entry.listeners), None)
    lines = [
        f"  curl -i -H 'Authorization: Token {token}' {base}/api/orders/cart/",
        f"  curl -s '{base}/api/catalog/products/?page_size=3'",
    ]
    if admin is not None:
        bearer = f"Authorization: Bearer $(cat {shlex.quote(str(options.token_file))})"
        lines.append(f'  curl -s -H "{bearer}" {admin}/routes')
    lines.append(f"  strangler traffic --target {base} --duration 30 --rate 10 --users 5")
    console.print(f"try it ({DEMO_USER}'s token, through the {entry.name}):", markup=False)
    for line in lines:
        console.print(line, markup=False, soft_wrap=True)
