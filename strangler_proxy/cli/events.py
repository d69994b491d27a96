"""``strangler events``: deliver events from NATS JetStream to the subscribers' inbox
endpoints, and see what is on its way (``status``), what died (``dead-letters``) and send a
dead one again (``replay ID``). ``relay`` (outbox -> broker, or embedded) is
``strangler_proxy.cli.events_relay``'s."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import click
import orjson

from strangler_proxy.cli.events_relay import listen_option, logs, metrics_at, relay, tracing
from strangler_proxy.cli.tables import Column, Grid, show
from strangler_proxy.events.consumer import Settings, deliver
from strangler_proxy.events.deadletters import (
    DEFAULT_DEAD_LETTERS_URL,
    DeadLetter,
    DeadLetterError,
    DeadLetterStore,
    NoDeadLetters,
    open_dead_letters,
)
from strangler_proxy.events.decide import DEFAULT_MAX_DELIVER, Retry
from strangler_proxy.events.envelope import format_time
from strangler_proxy.events.instruments import EventMetrics
from strangler_proxy.events.jetstream import BrokerUnavailable
from strangler_proxy.events.lag import describe_age
from strangler_proxy.events.replay import ReplayFailed, replay
from strangler_proxy.events.sources import EMBEDDED, BadSource, parse_source
from strangler_proxy.events.status import Status, status
from strangler_proxy.events.subscriber import BadSubscriber, Subscriber, parse_subscriber
from strangler_proxy.store.base import redact

DEFAULT_BROKER = "nats://127.0.0.1:4222"
DEFAULT_TOKEN_FILE = Path("var/events.token")
#: the producers `strangler up` runs, in its default var dir
STACK_SOURCES = (
    "monolith=sqlite:///var/monolith.sqlite3",
    "catalog=sqlite:///var/catalog/catalog.sqlite3",
)

broker_option = click.option(
    "--broker", default=DEFAULT_BROKER, show_default=True, metavar="nats://HOST:PORT",
    envvar="STRANGLER_BROKER", help="The NATS JetStream server.",
)  # fmt: skip
dead_letters_option = click.option(
    "--dead-letters", default=DEFAULT_DEAD_LETTERS_URL, show_default=True, metavar="URL",
    envvar="STRANGLER_DEAD_LETTERS", help="The dead-letter store (sqlite:///path or postgresql://...).",
)  # fmt: skip
token_option = click.option(
    "--token-file", type=click.Path(path_type=Path), default=DEFAULT_TOKEN_FILE,
    show_default=True, help="The events token the inbox endpoints expect.",
)  # fmt: skip
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


@click.group()
def events() -> None:
    """Events between the monolith and the services: relay, delivery, dead letters."""


events.add_command(relay)


@events.command("deliver")
@broker_option
@click.option(
    "--subscriber", "subscribers", multiple=True, required=True, metavar="NAME=URL[:TOPIC,...]",
    help="An inbox endpoint and the aggregate types it wants (none: all), e.g. "
    "catalog=http://127.0.0.1:8101/internal/events/:product,category (repeatable).",
)  # fmt: skip
@token_option
@dead_letters_option
@click.option(
    "--batch", type=click.IntRange(1, 1000), default=100, show_default=True,
    help="Events pushed at once (and in flight at most) per subscriber.",
)  # fmt: skip
@click.option(
    "--max-deliver", type=click.IntRange(1, 1000), default=DEFAULT_MAX_DELIVER,
    show_default=True, help="Failed deliveries before an event is a dead letter.",
)  # fmt: skip
@click.option(
    "--retry-delay", type=click.FloatRange(0, 3600), default=0.5, show_default=True,
    help="Seconds before the first retry (then doubling, at most --max-retry-delay).",
)  # fmt: skip
@click.option(
    "--max-retry-delay", type=click.FloatRange(0, 3600), default=30.0, show_default=True,
    help="The longest wait between two deliveries of an event (seconds).",
)  # fmt: skip
@click.option(
    "--ack-wait", type=click.FloatRange(1, 3600), default=30.0, show_default=True,
    help="Seconds before JetStream offers an unacknowledged event again (keep it above "
    "the inboxes' answer time).",
)  # fmt: skip
@listen_option
def deliver_command(
    broker: str, subscribers: tuple[str, ...], token_file: Path, dead_letters: str, batch: int,
    max_deliver: int, retry_delay: float, max_retry_delay: float, ack_wait: float,
    metrics_listen: tuple[str, int] | None,
) -> None:  # fmt: skip
    """Deliver the broker's events to the subscribers' inboxes.

    One durable JetStream consumer per subscriber; runs until Ctrl-C or SIGTERM."""
    parsed = _subscribers(subscribers)
    token = _token(token_file)
    try:
        retry = Retry(max_deliver, retry_delay, max(retry_delay, max_retry_delay))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--retry-delay") from exc
    settings = Settings(batch=batch, ack_wait=max(ack_wait, 1.0), retry=retry)
    logs("strangler-deliverer")
    tracer = tracing("strangler-deliverer")
    metrics = None if metrics_listen is None else EventMetrics()
    server = metrics_at(metrics, metrics_listen)

    def ready() -> None:
        for s in parsed:
            topics = ",".join(s.topics) or "every topic"
            click.echo(f"delivering {topics} to {s.name} at {s.url}")
        click.echo(f"deliverer ready: {broker}, dead letters in {redact(dead_letters)}")

    async def main(store: DeadLetterStore) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await deliver(
            broker, parsed, token, store, stop, settings, ready, tracer=tracer, metrics=metrics
        )

    with _opened(dead_letters, create=True) as store:
        try:
            asyncio.run(main(store))
        except BrokerUnavailable as exc:
            raise click.ClickException(str(exc)) from exc
        finally:
            if server is not None:
                server.close()
    click.echo("deliverer stopped")


@events.command("status")
@click.option(
    "--broker", default=EMBEDDED, show_default=True, metavar="nats://HOST:PORT|embedded",
    envvar="STRANGLER_BROKER",
    help="The NATS JetStream server, or 'embedded' (no broker, as strangler up runs by "
    "default: the backlog is the lag).",
)  # fmt: skip
@click.option(
    "--source", "sources", multiple=True, metavar="NAME=URL",
    help="A producer's database whose outbox backlog to show (repeatable) [default: "
    "strangler up's, those of " + ", ".join(STACK_SOURCES) + " that exist].",
)  # fmt: skip
@dead_letters_option
@json_option
def status_command(broker: str, sources: tuple[str, ...], dead_letters: str, as_json: bool) -> None:
    """Backlog, lag and dead letters per stream and subscriber.

    The outbox backlog of each --source (rows not published yet), each subscriber's lag
    (events not applied yet, and the age of the oldest) and its dead letters not replayed."""
    sources = sources or tuple(
        source for source in STACK_SOURCES if Path(source.split(":///", 1)[1]).is_file()
    )
    try:
        parsed = [parse_source(s) for s in sources]
    except BadSource as exc:
        raise click.BadParameter(str(exc), param_hint="--source") from exc
    counts = {}
    with contextlib.suppress(NoDeadLetters), _opened(dead_letters) as store:
        counts = store.counts()
    try:
        found = status(broker, parsed, counts)
    except BrokerUnavailable as exc:
        hint = "; with the embedded relay (no broker) use --broker embedded"
        raise click.ClickException(f"{exc}{hint}") from exc
    if as_json:
        click.echo(orjson.dumps(found.to_json(), option=orjson.OPT_INDENT_2))
        return
    _show_status(found)


def _show_status(found: Status) -> None:
    if found.backlogs:
        grid = Grid("Outbox backlog", (Column("source"), Column("unpublished", right=True),
                                       Column("error", keep=False)))  # fmt: skip
        for b in found.backlogs:
            grid.add(b.source, "-" if b.unpublished is None else str(b.unpublished), b.error)
        show(grid)
    title = f"Stream {found.stream}: {found.messages} events, per subscriber"
    if found.stream == EMBEDDED:
        title = "No broker (embedded relay): the backlog is the lag; dead letters per subscriber"
    grid = Grid(
        title,
        (Column("subscriber"), Column("filter"), Column("lag", right=True),
         Column("oldest unapplied", right=True), Column("dead letters", right=True)),
    )  # fmt: skip
    for s in found.subscribers:
        none = "-" if found.stream == EMBEDDED else "no consumer"
        lag = none if s.lag is None else str(s.lag.count)
        age = describe_age(None if s.lag is None else s.lag.age(found.at))
        grid.add(s.name, s.filter or "-", lag, age, str(s.dead_letters))
    show(grid)


@events.command("dead-letters")
@dead_letters_option
@click.option("--subscriber", default=None, help="Only this subscriber's letters.")
@json_option
def dead_letters_command(dead_letters: str, subscriber: str | None, as_json: bool) -> None:
    """List the dead letters, oldest first, each with its reason.

    An event lands here when its subscriber rejected it (it will never apply) or its
    delivery failed --max-deliver times; `strangler events replay ID` sends it again."""
    try:
        with _opened(dead_letters) as store:
            letters = store.letters(subscriber)
    except NoDeadLetters:
        letters = []
    if as_json:
        click.echo(orjson.dumps([d.to_json() for d in letters], option=orjson.OPT_INDENT_2))
        return
    grid = Grid(
        f"Dead letters in {redact(dead_letters)}",
        (Column("id", right=True), Column("subscriber"), Column("event"), Column("type"),
         Column("attempts", right=True), Column("last failure"), Column("replayed"),
         Column("reason", keep=False)),
    )  # fmt: skip
    for d in letters:
        replayed = "-" if d.replayed_at is None else f"{d.replay_outcome} {_when(d.replayed_at)}"
        grid.add(str(d.id), d.subscriber, d.event_id, _type(d), str(d.attempts),
                 _when(d.last_failed_at), replayed, d.reason)  # fmt: skip
    show(grid)
    if not letters:
        click.echo("no dead letters")


@events.command("replay")
@click.argument("letter_id", metavar="ID", type=int)
@dead_letters_option
@token_option
@click.option("--to", "to_url", default=None, metavar="URL",
              help="Deliver to this inbox URL instead of the one it died at.")  # fmt: skip
def replay_command(letter_id: int, dead_letters: str, token_file: Path, to_url: str | None) -> None:
    """Deliver one dead letter again now, and record the outcome.

    Sent to the inbox URL it died at (or --to); the letter is marked replayed once the
    subscriber takes it (applied, duplicate, stale or ignored)."""
    token = _token(token_file)
    try:
        with _opened(dead_letters) as store:
            letter, outcome = replay(store, letter_id, token, to_url)
    except NoDeadLetters as exc:
        raise click.ClickException(f"no dead letter {letter_id}: {exc}") from exc
    except ReplayFailed as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"dead letter {letter_id} (event {letter.event_id}) -> {letter.subscriber}: {outcome}"
    )


@contextlib.contextmanager
def _opened(url: str, *, create: bool = False) -> Iterator[DeadLetterStore]:
    """The dead-letter store at ``url``; NoDeadLetters when none is there (unless
    ``create``), every other failure a ClickException naming it."""
    try:
        store = open_dead_letters(url, create=create)
    except NoDeadLetters:
        raise
    except DeadLetterError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        yield store
    except DeadLetterError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        store.close()


def _subscribers(specs: tuple[str, ...]) -> list[Subscriber]:
    try:
        parsed = [parse_subscriber(s) for s in specs]
    except BadSubscriber as exc:
        raise click.BadParameter(str(exc), param_hint="--subscriber") from exc
    names = [s.name for s in parsed]
    if len(set(names)) != len(names):
        raise click.BadParameter("each subscriber name once", param_hint="--subscriber")
    return parsed


def _token(path: Path) -> str:
    try:
        token = path.read_text().strip()
    except OSError as exc:
        if path == DEFAULT_TOKEN_FILE and os.environ.get("EVENTS_TOKEN"):
            return os.environ["EVENTS_TOKEN"]
        raise click.BadParameter(
            f"cannot read the events token at {path}: {exc.strerror}", param_hint="--token-file"
        ) from exc
    if not token:
        raise click.BadParameter(f"{path} is empty", param_hint="--token-file")
    return token


def _type(letter: DeadLetter) -> str:
    try:
        return str(orjson.loads(letter.event).get("type", "-"))
    except (orjson.JSONDecodeError, AttributeError):
        return "-"


def _when(epoch: float) -> str:
    return format_time(datetime.fromtimestamp(epoch, UTC))[:19] + "Z"
