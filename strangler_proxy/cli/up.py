"""``strangler up``: the whole stack on this machine, until Ctrl-C or SIGTERM."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from strangler_proxy.cli.welcome import welcome
from strangler_proxy.events.sources import EMBEDDED
from strangler_proxy.stack.extracted import EXTRACTED
from strangler_proxy.stack.monolith import MonolithMissing, manage_py
from strangler_proxy.stack.options import SEED_SIZES, StackOptions, StackSpecError
from strangler_proxy.stack.prometheus import DEBIAN_BINARY, MISSING
from strangler_proxy.stack.spec import default_stack
from strangler_proxy.stack.supervisor import StackFailed, Supervisor


@click.command()
@click.option("--monolith-port", type=int, default=8000, show_default=True)
@click.option("--proxy-port", type=int, default=8080, show_default=True, help="The public entry.")
@click.option(
    "--admin-port", type=int, default=8081, show_default=True, help="The proxy's admin API."
)
@click.option("--catalog-port", type=int, default=8101, show_default=True)
@click.option("--notifications-port", type=int, default=8102, show_default=True)
@click.option(
    "--broker",
    default=EMBEDDED,
    show_default=True,
    help="Where events travel: embedded (the outbox tables are the queue) or nats://HOST:PORT.",
)
@click.option(
    "--seed-size",
    type=click.Choice(SEED_SIZES),
    default="default",
    show_default=True,
    help="seed_shop size for an empty database.",
)
@click.option(
    "--var-dir",
    default="var",
    show_default=True,
    help="Databases, flag store, admin token, report, logs and pid files live here.",
)
@click.option("--relay-metrics-port", type=int, default=8091, show_default=True)
@click.option("--deliverer-metrics-port", type=int, default=8092, show_default=True)
@click.option(
    "--trace-sample",
    type=float,
    default=1.0,
    show_default=True,
    help="The share of new traces kept (OTEL_TRACES_SAMPLER_ARG; your OTEL_TRACES_SAMPLER wins).",
)
@click.option(
    "--no-tracing", is_flag=True, help="No spans from any process (OTEL_SDK_DISABLED=true)."
)
@click.option(
    "--prometheus",
    "with_prometheus",
    is_flag=True,
    help="Also run Prometheus (`make prometheus` installs it), scraping every process.",
)
@click.option("--prometheus-port", type=int, default=9090, show_default=True)
def up(
    monolith_port: int,
    proxy_port: int,
    admin_port: int,
    catalog_port: int,
    notifications_port: int,
    broker: str,
    seed_size: str,
    var_dir: str,
    relay_metrics_port: int,
    deliverer_metrics_port: int,
    trace_sample: float,
    no_tracing: bool,
    with_prometheus: bool,
    prometheus_port: int,
) -> None:
    """Set up and start the stack; Ctrl-C stops all of it.

    \b
    1. migrate the monolith's database; seed it only when it is empty
    2. analyze the monolith statically into VAR/report/ (a failure is reported, no more)
    3. import its routes into VAR/flags.sqlite3 (flags of known routes are kept)
    4. keep or create the tokens VAR/admin.token, VAR/events.token and
       VAR/metrics.token (0600)
    5. register the catalog and notifications services with the proxy's registry
    6. start the monolith (gunicorn), the catalog service (backfilled from the
       monolith while it is empty), the notifications service, the events relay
       (embedded: outbox -> inboxes; with --broker, to NATS JetStream and a
       deliverer from there), and the proxy in front of them all with its admin API
       (and with --prometheus, Prometheus scraping them all: VAR/prometheus/)

    \b
    Every process writes its spans to VAR/traces/ unless your environment names its own
    exporter (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_TRACES_EXPORTER): then they go there.
    """
    try:
        options = StackOptions.parse(
            monolith_port=monolith_port,
            seed_size=seed_size,
            var_dir=var_dir,
            proxy_port=proxy_port,
            admin_port=admin_port,
            catalog_port=catalog_port,
            notifications_port=notifications_port,
            broker=broker,
            monolith_database_url=os.environ.get("DATABASE_URL"),  # as the monolith reads it
            relay_metrics_port=relay_metrics_port,
            deliverer_metrics_port=deliverer_metrics_port,
            tracing=not no_tracing,
            trace_sample=trace_sample,
            prometheus=with_prometheus,
            prometheus_port=prometheus_port,
            environ=os.environ,
        )
    except StackSpecError as exc:
        raise click.BadParameter(exc.message, param_hint=f"'{exc.option}'") from exc
    console = Console(highlight=False)
    manage = _manage_py()
    stack = default_stack(
        options,
        python=sys.executable,
        manage_py=manage,
        strangler=_strangler(),
        extracted=_installed(EXTRACTED),
        prometheus=_prometheus() if with_prometheus else None,
    )
    supervisor = Supervisor(
        stack,
        say=lambda line: console.print(line, markup=False),
        busy=lambda text: _spinner(console, text),
    )
    try:
        code = supervisor.run(
            on_ready=lambda running: welcome(console, options, running, supervisor.outcomes)
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


def _installed(services: tuple[str, ...]) -> tuple[str, ...]:
    """The extracted services whose package (``python -m extracted_services.NAME``) is here."""
    try:
        return tuple(
            name
            for name in services
            if importlib.util.find_spec(f"extracted_services.{name}.__main__") is not None
        )
    except ModuleNotFoundError:  # no extracted_services package at all
        return ()


def _prometheus() -> str:
    """The Prometheus binary: on the PATH, or where Debian's package puts it."""
    found = shutil.which("prometheus")
    if found:
        return found
    if os.access(DEBIAN_BINARY, os.X_OK):
        return str(DEBIAN_BINARY)
    raise click.ClickException(MISSING)


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
