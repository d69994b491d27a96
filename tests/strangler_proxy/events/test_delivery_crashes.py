"""``kill -9`` mid-stream, of the deliverer and of nats-server: after a restart every event is
applied exactly once in effect (the stand-in's inbox turns redeliveries into duplicates)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.strangler_proxy.events.brokers import NatsServer, running_nats, wait_until
from tests.strangler_proxy.events.delivery_kit import (
    StandInSubscriber,
    delivering,
    event,
    publish,
    stand_in,
    versions_by_key,
)

#: a small batch, a slow subscriber (0.2 s a batch) and a short ack wait: the kill lands
#: mid-stream, and what was in flight is offered again soon after
OPTIONS = ("--batch", "10", "--ack-wait", "2", "--retry-delay", "0.1", "--max-retry-delay", "0.5")
ENTITIES, VERSIONS = 10, 25


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[NatsServer]:
    with running_nats(tmp_path / "nats") as server:
        yield server


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[StandInSubscriber]:
    with stand_in(tmp_path, "catalog") as subscriber:
        subscriber.mode("slow")
        yield subscriber


def publish_stream(url: str) -> set[str]:
    published = [event(str(k), v) for v in range(1, VERSIONS + 1) for k in range(ENTITIES)]
    publish(url, published)
    return {e.id for e in published}


def assert_applied_exactly_once(catalog: StandInSubscriber, published: set[str]) -> None:
    wait_until(lambda: len(catalog.applied()) == len(published), "every event applied", 60)
    applied = catalog.applied()
    assert [row[0] for row in applied if row[0] not in published] == []
    assert len({row[0] for row in applied}) == len(applied) == len(published)
    expected = list(range(1, VERSIONS + 1))
    assert versions_by_key(applied) == {f"product:{k}": expected for k in range(ENTITIES)}


def test_kill_9_of_the_deliverer_mid_stream(
    tmp_path: Path, broker: NatsServer, catalog: StandInSubscriber
) -> None:
    published = publish_stream(broker.url)
    with delivering(tmp_path, broker.url, [catalog.spec], *OPTIONS) as deliverer:
        wait_until(lambda: len(catalog.applied()) >= 40, "some events applied")
        deliverer.kill()
        cut = len(catalog.applied())
        assert cut < len(published)
        deliverer.start()
        assert_applied_exactly_once(catalog, published)


def test_kill_9_of_nats_server_mid_stream(
    tmp_path: Path, broker: NatsServer, catalog: StandInSubscriber
) -> None:
    published = publish_stream(broker.url)
    with delivering(tmp_path, broker.url, [catalog.spec], *OPTIONS) as deliverer:
        wait_until(lambda: len(catalog.applied()) >= 40, "some events applied")
        broker.kill()
        assert len(catalog.applied()) < len(published)
        wait_until(lambda: "lost the broker" in deliverer.log(), "the deliverer noticed")
        broker.start()  # same port, same store: the deliverer reconnects on its own
        assert_applied_exactly_once(catalog, published)
        assert "the broker is back" in deliverer.log()


def test_a_broker_back_without_its_store_gets_the_consumer_made_again(
    tmp_path: Path, broker: NatsServer, catalog: StandInSubscriber
) -> None:
    catalog.mode("ok")
    publish(broker.url, [first := event("1", 1)])
    with delivering(tmp_path, broker.url, [catalog.spec]) as deliverer:
        wait_until(lambda: len(catalog.applied()) == 1, "the first event applied")
        broker.kill()
        shutil.rmtree(broker.store_dir)  # its stream and the consumer are gone with it
        broker.start()
        publish(broker.url, [second := event("2", 1)])
        wait_until(lambda: len(catalog.applied()) == 2, "the event published afterwards")
    assert [row[0] for row in catalog.applied()] == [first.id, second.id]
    assert "catalog: its consumer is gone from the broker: made again" in deliverer.log()
