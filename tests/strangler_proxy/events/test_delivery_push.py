"""Pushing a batch to a subscriber's inbox (DESIGN §5), against a real stand-in process."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from strangler_proxy.events.envelope import Outcome
from strangler_proxy.events.push import DeliveryFailed, Inbox
from strangler_proxy.events.subscriber import Subscriber
from strangler_proxy.stack.process import free_port
from tests.strangler_proxy.events.delivery_kit import TOKEN, StandInSubscriber, event, stand_in


@pytest.fixture(scope="module")
def subscriber(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StandInSubscriber]:
    with stand_in(tmp_path_factory.mktemp("push")) as running:
        yield running


def test_a_batch_is_applied_in_order_and_a_second_push_is_duplicate(
    subscriber: StandInSubscriber,
) -> None:
    batch = [event("1", 1), event("1", 2), event("2", 1)]
    with Inbox(subscriber.subscriber, TOKEN) as inbox:
        first = inbox.push_sync(batch)
        again = inbox.push_sync(batch)
    assert [r.outcome for r in first] == [Outcome.APPLIED] * 3
    assert [r.id for r in first] == [e.id for e in batch]
    assert {r.outcome for r in again} == {Outcome.DUPLICATE}


def test_an_older_version_is_stale_and_a_poison_event_rejected_with_its_reason(
    subscriber: StandInSubscriber,
) -> None:
    async def push() -> list[Outcome | str]:
        async with Inbox(subscriber.subscriber, TOKEN) as inbox:
            results = await inbox.push(
                [event("7", 5), event("7", 4), event("8", 1, poison="payload.price: not a decimal")]
            )
        return [r.outcome for r in results] + [results[2].reason]

    assert asyncio.run(push()) == [
        Outcome.APPLIED, Outcome.STALE, Outcome.REJECTED, "payload.price: not a decimal"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("mode", "token", "reason"),
    [
        ("fail", TOKEN, "answered 503: failing on purpose"),
        ("garbage", TOKEN, "answered a malformed body: answer is not JSON"),
        ("ok", "forged", "answered 401: bad events token"),
    ],
)
def test_every_failure_is_one_delivery_failed_naming_the_subscriber(
    subscriber: StandInSubscriber, mode: str, token: str, reason: str
) -> None:
    subscriber.mode(mode)
    try:
        with Inbox(subscriber.subscriber, token) as inbox, pytest.raises(DeliveryFailed) as caught:
            inbox.push_sync([event("9", 1)])
    finally:
        subscriber.mode("ok")
    assert caught.value.reason.startswith(f"catalog at {subscriber.url} {reason}")
    assert subscriber.applied()[-1][2] != "product:9"  # nothing was applied


def test_a_dead_subscriber_is_a_delivery_failure_not_a_crash(tmp_path: Path) -> None:
    dead = Subscriber("notifications", f"http://127.0.0.1:{free_port()}/internal/events/")
    with Inbox(dead, TOKEN, timeout=2) as inbox, pytest.raises(DeliveryFailed) as caught:
        inbox.push_sync([event()])
    assert caught.value.reason.startswith(f"notifications at {dead.url} did not answer: ")
    assert isinstance(caught.value.__cause__, Exception)
