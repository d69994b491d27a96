"""``python -m bench.events``: how fast the relay moves events, beside baselines measured in
the same run.

(a) Throughput: 20,000 rows already in a SQLite outbox (WAL, as the monolith's), relayed
    in-process until every row is marked published: to NATS JetStream (a real nats-server
    -js on its own port and store) against nats-py publishing the same messages straight
    to the broker (all in flight, every ack awaited: the broker's own rate), and in the
    embedded mode to a stand-in subscriber against pushing the same batches straight to
    it. Goal: >= 5,000 events/s. Both again traced (issue 11): a span per event written
    to span files as ``strangler up`` has it (``strangler_files``, batched), against
    untraced: the cost of tracing at saturation.
(b) Latency at a steady rate (500 events/s): a writer commits one outbox row per
    transaction on a fixed schedule and stamps the time its COMMIT returned; a stand-in
    subscriber (its own process: an HTTP inbox answering ``applied``) stamps each event's
    arrival. From commit to arrival: the embedded relay (``strangler events relay``, its own
    process), and JetStream (the relay process to nats-server, then ``strangler events
    deliver`` to the subscriber), against the writer pushing each event to the subscriber
    itself right after its commit (a dual write: the fastest a change can get there).
    Goal: p99 < 100 ms.

Each figure is the median of the rounds with the lowest and highest; figures, never
pass/fail. About a minute and a half with the defaults on this machine.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path

import click
import orjson
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Tracer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bench.events_probes import BrokerWatch, StandIn
from bench.proxy.measure import percentile
from bench.proxy.report import spread_text
from strangler_proxy.events.deadletters import open_dead_letters
from strangler_proxy.events.envelope import Event, format_time
from strangler_proxy.events.feed import Feed, Settings
from strangler_proxy.events.jetstream import STREAM, connect, ensure_stream, subject_for
from strangler_proxy.events.push import Inbox
from strangler_proxy.events.relay import EmbeddedTarget, JetStreamTarget, Target, relay
from strangler_proxy.events.sources import Source
from strangler_proxy.events.subscriber import Subscriber
from strangler_proxy.stack.process import ManagedProcess
from strangler_proxy.telemetry.files import FileSpanExporter

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "bench-events-token"
STRANGLER = str(Path(sys.executable).parent / "strangler")
OUTBOX = """
CREATE TABLE outbox (seq integer NOT NULL PRIMARY KEY AUTOINCREMENT, id char(32) NOT NULL
    UNIQUE, aggregatetype varchar(64) NOT NULL, aggregateid varchar(64) NOT NULL,
    type varchar(64) NOT NULL, aggregateversion integer NOT NULL, origin varchar(32) NOT NULL,
    payload text NOT NULL, headers text NOT NULL, timestamp datetime NOT NULL,
    published_at datetime NULL);
CREATE INDEX outbox_published_at_seq_idx ON outbox (published_at, seq);
"""
INSERT = (
    "INSERT INTO outbox (id, aggregatetype, aggregateid, type, aggregateversion, origin,"
    " payload, headers, timestamp) VALUES (?, 'product', ?, 'product.upserted', ?, 'monolith',"
    " ?, '{}', ?)"
)
PAYLOAD = orjson.dumps({"name": "Walnut desk", "price": "249.00", "tags": ["oak", "desk"]})


# -- outboxes -------------------------------------------------------------------------------


def new_outbox(work: Path, name: str) -> str:
    path = work / f"{name}.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(OUTBOX)
    db.close()
    return f"sqlite:///{path}"


def row(n: int, event_id: uuid.UUID) -> tuple[object, ...]:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return (event_id.hex, str(n % 50), n // 50 + 1, PAYLOAD.decode(), now)


def fill(url: str, count: int) -> None:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
        db.executemany(INSERT, [row(n, uuid.uuid4()) for n in range(count)])
    db.close()


def events(count: int) -> list[Event]:
    stamp = format_time(datetime.now(UTC))
    return [
        Event(str(uuid.uuid4()), "product", str(n % 50), "product.upserted", n // 50 + 1,
              "monolith", stamp, orjson.loads(PAYLOAD), {})
        for n in range(count)
    ]  # fmt: skip


# -- (a) throughput ---------------------------------------------------------------------


def relay_rate(
    url: str, target: Target, count: int, work: Path, tracer: Tracer | None = None
) -> float:
    """Events/s of the relay (in this process) moving ``count`` rows of ``url`` (with
    ``tracer``: a span per event, its context passed on)."""
    feed = Feed(Source("bench", url), Settings(), log=lambda _: None).open()
    dead = open_dead_letters(f"sqlite:///{work / 'dead-letters.sqlite3'}", create=True)

    async def run() -> float:
        stop = asyncio.Event()

        async def until_done() -> None:
            while feed.relayed < count:
                await asyncio.sleep(0.002)
            stop.set()

        started = time.perf_counter()
        await asyncio.gather(
            relay([feed], target, dead=dead, stop=stop, tracer=tracer), until_done()
        )
        return count / (time.perf_counter() - started)

    try:
        return asyncio.run(run())
    finally:
        feed.close()
        dead.close()


def empty_stream(broker: str) -> None:
    """Drop the stream's messages: (a) left 100,000s, which the deliverer of (b) would push
    before its own (its consumer starts at the stream's start)."""

    async def run() -> None:
        nc = await connect(broker)
        try:
            await nc.jetstream().purge_stream(STREAM)
        finally:
            await nc.close()

    asyncio.run(run())


def raw_publish_rate(broker: str, count: int) -> float:
    """Events/s of nats-py publishing ``count`` messages to the stream, all acks awaited."""
    messages = [(subject_for(e.aggregatetype), e.id, e.to_json()) for e in events(count)]

    async def run() -> float:
        nc = await connect(broker)
        try:
            js = nc.jetstream()
            await ensure_stream(js)
            started = time.perf_counter()
            futures = [
                await js.publish_async(s, body, stream=STREAM, headers={"Nats-Msg-Id": i})
                for s, i, body in messages
            ]
            await asyncio.gather(*futures)
            return count / (time.perf_counter() - started)
        finally:
            await nc.close()

    return asyncio.run(run())


def raw_push_rate(subscriber: Subscriber, count: int, batch: int) -> float:
    """Events/s of pushing ``count`` events straight to the subscriber, ``batch`` at a time."""
    all_events = events(count)

    async def run() -> float:
        async with Inbox(subscriber, TOKEN) as inbox:
            started = time.perf_counter()
            for start in range(0, count, batch):
                await inbox.push(all_events[start : start + batch])
            return count / (time.perf_counter() - started)

    return asyncio.run(run())


# -- (b) latency --------------------------------------------------------------------------


AfterCommit = Callable[[str, tuple[object, ...]], None]


def steady_writer(
    url: str, rate: float, seconds: float, after_commit: AfterCommit
) -> dict[str, float]:
    """Commit one row per transaction at ``rate``/s for ``seconds``: id -> commit time."""
    db = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None, timeout=10)
    db.execute("PRAGMA synchronous=NORMAL")
    committed: dict[str, float] = {}
    total = int(rate * seconds)
    start = time.perf_counter()
    try:
        for n in range(total):
            delay = start + n / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            event_id = uuid.uuid4()
            values = row(n, event_id)
            db.execute("BEGIN IMMEDIATE")
            db.execute(INSERT, values)
            db.execute("COMMIT")
            committed[str(event_id)] = time.time()
            after_commit(str(event_id), values)
    finally:
        db.close()
    return committed


def latencies(
    committed: dict[str, float], where: StandIn | BrokerWatch, timeout: float = 15
) -> list[float]:
    """Seconds from each commit to its arrival ``where`` (waits for them all)."""
    deadline = time.monotonic() + timeout
    while True:
        arrivals = where.arrivals()
        if all(i in arrivals for i in committed) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    missing = [i for i in committed if i not in arrivals]
    if missing:
        raise click.ClickException(f"{len(missing)} events never arrived ({type(where).__name__})")
    return [arrivals[i] - t for i, t in committed.items()]


def direct_push(stand_in: StandIn) -> AfterCommit:
    inbox = Inbox(stand_in.subscriber, TOKEN)
    stamp = format_time(datetime.now(UTC))

    def push(event_id: str, values: tuple[object, ...]) -> None:
        _, key, version, _, _ = values
        event = Event(event_id, "product", str(key), "product.upserted", int(str(version)),
                      "monolith", stamp, orjson.loads(PAYLOAD), {})  # fmt: skip
        inbox.push_sync([event])

    return push


def process(name: str, argv: list[str], work: Path, ready: str) -> ManagedProcess:
    return ManagedProcess(
        name, argv, health_url=None, cwd=ROOT, log_path=work / f"{name}.log",
        announces=re.compile(ready), start_timeout=30,
    ).start()  # fmt: skip


@contextmanager
def nats_server(work: Path) -> Iterator[str]:
    argv = ["/usr/sbin/nats-server", "-js", "-sd", str(work / "nats"), "-a", "127.0.0.1",
            "-p", "-1"]  # fmt: skip
    broker = process("nats-server", argv, work, r"connections on [^\s:]+:(?P<port>\d+)")
    try:
        yield f"nats://127.0.0.1:{broker.announced['port']}"
    finally:
        broker.stop()


@contextmanager
def path_to_subscriber(
    mode: str, work: Path, url: str, broker: str, stand_in: StandIn
) -> Iterator[None]:
    """The relay process (and, for JetStream, the deliverer) from ``url`` to the stand-in."""
    token = work / "events.token"
    token.write_text(TOKEN)
    relay_argv = [STRANGLER, "events", "relay", "--source", f"bench={url}",
                  "--dead-letters", f"sqlite:///{work / f'{mode}-dead.sqlite3'}"]  # fmt: skip
    started = []
    try:
        if mode == "embedded":
            relay_argv += ["--subscriber", f"bench={stand_in.subscriber.url}",
                           "--token-file", str(token)]  # fmt: skip
        else:
            relay_argv += ["--broker", broker]
            started.append(process("deliverer", [
                STRANGLER, "events", "deliver", "--broker", broker, "--token-file", str(token),
                "--subscriber", f"bench={stand_in.subscriber.url}",
                "--dead-letters", f"sqlite:///{work / 'deliver-dead.sqlite3'}",
            ], work, r"deliverer ready"))  # fmt: skip
        started.append(process(f"relay-{mode}", relay_argv, work, r"relay ready"))
        yield
    finally:
        for proc in reversed(started):
            proc.stop()


# -- the report -----------------------------------------------------------------------------


@click.command()
@click.option("--rounds", default=3, show_default=True)
@click.option("--rows", default=20_000, show_default=True, help="Rows relayed per round, (a).")
@click.option("--rate", default=500.0, show_default=True, help="Events/s written, (b).")
@click.option("--seconds", default=4.0, show_default=True, help="Per round and path, (b).")
def main(rounds: int, rows: int, rate: float, seconds: float) -> None:
    console = Console()
    rates: dict[str, list[float]] = {}
    delays: dict[str, list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-events-") as folder:
        work = Path(folder)
        with nats_server(work) as broker:
            stand_in = StandIn(work)
            try:
                for n in range(rounds):
                    console.print(f"(a) throughput, round {n + 1}/{rounds}", style="dim")
                    measure_throughput(work, n, rows, broker, stand_in, rates)
                empty_stream(broker)  # (b)'s deliverer starts at the stream's start
                for mode in ("direct", "embedded", "jetstream"):
                    measure_latency(work, mode, rounds, rate, seconds, broker, stand_in, delays)
            finally:
                stand_in.process.stop()
    report(console, rows, rounds, rate, rates, delays)


def measure_throughput(
    work: Path, n: int, rows: int, broker: str, stand_in: StandIn, rates: dict[str, list[float]]
) -> None:
    rates.setdefault("raw publish", []).append(raw_publish_rate(broker, rows))
    url = new_outbox(work, f"throughput-js-{n}")
    fill(url, rows)
    rates.setdefault("relay to JetStream", []).append(
        relay_rate(url, JetStreamTarget(broker), rows, work)
    )
    rates.setdefault("raw push", []).append(raw_push_rate(stand_in.subscriber, rows, 500))
    url = new_outbox(work, f"throughput-embedded-{n}")
    fill(url, rows)
    target = EmbeddedTarget((stand_in.subscriber,), TOKEN)
    rates.setdefault("relay embedded", []).append(relay_rate(url, target, rows, work))
    # traced: the span files of strangler up's default (strangler_files, batched; the
    # SDK's queue drops what it cannot keep up with, as it would in the relay)
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(FileSpanExporter(work / f"traces-{n}")))
    tracer = provider.get_tracer("bench")
    try:
        url = new_outbox(work, f"throughput-js-traced-{n}")
        fill(url, rows)
        rates.setdefault("relay to JetStream, traced", []).append(
            relay_rate(url, JetStreamTarget(broker), rows, work, tracer)
        )
        url = new_outbox(work, f"throughput-embedded-traced-{n}")
        fill(url, rows)
        rates.setdefault("relay embedded, traced", []).append(
            relay_rate(url, target, rows, work, tracer)
        )
    finally:
        provider.shutdown()


def measure_latency(
    work: Path, mode: str, rounds: int, rate: float, seconds: float, broker: str,
    stand_in: StandIn, delays: dict[str, list[tuple[float, float]]],
) -> None:  # fmt: skip
    url = new_outbox(work, f"latency-{mode}")
    after: AfterCommit = _nothing
    paths: AbstractContextManager[object] = nullcontext()
    if mode == "direct":
        after = direct_push(stand_in)
    else:
        paths = path_to_subscriber(mode, work, url, broker, stand_in)
    watch = BrokerWatch(broker) if mode == "jetstream" else None
    try:
        with paths:
            latencies(steady_writer(url, rate, 0.5, after), stand_in)  # warm-up, not counted
            for n in range(rounds):
                Console().print(f"(b) latency {mode}, round {n + 1}/{rounds}", style="dim")
                stand_in.reset()
                if watch is not None:
                    watch.reset()
                committed = steady_writer(url, rate, seconds, after)
                if watch is not None:
                    found = latencies(committed, watch)
                    delays.setdefault("broker", []).append(_p50_p99(found))
                delays.setdefault(mode, []).append(_p50_p99(latencies(committed, stand_in)))
    finally:  # also when a round fails: its thread would keep the process from exiting
        if watch is not None:
            watch.close()


def _p50_p99(found: list[float]) -> tuple[float, float]:
    return percentile(found, 0.5) * 1000, percentile(found, 0.99) * 1000


def _nothing(event_id: str, values: tuple[object, ...]) -> None:
    pass


def report(
    console: Console, rows: int, rounds: int, rate: float,
    rates: dict[str, list[float]], delays: dict[str, list[tuple[float, float]]],
) -> None:  # fmt: skip
    table = Table(title=escape(f"(a) {rows:,} outbox rows moved: events/s, median of {rounds} "
                               "rounds [lowest-highest]; goal >= 5,000 events/s"))  # fmt: skip
    for column in ("relay / baseline", "relay", "baseline", "ratio"):
        table.add_column(column, justify="right", no_wrap=True)
    lines = []
    for label, mine, base in (
        ("JetStream / nats-py publish", "relay to JetStream", "raw publish"),
        ("embedded / push, 500 a batch", "relay embedded", "raw push"),
        ("JetStream traced / untraced", "relay to JetStream, traced", "relay to JetStream"),
        ("embedded traced / untraced", "relay embedded, traced", "relay embedded"),
    ):
        ratio = [m / b for m, b in zip(rates[mine], rates[base], strict=True)]
        cells = (_s(rates[mine], "{:,.0f}"), _s(rates[base], "{:,.0f}"), _s(ratio, "{:.2f}"))
        table.add_row(label, *cells)
        lines.append(f"{label}: relay {cells[0]} events/s, baseline {cells[1]}, ratio {cells[2]}")
    console.print(table)
    table = Table(title=escape(f"(b) commit -> subscriber at {rate:g} events/s: ms, median of "
                               f"{rounds} rounds [lowest-highest]; goal p99 < 100 ms"))  # fmt: skip
    for column in ("path", "p50", "p99", "p99 / baseline"):
        table.add_column(column, justify="left" if column == "path" else "right", no_wrap=True)
    names = {
        "direct": "baseline: push after commit",
        "embedded": "embedded relay",
        "broker": "relay -> JetStream broker",
        "jetstream": "relay -> JetStream -> deliver",
    }
    base_p99 = [p99 for _, p99 in delays["direct"]]
    for mode, name in names.items():
        p50s = [p50 for p50, _ in delays[mode]]
        p99s = [p99 for _, p99 in delays[mode]]
        ratio = [m / b for m, b in zip(p99s, base_p99, strict=True)]
        cells = (_s(p50s, "{:.1f}"), _s(p99s, "{:.1f}"), _s(ratio, "{:.1f}"))
        table.add_row(name, *cells)
        lines.append(f"{name}: p50 {cells[0]} ms, p99 {cells[1]} ms, p99/baseline {cells[2]}")
    console.print(table)
    for line in lines:  # the same figures as plain lines, for notes
        console.print(escape(line), soft_wrap=True)
    console.print(f"load average {os.getloadavg()[0]:.2f}; {json.dumps(os.cpu_count())} cores")


def _s(values: list[float], shape: str) -> str:
    return escape(spread_text(values, shape))  # rich would read [low-high] as markup


if __name__ == "__main__":
    main()
