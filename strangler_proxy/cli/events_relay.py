"""``strangler events relay``: move the producers' outbox rows to NATS JetStream, or (the
embedded default, no broker) straight to the subscribers' inbox endpoints."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import click
from opentelemetry.trace import Tracer

from strangler_proxy.events.deadletters import (
    DEFAULT_DEAD_LETTERS_URL,
    DeadLetterError,
    open_dead_letters,
)
from strangler_proxy.events.decide import Retry
from strangler_proxy.events.feed import Feed, Settings
from strangler_proxy.events.instruments import EventMetrics, MetricsServer, parse_listen
from strangler_proxy.events.jetstream import BrokerUnavailable
from strangler_proxy.events.outbox import OutboxError
from strangler_proxy.events.relay import EmbeddedTarget, JetStreamTarget, Target, run
from strangler_proxy.events.sources import EMBEDDED, BadSource, Source, parse_source
from strangler_proxy.events.subscriber import BadSubscriber, Subscriber, parse_subscriber
from strangler_proxy.store.base import redact
from strangler_proxy.telemetry.errors import TelemetryError
from strangler_proxy.telemetry.logs import json_logging
from strangler_proxy.telemetry.setup import start_tracing


def _listen(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> tuple[str, int] | None:
    try:
        return None if value is None else parse_listen(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


#: ``--metrics-listen`` of ``events relay`` and ``events deliver``
listen_option = click.option(
    "--metrics-listen", default=None, metavar="HOST:PORT", callback=_listen,
    help="Serve Prometheus metrics at http://HOST:PORT/metrics (port 0: any free one).",
)  # fmt: skip


def metrics_at(metrics: EventMetrics | None, at: tuple[str, int] | None) -> MetricsServer | None:
    """Serve ``metrics`` at ``at`` and say where (stdout); a ClickException when the
    address cannot be bound (taken, not ours)."""
    if metrics is None or at is None:
        return None
    host, port = at
    try:
        server = metrics.serve(host, port)
    except OSError as exc:
        raise click.ClickException(
            f"cannot serve metrics on {host}:{port} (--metrics-listen): {exc.strerror or exc}"
        ) from exc
    click.echo(f"metrics on {server.url}")
    return server


def tracing(service: str) -> Tracer | None:
    """The process's tracer (None: tracing is off), or a usage error naming the variable."""
    try:
        return start_tracing(service)
    except TelemetryError as exc:
        raise click.ClickException(str(exc)) from exc


def logs(service: str) -> None:
    """JSON log lines on stderr (stdout keeps the "ready" lines strangler up waits for)."""
    json_logging(service)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per batch


@click.command("relay")
@click.option(
    "--source", "sources", multiple=True, required=True, metavar="NAME=URL",
    help="A producer's database holding an outbox table, e.g. "
    "monolith=sqlite:///var/monolith.sqlite3 or catalog=postgresql://... (repeatable).",
)  # fmt: skip
@click.option(
    "--broker", default=EMBEDDED, show_default=True, metavar="nats://HOST:PORT|embedded",
    envvar="STRANGLER_BROKER",
    help="NATS JetStream to publish to, or 'embedded': no broker, push to --subscriber.",
)  # fmt: skip
@click.option(
    "--subscriber", "subscribers", multiple=True, metavar="NAME=URL[:TOPIC,...]",
    help="Embedded mode: an inbox endpoint and the aggregate types it wants, e.g. "
    "catalog=http://127.0.0.1:8101/internal/events/:product,category (repeatable).",
)  # fmt: skip
@click.option(
    "--token-file", type=click.Path(path_type=Path), default=Path("var/events.token"),
    show_default=True, help="Embedded mode: the events token the inboxes expect.",
)  # fmt: skip
@click.option(
    "--dead-letters", default=DEFAULT_DEAD_LETTERS_URL, show_default=True, metavar="URL",
    envvar="STRANGLER_DEAD_LETTERS",
    help="Where undeliverable events are kept (sqlite:///path or postgresql://...).",
)  # fmt: skip
@click.option(
    "--batch-size", type=click.IntRange(1, 10_000), default=500, show_default=True,
    help="Rows read, then published (or pushed to each subscriber), at once.",
)  # fmt: skip
@click.option(
    "--poll-interval", type=click.FloatRange(0.001, 10), default=0.005, show_default=True,
    help="Seconds between two polls of an outbox with nothing new.",
)  # fmt: skip
@click.option(
    "--retention-hours", type=click.FloatRange(0), default=24.0, show_default=True,
    help="Published outbox rows older than this are deleted.",
)  # fmt: skip
@click.option(
    "--max-deliver", type=click.IntRange(1), default=Retry().max_deliver, show_default=True,
    help="Embedded mode: attempts at a failing batch before its events are dead letters.",
)  # fmt: skip
@listen_option
def relay(
    sources: tuple[str, ...],
    broker: str,
    subscribers: tuple[str, ...],
    token_file: Path,
    dead_letters: str,
    batch_size: int,
    poll_interval: float,
    retention_hours: float,
    max_deliver: int,
    metrics_listen: tuple[str, int] | None,
) -> None:
    """Relay every --source's outbox, in order, until Ctrl-C (or SIGTERM)."""
    logs("strangler-relay")
    try:
        parsed = [parse_source(spec) for spec in sources]
    except BadSource as exc:
        raise click.BadParameter(str(exc), param_hint="--source") from exc
    target = _target(broker, subscribers, token_file)
    settings = Settings(
        batch_size=batch_size,
        poll_interval=poll_interval,
        retention=timedelta(hours=retention_hours),
        retry=Retry(max_deliver=max_deliver),
    )
    tracer = tracing("strangler-relay")
    metrics = None if metrics_listen is None else EventMetrics()
    server = metrics_at(metrics, metrics_listen)  # a taken port: said before anything opens
    try:
        feeds = [Feed(source, settings, _log).open() for source in parsed]
        dead = open_dead_letters(dead_letters, create=True)
    except (OutboxError, DeadLetterError) as exc:
        raise click.ClickException(str(exc)) from exc

    def ready() -> None:
        click.echo(f"relay ready: {_describe(parsed)} -> {_describe_target(target)}")

    try:
        run(feeds, target, dead=dead, ready=ready, tracer=tracer, metrics=metrics)
    except BrokerUnavailable as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        dead.close()
        if server is not None:
            server.close()
    click.echo("relay stopped: " + ", ".join(f"{f.source.name} {f.relayed}" for f in feeds))


def _target(broker: str, subscribers: tuple[str, ...], token_file: Path) -> Target:
    if broker != EMBEDDED:
        if not broker.startswith(("nats://", "tls://")):
            raise click.BadParameter(
                f"{broker!r}: expected nats://HOST:PORT or {EMBEDDED}", param_hint="--broker"
            )
        if subscribers:
            raise click.UsageError(
                "--subscriber is for the embedded mode: with a broker, "
                "'strangler events deliver' pushes to the subscribers"
            )
        return JetStreamTarget(broker)
    if not subscribers:
        raise click.UsageError("the embedded relay needs at least one --subscriber")
    try:
        parsed = tuple(parse_subscriber(spec) for spec in subscribers)
    except BadSubscriber as exc:
        raise click.BadParameter(str(exc), param_hint="--subscriber") from exc
    try:
        token = token_file.read_text().strip()
    except OSError as exc:
        raise click.BadParameter(
            f"cannot read the events token at {token_file}: {exc.strerror}",
            param_hint="--token-file",
        ) from exc
    if not token:
        raise click.BadParameter(f"{token_file} is empty", param_hint="--token-file")
    return EmbeddedTarget(parsed, token)


def _describe(sources: list[Source]) -> str:
    return ", ".join(f"{s.name} ({redact(s.url)})" for s in sources)


def _describe_target(target: Target) -> str:
    if isinstance(target, JetStreamTarget):
        return f"NATS JetStream at {target.url}"
    return "embedded: " + ", ".join(_describe_subscriber(s) for s in target.subscribers)


def _describe_subscriber(subscriber: Subscriber) -> str:
    topics = ",".join(subscriber.topics) or "every topic"
    return f"{subscriber.name} {subscriber.url} [{topics}]"


def _log(message: str) -> None:
    logging.getLogger("strangler.events.relay").warning("%s", message)


if __name__ == "__main__":  # python -m strangler_proxy.cli.events_relay (tests, strangler up)
    relay()
