"""``POST /internal/events/``: the order lifecycle's events, delivered over HTTP, make exactly
the notifications the monolith writes for the same order, once each, in order per order."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import RunningServer
from tests.extracted_services.notifications.conftest import EVENTS_TOKEN, Notifications
from tests.extracted_services.notifications.events import OrderEvents
from tests.extracted_services.notifications.service import (
    outcomes,
    post_events,
    start_notifications,
    stored_notifications,
)
from tests.extracted_services.notifications.shop import Shopper, login, ship_and_deliver

#: What both sides must agree on (ids and timestamps are each side's own).
COMPARED = ("template", "order", "channel", "subject", "body", "is_read")


def as_monolith_serves(row: dict[str, Any]) -> dict[str, Any]:
    """A service row as the compared fields of the API (``order`` is the order's id)."""
    return {
        "template": row["template"],
        "order": row["order_id"],
        "channel": row["channel"],
        "subject": row["subject"],
        "body": row["body"],
        "is_read": row["read_at"] is not None,
    }


def compared(notification: dict[str, Any]) -> dict[str, Any]:
    return {name: notification[name] for name in COMPARED}


def test_a_delivered_order_writes_what_the_monolith_writes(
    monolith_server: RunningServer, notifications: Notifications
) -> None:
    shopper = Shopper.register(monolith_server.base_url)
    order = shopper.checkout()
    payment, shipment = shopper.payment(order["id"]), shopper.shipment(order["id"])
    with closing(login(monolith_server.base_url, "staff", "staff-demo-pass")) as staff:
        ship_and_deliver(staff, shipment["id"])
    order = shopper.order(order["id"])
    assert order["status"] == "delivered"
    events = OrderEvents(order)
    lifecycle = [
        *events.checkout(shopper.username, payment),
        events.status_changed("shipped"),
        events.shipment_sent(shipment),
        events.status_changed("delivered"),
    ]

    answer = post_events(notifications.base_url, EVENTS_TOKEN, lifecycle)

    assert [r["id"] for r in answer.json()["results"]] == [e["id"] for e in lifecycle]
    assert outcomes(answer) == [
        "applied",  # order.placed: order_placed
        "ignored",  # the status change to paid: the receipt says it
        "applied",  # payment.captured: payment_receipt
        "applied",  # shipped
        "ignored",  # shipment.sent writes nothing
        "applied",  # delivered
    ]
    theirs = [compared(n) for n in shopper.notifications(order["id"])]
    ours = stored_notifications(notifications.var_dir, "order_id = ?", order["id"])
    assert [as_monolith_serves(row) for row in ours] == theirs
    assert [n["template"] for n in theirs] == [
        "order_status",
        "order_status",
        "payment_receipt",
        "order_placed",
    ]
    assert {row["customer_id"] for row in ours} == {shopper.customer_id}


def test_a_cancelled_order_writes_what_the_monolith_writes(
    monolith_server: RunningServer, notifications: Notifications
) -> None:
    shopper = Shopper.register(monolith_server.base_url)
    order = shopper.checkout()
    payment = shopper.payment(order["id"])
    cancelled = shopper.client.post(f"/api/orders/{order['id']}/cancel/")
    assert cancelled.status_code == 200, cancelled.text
    events = OrderEvents(shopper.order(order["id"]))
    lifecycle = [
        *events.checkout(shopper.username, payment),
        events.status_changed("cancelled"),
        events.cancelled(),
        events.payment_refunded(payment),
    ]

    answer = post_events(notifications.base_url, EVENTS_TOKEN, lifecycle)

    assert outcomes(answer) == ["applied", "ignored", "applied", "applied", "ignored", "ignored"]
    theirs = [compared(n) for n in shopper.notifications(order["id"])]
    ours = stored_notifications(notifications.var_dir, "order_id = ?", order["id"])
    assert [as_monolith_serves(row) for row in ours] == theirs
    assert theirs[0]["subject"] == f"Order {order['number']} is cancelled"


def fake_order(order_id: int) -> dict[str, Any]:
    """An order the monolith never saw: the service takes events at their word."""
    return {
        "id": order_id,
        "number": str(uuid.uuid4()),
        "customer": 990_000 + order_id,
        "total": "12.50",
        "placed_at": "2026-12-01T11:00:00Z",
        "lines": [{"product": 1, "quantity": 1, "unit_price": "12.50"}],
    }


def test_a_redelivered_event_is_a_duplicate(notifications: Notifications) -> None:
    events = OrderEvents(fake_order(900_001))
    placed = events.placed("someone")
    assert outcomes(post_events(notifications.base_url, EVENTS_TOKEN, [placed])) == ["applied"]
    again = post_events(notifications.base_url, EVENTS_TOKEN, [placed, placed])
    assert outcomes(again) == ["duplicate", "duplicate"]
    assert len(stored_notifications(notifications.var_dir, "order_id = 900001")) == 1


def test_an_older_event_after_a_newer_one_still_notifies(notifications: Notifications) -> None:
    """Order events are facts, not the order's state: "placed" arriving after "shipped" (a
    dead letter replayed later, say) still owes the customer their notification."""
    events = OrderEvents(fake_order(900_002))
    placed, shipped = events.placed("someone"), events.status_changed("shipped")
    answer = post_events(notifications.base_url, EVENTS_TOKEN, [shipped, placed])
    assert outcomes(answer) == ["applied", "applied"]
    again = post_events(notifications.base_url, EVENTS_TOKEN, [placed, shipped])
    assert outcomes(again) == ["duplicate", "duplicate"]
    subjects = sorted(
        r["subject"] for r in stored_notifications(notifications.var_dir, "order_id = 900002")
    )
    number = events.order["number"]
    assert subjects == [f"Order {number} is shipped", f"Thank you for your order {number}"]


def test_events_that_write_nothing_are_ignored(notifications: Notifications) -> None:
    events = OrderEvents(fake_order(900_004))
    product = {**events.placed("x"), "aggregatetype": "product", "type": "product.upserted"}
    ours = {**events.status_changed("shipped"), "origin": "notifications"}
    unknown = events.event("order.exploded")
    answer = post_events(notifications.base_url, EVENTS_TOKEN, [product, ours, unknown])
    assert outcomes(answer) == ["ignored", "ignored", "ignored"]
    assert stored_notifications(notifications.var_dir, "order_id = 900004") == []


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"version": "3"}, "version: not an integer ('3')"),
        ({"timestamp": "yesterday"}, "timestamp: not an ISO 8601 datetime ('yesterday')"),
        ({"id": "not-a-uuid"}, "id: not a UUID ('not-a-uuid')"),
        ({"payload": []}, "payload: not a JSON object ([])"),
        ({"payload": {"order_id": 900005, "customer_id": 1}}, "payload.number: not a UUID (None)"),
        ({"aggregateid": "1"}, "payload.order_id: 900005 is not the aggregateid '1'"),
    ],
)
def test_a_poison_event_is_rejected_naming_the_field(
    notifications: Notifications, change: dict[str, Any], reason: str
) -> None:
    event = {**OrderEvents(fake_order(900_005)).placed("x"), **change}
    answer = post_events(notifications.base_url, EVENTS_TOKEN, [event])
    assert answer.json()["results"] == [
        {"id": event["id"], "outcome": "rejected", "reason": reason}
    ]


def test_a_poison_event_does_not_stop_the_others(notifications: Notifications) -> None:
    events = OrderEvents(fake_order(900_006))
    receipt = events.payment_captured({"amount": "a lot", "method": "card"})
    shipped = events.status_changed("shipped")
    answer = post_events(notifications.base_url, EVENTS_TOKEN, ["junk", receipt, shipped])
    assert answer.json()["results"] == [
        {"id": None, "outcome": "rejected", "reason": "event: not a JSON object"},
        {
            "id": receipt["id"],
            "outcome": "rejected",
            "reason": "payload.amount: not a decimal ('a lot')",
        },
        {"id": shipped["id"], "outcome": "applied"},
    ]


def test_without_templates_the_monolith_fallback_texts_are_written(
    notifications: Notifications, tmp_path: Path
) -> None:
    # A service nobody backfilled has no templates: the monolith's FALLBACK texts.
    with start_notifications(tmp_path, EVENTS_TOKEN=EVENTS_TOKEN) as bare:
        events = OrderEvents(fake_order(900_007))
        lifecycle = [
            events.placed("x"),
            events.payment_captured({"amount": "12.50", "method": "card"}),
        ]
        assert outcomes(post_events(bare.base_url, EVENTS_TOKEN, lifecycle)) == [
            "applied",
            "applied",
        ]
    number = events.order["number"]
    assert [
        (r["template"], r["channel"], r["subject"], r["body"])
        for r in stored_notifications(tmp_path)
    ] == [
        (None, "email", f"Receipt for order {number}", "We charged 12.50 EUR."),
        (None, "email", f"Thank you for your order {number}", f"We received order {number}."),
    ]


def test_deliveries_need_the_events_token(notifications: Notifications) -> None:
    event = OrderEvents(fake_order(900_008)).placed("x")
    for token in (None, "wrong-token"):
        answer = post_events(notifications.base_url, token, [event])
        assert answer.status_code == 401
        assert answer.json()["error"]["status"] == 401
    assert post_events(notifications.base_url, None, [event]).json()["error"]["code"] == (
        "not_authenticated"
    )
    assert stored_notifications(notifications.var_dir, "order_id = 900008") == []


def test_without_an_events_token_the_service_takes_no_events(tmp_path: Path) -> None:
    with start_notifications(tmp_path, EVENTS_TOKEN="") as closed:
        event = OrderEvents(fake_order(900_009)).placed("x")
        answer = post_events(closed.base_url, "", [event])
        assert answer.status_code == 401
        assert answer.json()["error"] == {
            "status": 401,
            "code": "authentication_failed",
            "message": "EVENTS_TOKEN is not set on this service: it accepts no events.",
        }


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", "parse_error"),
        (b'{"events": {"id": 1}}', "validation_error"),
        (b"[]", "validation_error"),
    ],
)
def test_a_malformed_body_is_a_400_in_the_envelope(
    notifications: Notifications, body: bytes, code: str
) -> None:
    answer = httpx.post(
        f"{notifications.base_url}/internal/events/",
        content=body,
        headers={"Authorization": f"Bearer {EVENTS_TOKEN}", "Content-Type": "application/json"},
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == code


def test_the_same_batch_delivered_in_parallel_applies_once(notifications: Notifications) -> None:
    events = OrderEvents(fake_order(900_010))
    lifecycle = [events.placed("x"), events.status_changed("shipped")]
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(
            pool.map(
                lambda _: post_events(notifications.base_url, EVENTS_TOKEN, lifecycle), range(6)
            )
        )
    every = [outcomes(answer) for answer in answers]
    assert sorted(o for batch in every for o in batch) == ["applied"] * 2 + ["duplicate"] * 10
    assert len(stored_notifications(notifications.var_dir, "order_id = 900010")) == 2
