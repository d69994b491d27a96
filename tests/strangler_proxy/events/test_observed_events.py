"""Traces and metrics of the events (issue 11): the trace context an outbox row carries goes
through the relay (a PRODUCER span), the broker (message headers and the envelope's), the
deliverer (a CONSUMER span) to the inbox, each hop a child of the one before; the embedded
relay likewise; with tracing off the headers pass untouched; ``--metrics-listen`` serves the
counts and gauges. A real nats-server, real stand-in inboxes, the relay and the deliverer
in-process (spans into memory) or as processes (spans into files, metrics over HTTP)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import click
import httpx
import orjson
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode, Tracer
from prometheus_client.parser import text_string_to_metric_families

from strangler_proxy.cli.events_relay import metrics_at
from strangler_proxy.events.consumer import Settings as DeliverySettings
from strangler_proxy.events.consumer import deliver
from strangler_proxy.events.deadletters import open_dead_letters
from strangler_proxy.events.feed import Feed, Settings
from strangler_proxy.events.instruments import EventMetrics
from strangler_proxy.events.relay import EmbeddedTarget, JetStreamTarget, relay
from strangler_proxy.events.sources import parse_source
from strangler_proxy.stack.process import ManagedProcess
from strangler_proxy.telemetry.traces import read_spans
from tests.strangler_proxy.events.brokers import (
    NatsServer,
    running_nats,
    stream_messages,
    wait_until,
)
from tests.strangler_proxy.events.delivery_kit import (
    ROOT,
    STRANGLER,
    TOKEN,
    stand_in,
)
from tests.strangler_proxy.events.outboxes import Change, sqlite_outbox, write_events

TRACE, PARENT = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
HEADERS = {
    "traceparent": f"00-{TRACE}-{PARENT}-01",
    "tracestate": "vendor=kept",
    "x-request-id": "req-42",
}
GOOD = ("product", "1", 1, {"id": 1})
POISON = ("product", "2", 1, {"id": 2, "poison": "no such category"})
REVIEWS: list[Change] = [
    ("review", "1", 1, {"id": 1}),
    ("review", "2", 1, {"id": 2, "poison": "no product"}),
]


@pytest.fixture(scope="module")
def nats(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    with running_nats(tmp_path_factory.mktemp("nats")) as server:
        yield server


def memory_tracer() -> tuple[Tracer, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider.get_tracer("test"), exporter


@contextlib.contextmanager
def in_background(run: Callable[[asyncio.Event], Awaitable[object]]) -> Iterator[None]:
    """``run(stop)`` on an event loop of its own thread, stopped when the block ends."""
    started, box = threading.Event(), dict[str, Any]()

    async def main() -> None:
        stop = asyncio.Event()
        box["loop"], box["stop"] = asyncio.get_running_loop(), stop
        started.set()
        await run(stop)

    thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
    thread.start()
    started.wait(10)
    try:
        yield
    finally:
        box["loop"].call_soon_threadsafe(box["stop"].set)
        thread.join(30)
        assert not thread.is_alive(), "the relay or deliverer did not stop"


def feeds_of(outbox: str) -> list[Feed]:
    return [Feed(parse_source(f"monolith={outbox}"), Settings(poll_interval=0.01), print).open()]


def traceparent(span: ReadableSpan) -> str:
    assert span.context is not None
    return f"00-{span.context.trace_id:032x}-{span.context.span_id:016x}-01"


def one(spans: list[ReadableSpan], name: str, event_id: str) -> ReadableSpan:
    found = [
        s
        for s in spans
        if s.name == name and (s.attributes or {}).get("messaging.message.id") == event_id
    ]
    assert len(found) == 1, [s.name for s in spans]
    return found[0]


def parent_of(span: ReadableSpan) -> tuple[str, str]:
    assert span.parent is not None
    return f"{span.parent.trace_id:032x}", f"{span.parent.span_id:016x}"


def test_the_trace_goes_from_the_outbox_through_the_broker_to_the_inbox(
    tmp_path: Path, nats: NatsServer
) -> None:
    tracer, exporter = memory_tracer()
    outbox = sqlite_outbox(tmp_path)
    dead = open_dead_letters(f"sqlite:///{tmp_path / 'dead.sqlite3'}", create=True)
    good, poison = write_events(outbox, [GOOD, POISON], headers=HEADERS)
    with stand_in(tmp_path, "catalog", ("product",)) as catalog:

        async def both(stop: asyncio.Event) -> None:
            settings = DeliverySettings(fetch_wait=0.2)
            await asyncio.gather(
                relay(feeds_of(outbox), JetStreamTarget(nats.url), dead=dead, stop=stop,
                      tracer=tracer),
                deliver(nats.url, [catalog.subscriber], TOKEN, dead, stop, settings,
                        tracer=tracer),
            )  # fmt: skip

        with in_background(both):
            wait_until(lambda: len(exporter.get_finished_spans()) >= 4, "4 spans ended")
            received = catalog.headers()
    spans = list(exporter.get_finished_spans())

    publish = one(spans, "product.upserted publish", good)
    assert publish.kind is SpanKind.PRODUCER and parent_of(publish) == (TRACE, PARENT)
    assert (publish.attributes or {})["messaging.system"] == "nats"
    stored = next(m for m in stream_messages(nats.url) if m.msg_id == good)
    assert stored.headers["traceparent"] == traceparent(publish)
    assert stored.headers["tracestate"] == "vendor=kept"
    envelope = orjson.loads(stored.body)["headers"]
    assert envelope == {**HEADERS, "traceparent": traceparent(publish)}

    process = one(spans, "product.upserted process", good)
    assert process.kind is SpanKind.CONSUMER
    assert parent_of(process) == (TRACE, traceparent(publish)[36:52])
    attributes = process.attributes or {}
    assert attributes["strangler.event.outcome"] == "applied"
    assert attributes["strangler.subscriber"] == "catalog"
    assert attributes["messaging.destination.name"] == "events.product"
    assert received[good] == {**HEADERS, "traceparent": traceparent(process)}

    rejected = one(spans, "product.upserted process", poison)
    assert (rejected.attributes or {})["strangler.event.outcome"] == "rejected"
    assert rejected.status.status_code is StatusCode.ERROR


def test_the_embedded_relay_passes_its_span_to_the_inbox_and_counts(tmp_path: Path) -> None:
    tracer, exporter = memory_tracer()
    metrics = EventMetrics()
    outbox = sqlite_outbox(tmp_path)
    dead = open_dead_letters(f"sqlite:///{tmp_path / 'dead.sqlite3'}", create=True)
    good, _ = write_events(outbox, [GOOD, POISON], headers=HEADERS)
    with stand_in(tmp_path, "catalog") as catalog:
        target = EmbeddedTarget((catalog.subscriber,), TOKEN)

        async def run(stop: asyncio.Event) -> None:
            await relay(feeds_of(outbox), target, dead=dead, stop=stop, tracer=tracer,
                        metrics=metrics)  # fmt: skip

        def published() -> float | None:
            return metrics.registry.get_sample_value(
                "strangler_events_published_total", {"source": "monolith"}
            )

        with in_background(run):
            wait_until(lambda: published() == 2, "both rows marked published")
            received = catalog.headers()
    publish = one(list(exporter.get_finished_spans()), "product.upserted publish", good)
    assert publish.kind is SpanKind.PRODUCER and parent_of(publish) == (TRACE, PARENT)
    attributes = publish.attributes or {}
    assert attributes["messaging.system"] == "embedded"
    assert attributes["strangler.event.outcome"] == "applied"
    assert received[good] == {**HEADERS, "traceparent": traceparent(publish)}
    applied = "strangler_events_applied_total"
    for outcome in ("applied", "rejected"):
        labels = {"subscriber": "catalog", "outcome": outcome}
        assert metrics.registry.get_sample_value(applied, labels) == 1


def test_with_tracing_off_the_headers_pass_untouched(tmp_path: Path, nats: NatsServer) -> None:
    outbox = sqlite_outbox(tmp_path)
    dead = open_dead_letters(f"sqlite:///{tmp_path / 'dead.sqlite3'}", create=True)
    (good,) = write_events(outbox, [("order", "7", 1, {"id": 7})], headers=HEADERS)
    with stand_in(tmp_path, "notifications", ("order",)) as inbox:

        async def both(stop: asyncio.Event) -> None:
            await asyncio.gather(
                relay(feeds_of(outbox), JetStreamTarget(nats.url), dead=dead, stop=stop),
                deliver(nats.url, [inbox.subscriber], TOKEN, dead, stop,
                        DeliverySettings(fetch_wait=0.2)),
            )  # fmt: skip

        with in_background(both):
            wait_until(lambda: good in inbox.headers(), "the order delivered")
            received = inbox.headers()
    assert received[good] == HEADERS
    stored = next(m for m in stream_messages(nats.url) if m.msg_id == good)
    assert "traceparent" not in stored.headers


METRICS = re.compile(r"^metrics on (?P<url>http://127\.0\.0\.1:\d+/metrics)$", re.M)


def started(name: str, argv: list[str], folder: Path, env: dict[str, str]) -> ManagedProcess:
    ready = re.compile(METRICS.pattern + rf"(?s:.*)^{name} ready: ", re.M)
    return ManagedProcess(
        name, argv, health_url=None, env=env, cwd=ROOT, log_path=folder / f"{name}.log",
        announces=ready, start_timeout=20,
    ).start()  # fmt: skip


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = httpx.get(url, trust_env=False).text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


AT, SOURCE = (("subscriber", "search"),), (("source", "monolith"),)


def gauges(deliverer: str, relay: str) -> tuple[float | None, ...]:
    """Dead letters, pending (the deliverer's) and backlog (the relay's)."""
    found = scrape(deliverer)
    return (
        found.get(("strangler_events_dead_letters", AT)),
        found.get(("strangler_events_consumer_pending", AT)),
        scrape(relay).get(("strangler_events_outbox_backlog", SOURCE)),
    )


def test_relay_and_deliverer_processes_serve_metrics_and_write_spans(
    tmp_path: Path, nats: NatsServer
) -> None:
    outbox = sqlite_outbox(tmp_path)
    token_file = tmp_path / "events.token"
    token_file.write_text(TOKEN)
    traces = tmp_path / "traces"
    env = {**os.environ, "OTEL_TRACES_EXPORTER": "strangler_files",
           "STRANGLER_TRACES_DIR": str(traces), "OTEL_BSP_SCHEDULE_DELAY": "100"}  # fmt: skip
    dead = ["--dead-letters", f"sqlite:///{tmp_path / 'dead.sqlite3'}"]
    listen = ["--metrics-listen", "127.0.0.1:0"]
    good, _ = write_events(outbox, REVIEWS, headers=HEADERS)
    with stand_in(tmp_path, "search", ("review",)) as search:
        relay_argv = [sys.executable, "-m", "strangler_proxy.cli.events_relay", "--broker",
                      nats.url, "--source", f"monolith={outbox}", *dead, *listen]  # fmt: skip
        deliver_argv = [STRANGLER, "events", "deliver", "--broker", nats.url, "--subscriber",
                        search.spec, "--token-file", str(token_file), *dead, *listen]  # fmt: skip
        relay_process = started("relay", relay_argv, tmp_path, env)
        deliverer = started("deliverer", deliver_argv, tmp_path, env)
        try:
            relay_url, deliverer_url = (
                METRICS.search(p.log_path.read_text())["url"]  # type: ignore[index, union-attr]
                for p in (relay_process, deliverer)
            )
            wait_until(lambda: good in search.headers(), "the good event applied")
            wait_until(  # the gauges are read every 2 s
                lambda: gauges(deliverer_url, relay_url) == (1, 0, 0),
                "the dead-letter gauge at 1, the backlog and pending at 0",
            )
            relayed, delivered = scrape(relay_url), scrape(deliverer_url)
            host, port = relay_url.split("/")[2].split(":")
            taken = r"cannot serve metrics on 127\.0\.0\.1:\d+ \(--metrics-listen\)"
            with pytest.raises(click.ClickException, match=taken):
                metrics_at(EventMetrics(), (host, int(port)))
        finally:
            deliverer.stop()
            relay_process.stop()
    assert relayed[("strangler_events_published_total", SOURCE)] == 2
    for outcome in ("applied", "rejected"):
        key = ("strangler_events_applied_total", (("outcome", outcome), ("subscriber", "search")))
        assert delivered[key] == 1
    assert delivered[("strangler_events_consumer_lag_seconds", AT)] == 0
    lines = [orjson.loads(line) for line in (tmp_path / "deliverer.log").read_text().splitlines()
             if line.startswith("{")]  # fmt: skip
    letter = next(line for line in lines if line["message"].startswith("dead letter 1:"))
    assert (letter["service"], letter["level"]) == ("strangler-deliverer", "WARNING")

    spans = {
        (s.service, s.name): s
        for s in read_spans(traces)
        if s.attributes.get("messaging.message.id") == good
    }
    publish = spans[("strangler-relay", "review.upserted publish")]
    process = spans[("strangler-deliverer", "review.upserted process")]
    assert publish.trace_id == process.trace_id == TRACE
    assert (publish.parent_id, process.parent_id) == (PARENT, publish.span_id)
