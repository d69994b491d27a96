"""``strangler proxy run``: the production engine in front of the monolith.

The proxy starts even when the monolith does not answer (it may come later), but says so:
one line on standard error naming the monolith, its health URL and what failed. The checks
made before it starts and the banner are ``proxy_checks``'s; the admin app and its dashboard
are composed by ``_admin``.
"""

from __future__ import annotations

import logging
from pathlib import Path

import click

from strangler_proxy.cli._admin import DashboardInputs, admin_factory, events_status
from strangler_proxy.cli.proxy_checks import (
    banner,
    check_access_log,
    check_token,
    monolith_warning,
    read_store,
)
from strangler_proxy.engine.settings import ConfigError, EngineSettings, parse_listen
from strangler_proxy.engine.upstream import Timeouts
from strangler_proxy.identity.spec import DEFAULT_EXCHANGE


@click.group()
def proxy() -> None:
    """The routing proxy (data plane)."""


@proxy.command()
@click.option(
    "--listen",
    default="127.0.0.1:8080",
    show_default=True,
    help="HOST:PORT to serve (port 0: the kernel picks; the bound port is printed).",
)
@click.option(
    "--monolith", "monolith_url", required=True, help="Monolith base URL, http://HOST:PORT."
)
@click.option(
    "--store",
    "store_url",
    default="sqlite:///var/flags.sqlite3",
    show_default=True,
    help="Flag store URL (routes and the service registry).",
)
@click.option("--workers", default=1, show_default=True, help="Worker processes (one socket).")
@click.option(
    "--admin-listen", default=None, help="HOST:PORT of the admin API (loopback; 0: any port)."
)
@click.option(
    "--admin-token-file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File holding the admin API bearer token.",
)
@click.option(
    "--trusted-hops",
    default=0,
    show_default=True,
    help="Proxies in front whose X-Forwarded-* headers are believed.",
)
@click.option(
    "--max-header-bytes",
    default=32 * 1024,
    show_default=True,
    help="Request line + headers limit (431 past it).",
)
@click.option(
    "--max-body-bytes", default=1 << 30, show_default=True, help="Request body limit (413 past it)."
)
@click.option(
    "--max-concurrency",
    default=1024,
    show_default=True,
    help="Requests in flight per worker (503 past it).",
)
@click.option(
    "--connect-timeout", default=2.0, show_default=True, help="Seconds to connect upstream."
)
@click.option(
    "--read-timeout",
    default=30.0,
    show_default=True,
    help="Longest upstream silence, seconds (504 before the answer starts).",
)
@click.option(
    "--total-timeout", default=300.0, show_default=True, help="Whole upstream exchange, seconds."
)
@click.option(
    "--graceful-seconds",
    default=10.0,
    show_default=True,
    help="How long in-flight requests may finish on SIGTERM.",
)
@click.option(
    "--health-path",
    default="/health/",
    show_default=True,
    help="Path of the services' health check.",
)
@click.option(
    "--monolith-health-path",
    default="/health/",
    show_default=True,
    help="Path on the monolith asked once at start: a warning if it answers no 2xx "
    "('' skips the check).",
)
@click.option(
    "--health-interval",
    default=2.0,
    show_default=True,
    help="Seconds between active health checks of each service instance.",
)
@click.option(
    "--access-log",
    default=None,
    metavar="FILE|-",
    help="Append one JSON line per request (who answered, route, fallback, ms, request id).",
)
@click.option(
    "--evidence",
    "evidence_url",
    default=None,
    help="Where shadow comparisons are kept (sqlite:///PATH or postgresql://...)."
    "  [default: beside the flag store]",
)
@click.option(
    "--rules",
    "rules_file",
    default="strangler-rules.toml",
    show_default=True,
    help="The comparison rules file (re-read when it changes; missing: no rules).",
)
@click.option(
    "--shadow-capture-bytes",
    default=1 << 20,
    show_default=True,
    help="Shadowed answers are compared up to this size (larger ones are counted, not compared).",
)
@click.option(
    "--shadow-timeout",
    default=10.0,
    show_default=True,
    help="Seconds a shadow copy may take, all of it (its own timeout: no client waits on it).",
)
@click.option(
    "--evidence-keep", default=1000, show_default=True, help="Comparisons kept per route."
)
@click.option(
    "--evidence-days", default=7.0, show_default=True, help="Comparisons older than this go."
)
@click.option(
    "--auto-rollback/--no-auto-rollback",
    default=True,
    show_default=True,
    help="Flip a canary or service route back to the monolith when it spends its budget"
    " (errors, fallbacks, latency; the rules file's rollback table).",
)
@click.option(
    "--rollback-window",
    default=60.0,
    show_default=True,
    help="Seconds of traffic the rollback budget is judged on.",
)
@click.option(
    "--routing-headers/--no-routing-headers",
    default=True,
    show_default=True,
    help="Tell clients who answered: X-Strangler-Served-By, -Route, -Fallback.",
)
@click.option(
    "--identity-exchange",
    default=DEFAULT_EXCHANGE,
    show_default=True,
    metavar="PATH|URL|off",
    help="Where a client's credential (DRF token, session cookie) is exchanged for the JWT a "
    "service gets instead (a path on the monolith, or a URL); off: services see it as sent.",
)
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The analyzer's report.json: the dashboard's service graph (re-read when it changes).",
)
@click.option(
    "--traces-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="STRANGLER_TRACES_DIR",
    default=None,
    help="Span files (strangler_files) the admin's /traces and the dashboard read."
    "  [default: $STRANGLER_TRACES_DIR]",
)
@click.option(
    "--events-source",
    "events_sources",
    multiple=True,
    metavar="NAME=URL",
    help="A producer's database whose outbox backlog the dashboard shows (repeatable).",
)
@click.option(
    "--events-broker",
    default=None,
    metavar="nats://HOST:PORT|embedded",
    help="The events' broker for the dashboard's lag and dead letters  [default: embedded"
    " when --events-source is given, else no events panel].",
)
@click.option(
    "--events-dead-letters",
    default=None,
    metavar="URL",
    envvar="STRANGLER_DEAD_LETTERS",
    help="The dead-letter store the dashboard counts  [default: strangler events'].",
)
def run(
    listen: str,
    monolith_url: str,
    store_url: str,
    workers: int,
    admin_listen: str | None,
    admin_token_file: Path | None,
    trusted_hops: int,
    max_header_bytes: int,
    max_body_bytes: int,
    max_concurrency: int,
    connect_timeout: float,
    read_timeout: float,
    total_timeout: float,
    graceful_seconds: float,
    health_path: str,
    monolith_health_path: str,
    health_interval: float,
    access_log: str | None,
    evidence_url: str | None,
    rules_file: str,
    shadow_capture_bytes: int,
    shadow_timeout: float,
    evidence_keep: int,
    evidence_days: float,
    auto_rollback: bool,
    rollback_window: float,
    routing_headers: bool,
    identity_exchange: str,
    report: Path | None,
    traces_dir: Path | None,
    events_sources: tuple[str, ...],
    events_broker: str | None,
    events_dead_letters: str | None,
) -> None:
    """Serve the proxy until Ctrl-C / SIGTERM (then drain in-flight requests).

    \b
    strangler proxy run --listen 127.0.0.1:8080 --monolith http://127.0.0.1:8000 \\
        --store sqlite:///var/flags.sqlite3 --workers 2 \\
        --admin-listen 127.0.0.1:8081 --admin-token-file var/admin.token

    The admin port also serves the live migration dashboard at /dashboard (log in with the
    admin token); --report, --traces-dir and --events-* feed its graph, traces and events.
    """
    from strangler_proxy.telemetry.logs import json_logging

    json_logging("strangler-proxy")
    for chatty in ("httpx", "httpcore"):  # a line per health check otherwise
        logging.getLogger(chatty).setLevel(logging.WARNING)
    try:
        host, port = parse_listen(listen, "--listen")
        admin_host, admin_port = (
            parse_listen(admin_listen, "--admin-listen") if admin_listen else (None, None)
        )
        if admin_token_file is not None and not admin_token_file.is_file():
            raise ConfigError(f"--admin-token-file: no such file {admin_token_file}")
        if admin_token_file is not None:
            check_token(admin_token_file)
        if monolith_health_path and not monolith_health_path.startswith("/"):
            raise ConfigError(
                f"--monolith-health-path: must start with '/', got {monolith_health_path!r}"
            )
        if admin_listen and admin_token_file is None:
            raise ConfigError(
                "--admin-token-file: required with --admin-listen (no token, no flip)"
            )
        settings = EngineSettings(
            monolith_url=monolith_url,
            store_url=store_url,
            host=host,
            port=port,
            workers=workers,
            trusted_hops=trusted_hops,
            max_header_bytes=max_header_bytes,
            max_body_bytes=max_body_bytes,
            max_concurrency=max_concurrency,
            timeouts=Timeouts(connect_timeout, read_timeout, total_timeout),
            graceful_seconds=graceful_seconds,
            health_path=health_path,
            health_interval=health_interval,
            admin_host=admin_host,
            admin_port=admin_port,
            admin_token_file=str(admin_token_file) if admin_token_file else None,
            access_log=access_log,
            routing_headers=routing_headers,
            evidence_url=evidence_url,
            rules_file=rules_file or None,
            shadow_capture_bytes=shadow_capture_bytes,
            shadow_timeout=shadow_timeout,
            evidence_keep=evidence_keep,
            evidence_days=evidence_days,
            auto_rollback=auto_rollback,
            rollback_window=rollback_window,
            identity_exchange=identity_exchange,
        )
        dashboard = DashboardInputs(
            report, traces_dir, events_status(events_sources, events_broker, events_dead_letters)
        )
        check_access_log(access_log)
        snapshot = read_store(store_url)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    from strangler_proxy.engine.server import run_engine

    warning = monolith_warning(settings, monolith_health_path) if monolith_health_path else None

    def listening(bound: EngineSettings) -> None:
        banner(bound, snapshot)
        if warning is not None:
            click.echo(warning, err=True)

    try:
        run_engine(settings, admin=admin_factory(settings, dashboard), on_listening=listening)
    except ConfigError as exc:  # a port taken by someone else: named, no traceback
        raise click.ClickException(str(exc)) from exc
