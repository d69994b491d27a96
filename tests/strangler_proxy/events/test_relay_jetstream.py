"""The relay to NATS JetStream against a real nats-server: the stream, its subjects and
dedupe by ``Nats-Msg-Id``; the relay process publishing every outbox row (SQLite and
PostgreSQL) once and in order per entity, also when the relay and the broker are killed with
SIGKILL mid-stream; a dead broker at start."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from strangler_proxy.events.deadletters import open_dead_letters
from strangler_proxy.events.envelope import Event
from strangler_proxy.events.jetstream import (
    DUPLICATE_WINDOW,
    STREAM,
    BrokerUnavailable,
    Outgoing,
    acked_prefix,
    connect,
    ensure_stream,
    publish_batch,
    subject_for,
)
from strangler_proxy.events.outbox import APPLICATION
from strangler_proxy.stack.process import ProcessFailed, free_port
from tests.strangler_proxy.events.brokers import (
    NatsServer,
    running_nats,
    stream_messages,
    wait_until,
)
from tests.strangler_proxy.events.outboxes import (
    Change,
    connected,
    producer_url,
    published,
    scratch_database,
    sqlite_outbox,
    wait_published,
    write_events,
)
from tests.strangler_proxy.events.relays import kill, relay_process, running_relay


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[NatsServer]:
    with running_nats(tmp_path / "nats") as server:
        yield server


def messages(ids: range) -> list[Outgoing]:
    return [Outgoing(subject_for("product"), f"id-{i}", b'{"n": %d}' % i) for i in ids]


async def publish(url: str, batch: list[Outgoing]) -> int:
    nc = await connect(url)
    try:
        js = nc.jetstream()
        info = await ensure_stream(js)
        assert info.config.name == STREAM
        assert info.config.duplicate_window == DUPLICATE_WINDOW
        return acked_prefix(await publish_batch(js, batch))
    finally:
        await nc.close()


def test_a_batch_is_stored_in_order_once_even_when_published_twice(broker: NatsServer) -> None:
    assert asyncio.run(publish(broker.url, messages(range(50)))) == 50
    # a relay that died between publish and mark publishes the same rows again
    assert asyncio.run(publish(broker.url, messages(range(40, 60)))) == 20
    stored = stream_messages(broker.url)
    assert [m.msg_id for m in stored] == [f"id-{i}" for i in range(60)]
    assert {m.subject for m in stored} == {"events.product"}


def test_the_stream_and_its_dedupe_survive_a_sigkill_of_the_broker(broker: NatsServer) -> None:
    asyncio.run(publish(broker.url, messages(range(10))))
    broker.kill()
    broker.start()
    asyncio.run(publish(broker.url, messages(range(5, 15))))
    assert [m.msg_id for m in stream_messages(broker.url)] == [f"id-{i}" for i in range(15)]


def test_a_dead_broker_is_an_error_naming_its_url() -> None:
    url = f"nats://127.0.0.1:{free_port()}"
    with pytest.raises(BrokerUnavailable, match=f"cannot reach the NATS broker at {url}"):
        asyncio.run(connect(url, timeout=1.0))


# -- the relay process, outbox -> JetStream ---------------------------------------------------


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    with scratch_database() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def outbox(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A producer's empty outbox, on SQLite and on PostgreSQL."""
    return producer_url(request.param, tmp_path, lambda: request.getfixturevalue("database"))


def changes(count: int, start: int = 0, entities: int = 7) -> list[Change]:
    """Changes number ``start`` to ``start + count`` spread over ``entities`` products, each
    entity's versions going up 1, 2, ..."""
    return [
        ("product", str(n % entities), n // entities + 1, {"n": n})
        for n in range(start, start + count)
    ]


def assert_once_in_order(url: str, ids: list[str]) -> None:
    """The stream holds each id once, and each entity's versions in increasing order."""
    stored = stream_messages(url)
    assert sorted(m.msg_id for m in stored) == sorted(ids)
    seen: dict[str, int] = {}
    for message in stored:
        event = Event.from_json(message.body)
        assert message.msg_id == event.id and message.subject == f"events.{event.aggregatetype}"
        assert event.version > seen.get(event.aggregateid, 0), "an entity's events reordered"
        seen[event.aggregateid] = event.version


def test_the_relay_publishes_every_row_once_in_order(
    broker: NatsServer, outbox: str, tmp_path: Path
) -> None:
    ids = write_events(outbox, changes(300), per_commit=10)
    with running_relay(tmp_path, [f"monolith={outbox}"], broker=broker.url):
        wait_published(outbox, ids)
        more = write_events(outbox, changes(20, start=300))  # rows written while it runs
        wait_published(outbox, more)
    stored = stream_messages(broker.url)
    assert [m.msg_id for m in stored] == ids + more  # seq order, one source
    assert_once_in_order(broker.url, ids + more)


def test_rows_published_before_a_crash_are_not_stored_twice(
    broker: NatsServer, tmp_path: Path
) -> None:
    outbox = sqlite_outbox(tmp_path)
    ids = write_events(outbox, changes(200))
    # a relay published the first 120 rows, then died before it marked them
    first = [Outgoing("events.product", i, b"{}") for i in ids[:120]]
    assert asyncio.run(publish(broker.url, first)) == 120
    with running_relay(tmp_path, [f"monolith={outbox}"], broker=broker.url):
        wait_published(outbox, ids)
    assert [m.msg_id for m in stream_messages(broker.url)] == ids


def test_sigkill_of_the_relay_and_of_the_broker_mid_stream_loses_and_repeats_nothing(
    broker: NatsServer, tmp_path: Path
) -> None:
    outbox = sqlite_outbox(tmp_path)
    written: list[str] = []
    writer = threading.Thread(
        target=lambda: written.extend(write_events(outbox, changes(3000), per_commit=5))
    )
    writer.start()
    relay = relay_process(tmp_path, [f"monolith={outbox}"], broker=broker.url).start()
    try:
        wait_until(lambda: len(published(outbox)) > 300, "the relay to publish some rows")
        kill(relay)  # mid-stream: rows published and not marked, a batch half acked
        relay.start()
        wait_until(lambda: len(published(outbox)) > 1200, "the restarted relay to go on")
        broker.kill()  # mid-stream again: the relay keeps its rows until the broker is back
        broker.start()
        writer.join(60)
        wait_published(outbox, written, timeout=60)
    finally:
        relay.stop()
        writer.join(60)
    assert len(written) == 3000
    assert_once_in_order(broker.url, written)


def test_a_dead_broker_at_start_is_an_error_naming_its_url(tmp_path: Path) -> None:
    outbox = sqlite_outbox(tmp_path)
    url = f"nats://127.0.0.1:{free_port()}"
    done = run_relay_command(["--source", f"monolith={outbox}", "--broker", url])
    assert done.returncode == 1
    assert f"cannot reach the NATS broker at {url}" in done.stderr
    assert "relay ready" not in done.stdout


def run_relay_command(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "strangler_proxy.cli.events_relay", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_row_that_is_no_event_is_a_dead_letter_and_holds_nothing_up(
    broker: NatsServer, tmp_path: Path
) -> None:
    outbox = sqlite_outbox(tmp_path)
    before = write_events(outbox, changes(3))
    [bad] = write_events(outbox, changes(1, start=3))
    after = write_events(outbox, changes(3, start=4))
    with connected(outbox) as (db, _):
        db.execute("UPDATE outbox SET payload = '[1, 2]' WHERE id = ?", (bad.replace("-", ""),))
    with running_relay(tmp_path, [f"monolith={outbox}"], broker=broker.url):
        wait_published(outbox, [*before, bad, *after])
        second = relay_process(tmp_path / "second", [f"monolith={outbox}"], broker=broker.url)
        with pytest.raises(ProcessFailed, match="another relay already relays source monolith"):
            second.start()  # one relay per outbox
    assert [m.msg_id for m in stream_messages(broker.url)] == before + after
    dead = open_dead_letters(f"sqlite:///{tmp_path / 'dead-letters.sqlite3'}")
    [letter] = dead.letters()
    dead.close()
    assert (letter.subscriber, letter.event_id) == ("outbox:monolith", bad)
    assert letter.reason.startswith("not an event: payload: not a JSON object (outbox row seq 4")


@pytest.mark.postgres
def test_a_lost_database_connection_is_made_again(
    broker: NatsServer, database: str, tmp_path: Path
) -> None:
    outbox = producer_url("postgresql", tmp_path, lambda: database)
    first = write_events(outbox, changes(50))
    with running_relay(tmp_path, [f"monolith={outbox}"], broker=broker.url):
        wait_published(outbox, first)
        with psycopg.connect(database, autocommit=True) as admin:  # as a database restart
            (ended,) = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE application_name = %s AND datname = current_database()",
                (APPLICATION,),
            ).fetchone() or (0,)
        assert ended == 1
        then = write_events(outbox, changes(50, start=50))
        wait_published(outbox, then)
    assert_once_in_order(broker.url, first + then)
    assert "is back" in (tmp_path / "relay.log").read_text()


def test_two_sources_in_one_relay_and_a_clean_stop(broker: NatsServer, tmp_path: Path) -> None:
    monolith = sqlite_outbox(tmp_path, "monolith.sqlite3")
    catalog = sqlite_outbox(tmp_path, "catalog.sqlite3")
    from_monolith = write_events(monolith, changes(40))
    from_catalog = write_events(catalog, changes(30, start=40), origin="catalog")
    relay = relay_process(
        tmp_path, [f"monolith={monolith}", f"catalog={catalog}"], broker=broker.url
    ).start()
    wait_published(monolith, from_monolith)
    wait_published(catalog, from_catalog)
    assert relay.stop() == 0  # SIGTERM: the batches in flight finished, then exit 0
    assert "relay stopped: monolith 40, catalog 30" in (tmp_path / "relay.log").read_text()
    stored = [m.msg_id for m in stream_messages(broker.url)]
    assert sorted(stored) == sorted(from_monolith + from_catalog)
    assert [i for i in stored if i in set(from_catalog)] == from_catalog  # each in seq order
    assert [i for i in stored if i in set(from_monolith)] == from_monolith
