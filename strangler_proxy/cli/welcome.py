"""What ``strangler up`` prints once the stack is up: where everything is, then commands.

The table (``welcome_grid``, pure) keeps URLs, paths and accounts whole; commands are never
in it: they come after it, one per line and never wrapped by us, so each pastes as it is.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx
from rich.console import Console

from strangler_proxy.cli.tables import Column, Grid, show
from strangler_proxy.stack.spec import ServiceSpec, StackOptions
from strangler_proxy.stack.supervisor import Running

DEMO_USER, DEMO_PASSWORD = "customer0001", "shop-demo-pass"
#: Where ``strangler routes`` looks for the token and the admin API when not told.
ADMIN_DEFAULTS = (Path("var") / "admin.token", "http://127.0.0.1:8081")


def welcome(
    console: Console, options: StackOptions, running: list[Running], outcomes: Mapping[str, str]
) -> None:
    """The table of where everything is, how to get ``strangler`` on the PATH, commands."""
    show(welcome_grid(options, running, outcomes), console)
    by_name = {r.spec.name: r for r in running}
    entry = by_name.get("proxy") or (running[0] if running else None)
    if entry is None:
        return
    console.out("\n" + on_the_path(), highlight=False)
    for line in _try_it(entry.spec, options, set(by_name)):
        console.out(line, highlight=False)


def welcome_grid(
    options: StackOptions, running: Sequence[Running], outcomes: Mapping[str, str]
) -> Grid:
    grid = Grid(
        "strangler up: the stack is running (Ctrl-C stops all of it)",
        (Column("what"), Column("where"), Column("notes", keep=False)),
    )
    by_name = {r.spec.name: r for r in running}
    for name in ("proxy", *(n for n in by_name if n != "proxy")):
        if name in by_name:
            service = by_name[name]
            notes = [*service.spec.notes, f"pid {service.pid}, log {service.log_path}"]
            where = "(no port)" if service.spec.worker else service.spec.url
            grid.add(name, where, "\n".join(notes))
    proxy = by_name.get("proxy")
    for listener in proxy.spec.listeners if proxy else ():
        grid.add(
            listener.name,
            listener.url,
            f"token in {options.token_file} (0600): Authorization: Bearer <token>",
        )
        grid.add(
            "dashboard",
            f"{listener.url}/dashboard",
            "the migration, live: log in with the admin API's token",
        )
    grid.add("traces", *_traces(options))
    if by_name.keys() & {"monolith", "catalog", "notifications"}:
        grid.add(
            "metrics token",
            str(options.metrics_token_file),
            "METRICS_TOKEN of the monolith's and the services' /metrics (Bearer), 0600",
        )
    if by_name.keys() - {"monolith", "proxy"}:
        grid.add(
            "events token",
            str(options.events_token_file),
            "EVENTS_TOKEN of every inbox (/internal/events/), 0600, kept across runs",
        )
    if outcomes.get("analyze") == "failed":
        failed = f"the analysis failed: {options.var_dir / 'logs/prepare-analyze.log'}"
        grid.add("report", "-", failed)
    else:
        report = options.report_dir / "report.html"
        grid.add("report", report.as_uri(), "report.md and report.json beside it")
    routes_from = "the source" if outcomes.get("routes") == "fallback" else "the report"
    grid.add(
        "routes",
        options.store_url,
        f"imported from {routes_from}: one per endpoint, flags kept on re-import",
    )
    grid.add("logs", str(options.var_dir / "logs"), f"state lives in {options.var_dir}")
    for service in running:
        for account in service.spec.accounts:
            grid.add("demo account", f"{account.username} / {account.password}", account.who)
    return grid


def _traces(options: StackOptions) -> tuple[str, str]:
    """Where the spans go, and what to do with them."""
    if not options.tracing:
        return "-", "off (--no-tracing)"
    if options.own_exporter:
        return "your exporter", "OTEL_EXPORTER_OTLP_* / OTEL_TRACES_EXPORTER of this shell"
    sample = "" if options.own_sampler else f", {options.trace_sample:.0%} of new traces kept"
    return str(options.traces_dir), f"every process's spans (OTLP JSON lines){sample}"


def on_the_path(python: str = sys.executable, cwd: Path | None = None) -> str:
    """How to get ``strangler`` on the PATH: activate the environment it is installed in
    (``source .venv/bin/activate`` from the project's folder, as the README says)."""
    activate = Path(python).parent / "activate"
    if not activate.is_file():
        return "the commands below need `strangler` on the PATH (the environment it is in)"
    here = (cwd or Path.cwd()).resolve()
    shown = Path(os.path.relpath(activate, here)) if activate.is_relative_to(here) else activate
    return f"strangler not found? put it on the PATH first: source {shlex.quote(str(shown))}"


def routes_list_command(
    options: StackOptions, admin_url: str, command: str = "strangler routes list"
) -> str:
    """``strangler routes list`` (or another admin ``command``), with what it cannot find
    by itself from here."""
    token_file, default_url = ADMIN_DEFAULTS
    env = []
    if admin_url != default_url:
        env.append(f"STRANGLER_ADMIN_URL={admin_url}")
    if token_file.resolve() != options.token_file:
        env.append(f"STRANGLER_ADMIN_TOKEN_FILE={shlex.quote(str(options.token_file))}")
    return " ".join([*env, command])


def reconcile_command(options: StackOptions) -> str:
    """``strangler reconcile catalog``, told where the var dir (when it is not ./var) and
    the monolith's database (when it is not there) are."""
    command = ["strangler", "reconcile", "catalog"]
    if options.var_dir != Path("var").resolve():
        command += ["--var-dir", shlex.quote(str(options.var_dir))]
    if options.monolith_database_url:
        command += ["--monolith-db", '"$DATABASE_URL"']  # as given to up, never printed
    return " ".join(command)


def _try_it(entry: ServiceSpec, options: StackOptions, names: set[str]) -> list[str]:
    """Examples that work as pasted: a real token of the first demo customer, via the proxy."""
    base = entry.url
    lines = []
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
        lines += [
            "get a token:",
            f"  curl -s -X POST {base}/api/auth/token/ -H 'Content-Type: application/json' "
            f"-d {shlex.quote(login)}",
        ]
        token = "<token>"
    admin = next((x.url for x in entry.listeners), None)
    lines += [
        f"try it ({DEMO_USER}'s token, through the {entry.name}):",
        f"  curl -i -H 'Authorization: Token {token}' {base}/api/orders/cart/",
        f"  curl -s '{base}/api/catalog/products/?page_size=3'",
    ]
    if admin is not None:
        bearer = f"Authorization: Bearer $(cat {shlex.quote(str(options.token_file))})"
        lines.append(f'  curl -s -H "{bearer}" {admin}/routes')
        lines.append(f"  {routes_list_command(options, admin)}")
        if names - {"monolith", "proxy"}:
            services = routes_list_command(options, admin, "strangler services list")
            lines.append(f"  {services}")
    if "catalog" in names:
        lines.append(f"  {reconcile_command(options)}")
    if "prometheus" in names:
        query = "route_served_by:strangler_requests:rate1m"
        url = f"http://127.0.0.1:{options.prometheus_port}"
        lines.append(f"  curl -s '{url}/api/v1/query?query={query}'")
    lines.append(f"  strangler traffic --target {base} --duration 30 --rate 10 --users 5")
    return lines
