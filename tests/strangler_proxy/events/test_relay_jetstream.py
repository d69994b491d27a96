"""The JetStream side of the relay against a real nats-server: the stream, subjects,
dedupe by ``Nats-Msg-Id`` and the stream surviving a SIGKILL of the broker."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

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
from strangler_proxy.stack.process import free_port
from tests.strangler_proxy.events.brokers import NatsServer, running_nats, stream_messages


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
