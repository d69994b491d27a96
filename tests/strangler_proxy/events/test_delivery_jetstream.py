"""``strangler events deliver`` between a real nats-server and a real stand-in subscriber:
effect exactly once, in order per entity, retried while the subscriber is down, poison and
hopeless events to the dead letters."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from strangler_proxy.events.jetstream import Outgoing
from tests.strangler_proxy.events.brokers import NatsServer, running_nats, wait_until
from tests.strangler_proxy.events.delivery_kit import (
    STRANGLER,
    DelivererProcess,
    StandInSubscriber,
    delivering,
    event,
    publish,
    stand_in,
    versions_by_key,
)
from tests.strangler_proxy.store.conftest import postgres_database, postgres_url

__all__ = ["postgres_database", "postgres_url"]  # fixtures, used by name
FAST_RETRY = ("--retry-delay", "0.05", "--max-retry-delay", "0.2")


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[NatsServer]:
    with running_nats(tmp_path / "nats") as server:
        yield server


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[StandInSubscriber]:
    with stand_in(tmp_path, "catalog", ("product", "category")) as subscriber:
        yield subscriber


def strangler(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([STRANGLER, "events", *args], capture_output=True, text=True, timeout=60)


def test_every_event_is_applied_once_in_order_per_entity_and_other_topics_are_skipped(
    tmp_path: Path, broker: NatsServer, catalog: StandInSubscriber
) -> None:
    interleaved = [event(str(key), version) for version in range(1, 21) for key in range(3)]
    orders = [event(str(n), 1, kind="order") for n in range(5)]  # not catalog's topic
    publish(broker.url, interleaved[:30] + orders + interleaved[30:])
    with delivering(tmp_path, broker.url, [catalog.spec], "--batch", "7") as deliverer:
        wait_until(lambda: len(catalog.applied()) == 60, "60 events applied")
    assert deliverer.exit_code == 0 and deliverer.log().endswith("deliverer stopped\n")
    applied = catalog.applied()
    assert sorted(row[0] for row in applied) == sorted(e.id for e in interleaved)
    assert versions_by_key(applied) == {f"product:{k}": list(range(1, 21)) for k in range(3)}


def test_a_subscriber_that_is_down_gets_everything_when_it_is_back(
    tmp_path: Path, broker: NatsServer, catalog: StandInSubscriber
) -> None:
    catalog.kill()
    published = [event(str(n % 4), n // 4 + 1) for n in range(40)]
    publish(broker.url, published)
    options = ("--max-deliver", "1000", "--batch", "7", *FAST_RETRY)  # 6 batches wait in turn
    with delivering(tmp_path, broker.url, [catalog.spec], *options) as deliverer:
        wait_until(lambda: deliverer.log().count("did not answer") >= 3, "three failed deliveries")
        catalog.start()  # same port, same inbox database
        wait_until(lambda: len(catalog.applied()) == 40, "40 events applied")
    assert sorted(row[0] for row in catalog.applied()) == sorted(e.id for e in published)
    assert versions_by_key(catalog.applied()) == {
        f"product:{k}": list(range(1, 11)) for k in range(4)
    }
    assert dead_letters(deliverer.dead_letters) == []


def test_a_poison_event_is_a_dead_letter_at_once_and_the_rest_go_on(
    tmp_path: Path, broker: NatsServer, catalog: StandInSubscriber
) -> None:
    poison = event("2", 1, poison="payload.price: not a decimal")
    before, after = event("1", 1), event("3", 1)
    publish(broker.url, [before, poison, ("events.category", "not-json", b"\xff{"), after])
    with delivering(tmp_path, broker.url, [catalog.spec]) as deliverer:
        wait_until(lambda: len(catalog.applied()) == 2, "the two good events applied")
        wait_until(lambda: len(dead_letters(deliverer.dead_letters)) == 2, "two dead letters")
    assert [row[0] for row in catalog.applied()] == [before.id, after.id]
    found = {
        d["event_id"]: (d["attempts"], d["reason"]) for d in dead_letters(deliverer.dead_letters)
    }
    assert found[poison.id] == (1, "rejected by the subscriber: payload.price: not a decimal")
    assert found["not-json"][0] == 1
    assert found["not-json"][1].startswith("not an event: event: not JSON")


def dead_letters(url: str) -> list[dict[str, Any]]:
    listed = strangler("dead-letters", "--dead-letters", url, "--json")
    assert listed.returncode == 0, listed.stderr
    return list(json.loads(listed.stdout))


def test_a_dead_letters_log_line_carries_the_trace_of_its_event(
    tmp_path: Path, broker: NatsServer, catalog: StandInSubscriber
) -> None:
    """The deliverer's line about a dead letter names the trace of the write that made the
    event (its ``traceparent`` header), so the line and the trace find each other."""
    poison = event("10", 1, poison="payload.sku: blank")
    trace_id, span_id = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    traced = {"traceparent": f"00-{trace_id}-{span_id}-01"}
    publish(broker.url, [Outgoing(poison.subject, poison.id, poison.to_json(), traced)])
    with delivering(tmp_path, broker.url, [catalog.spec]) as deliverer:
        wait_until(lambda: "dead letter 1:" in deliverer.log(), "the poison's letter")
    line = next(json.loads(x) for x in deliverer.log().splitlines() if "dead letter 1:" in x)
    assert (line["level"], line["trace_id"], line["span_id"]) == ("WARNING", trace_id, span_id)


def test_a_subscriber_that_keeps_failing_makes_a_dead_letter_after_max_deliver(
    tmp_path: Path, broker: NatsServer, catalog: StandInSubscriber
) -> None:
    catalog.mode("fail")
    hopeless = event("5", 1)
    publish(broker.url, [hopeless])
    with delivering(tmp_path, broker.url, [catalog.spec], "--max-deliver", "3", *FAST_RETRY) as d:
        wait_until(lambda: dead_letters(d.dead_letters), "a dead letter")
        catalog.mode("ok")
        publish(broker.url, [later := event("6", 1)])
        wait_until(lambda: len(catalog.applied()) == 1, "the next event applied")
    (letter,) = dead_letters(d.dead_letters)
    assert (letter["event_id"], letter["subscriber"], letter["attempts"]) == (
        hopeless.id,
        "catalog",
        3,
    )
    assert (
        letter["reason"]
        == f"catalog at {catalog.url} answered 503: failing on purpose (delivery 3 of 3)"
    )
    assert letter["url"] == catalog.url and letter["replayed_at"] is None
    assert letter["first_failed_at"] < letter["last_failed_at"]
    assert [row[0] for row in catalog.applied()] == [later.id]


def test_a_wrong_events_token_makes_no_dead_letters_and_says_what_to_fix(
    tmp_path: Path, broker: NatsServer, catalog: StandInSubscriber
) -> None:
    publish(broker.url, [waiting := event("8", 1)])
    fast = ("--max-deliver", "1", "--retry-delay", "0.05", "--max-retry-delay", "0.1")
    deliverer = DelivererProcess(tmp_path, broker.url, [catalog.spec], *fast)
    (tmp_path / "events.token").write_text("not the subscriber's token\n")
    try:
        deliverer.start()
        wait_until(lambda: deliverer.log().count("answered 401") >= 3, "three refusals")
        assert dead_letters(deliverer.dead_letters) == []
        assert "check the events token (--token-file, EVENTS_TOKEN)" in deliverer.log()
    finally:
        deliverer.stop()
    with delivering(tmp_path, broker.url, [catalog.spec], *fast):  # the right token
        wait_until(lambda: len(catalog.applied()) == 1, "the event applied")
    assert catalog.applied()[0][0] == waiting.id


@pytest.mark.postgres
def test_a_dead_letter_store_that_fails_keeps_the_event_in_the_stream(
    tmp_path: Path, broker: NatsServer, catalog: StandInSubscriber, postgres_url: str
) -> None:
    poison = event("9", 1, poison="payload.sku: blank")
    fast = ("--dead-letters", postgres_url, "--max-retry-delay", "0.2")
    with delivering(tmp_path, broker.url, [catalog.spec], *fast) as deliverer:
        with psycopg.connect(postgres_url, autocommit=True) as db:
            db.execute("ALTER TABLE strangler_dead_letters RENAME TO gone")  # the store breaks
        publish(broker.url, [poison])
        refused = f"cannot keep event {poison.id} as a dead letter (dead-letter store: "
        wait_until(lambda: deliverer.log().count(refused) >= 2, "two failed attempts")
        with psycopg.connect(postgres_url, autocommit=True) as db:
            db.execute("ALTER TABLE gone RENAME TO strangler_dead_letters")  # mended
        wait_until(lambda: "dead letter 1:" in deliverer.log(), "the letter kept at last")
    (letter,) = dead_letters(postgres_url)
    assert (letter["event_id"], letter["reason"]) == (
        poison.id,
        "rejected by the subscriber: payload.sku: blank",
    )
    assert catalog.applied() == []


def test_each_subscriber_gets_its_topics_and_a_failing_one_holds_up_no_other(
    tmp_path: Path, broker: NatsServer, catalog: StandInSubscriber
) -> None:
    with stand_in(tmp_path, "notifications", ("order",)) as notifications:
        notifications.mode("fail")
        products = [event(str(n), 1) for n in range(5)]
        orders = [event(str(n), 1, kind="order") for n in range(5)]
        publish(broker.url, [e for pair in zip(products, orders, strict=True) for e in pair])
        specs = [catalog.spec, notifications.spec]
        with delivering(tmp_path, broker.url, specs, "--max-deliver", "1000", *FAST_RETRY):
            wait_until(lambda: len(catalog.applied()) == 5, "catalog's products")
            assert notifications.applied() == []
            notifications.mode("ok")
            wait_until(lambda: len(notifications.applied()) == 5, "notifications' orders")
        assert [row[0] for row in catalog.applied()] == [e.id for e in products]
        assert [row[0] for row in notifications.applied()] == [e.id for e in orders]
