"""The order lifecycle is recorded as events whichever way the notifications switch points."""

from __future__ import annotations

import pytest

from legacy_monolith.notifications.models import Notification
from legacy_monolith.orders.models import Order
from legacy_monolith.outbox.models import Outbox
from tests.legacy_monolith.conftest import assert_error, fill_cart, first_address
from tests.legacy_monolith.outbox.conftest import payload_of, recorded


def checkout(client, method: str = "card"):
    fill_cart(client, (1, 2), (3, 1))
    body = {"address": first_address(client), "payment_method": method}
    return client.post("/api/orders/checkout/", body, format="json")


def order_events(order_id: int) -> list[tuple[str, int]]:
    return [(t, v) for t, _, v in recorded(aggregatetype="order", aggregateid=str(order_id))]


def test_checkout_records_placed_captured_and_paid(alice):
    response = checkout(alice)
    assert response.status_code == 201, response.content
    order = response.json()

    assert order_events(order["id"]) == [
        ("order.placed", 1),
        ("payment.captured", 2),
        ("order.status_changed", 3),
    ]
    placed = payload_of("order.placed", order["id"])
    assert placed["number"] == order["number"]
    assert placed["username"] == "customer0001" and placed["email"]
    assert placed["status"] == "placed" and placed["total"] == order["total"]
    assert placed["placed_at"].endswith("Z")
    assert [(line["product_id"], line["quantity"]) for line in placed["lines"]] == [(1, 2), (3, 1)]
    captured = payload_of("payment.captured", order["id"])
    assert captured == {
        "order_id": order["id"],
        "number": order["number"],
        "customer_id": placed["customer_id"],
        "amount": order["total"],
        "method": "card",
    }
    assert payload_of("order.status_changed", order["id"])["status"] == "paid"


def test_a_declined_checkout_records_nothing(alice):
    assert_error(checkout(alice, method="declined-card"), 402, "payment_declined")
    assert Outbox.objects.count() == 0


def test_cancel_records_the_status_the_cancellation_and_the_refund(alice):
    order = checkout(alice).json()
    cancelled = alice.post(f"/api/orders/{order['id']}/cancel/")
    assert cancelled.status_code == 200, cancelled.content

    assert order_events(order["id"])[3:] == [
        ("order.status_changed", 4),
        ("order.cancelled", 5),
        ("payment.refunded", 6),
    ]
    assert payload_of("order.status_changed", order["id"])["status"] == "cancelled"
    refunded = payload_of("payment.refunded", order["id"])
    assert refunded["amount"] == order["total"] and refunded["reference"].startswith("REF-")


def test_a_staff_refund_records_the_refund_and_the_refunded_status(alice, staff):
    order = checkout(alice).json()
    payment = order["payment"]["id"]
    refunded = staff.post(f"/api/payments/{payment}/refund/", {}, format="json")
    assert refunded.status_code == 201, refunded.content

    assert order_events(order["id"])[3:] == [
        ("payment.refunded", 4),
        ("order.status_changed", 5),
    ]
    assert payload_of("order.status_changed", order["id"])["status"] == "refunded"


def test_dispatch_records_the_shipment_and_the_shipped_status(alice, staff):
    order = checkout(alice).json()
    shipment = Order.objects.get(pk=order["id"]).shipment
    sent = staff.post(f"/api/shipping/shipments/{shipment.pk}/dispatch/")
    assert sent.status_code == 200, sent.content

    assert order_events(order["id"])[3:] == [("shipment.sent", 4), ("order.status_changed", 5)]
    assert payload_of("shipment.sent", order["id"])["tracking_number"] == (shipment.tracking_number)
    assert payload_of("order.status_changed", order["id"])["status"] == "shipped"


@pytest.mark.parametrize(("backend", "notifications"), [(None, 2), ("local", 2), ("events", 0)])
def test_the_notifications_switch(alice, monkeypatch, backend, notifications):
    """events: the monolith writes no notification, checkout works and records its events."""
    if backend is None:
        monkeypatch.delenv("NOTIFICATIONS_BACKEND", raising=False)
    else:
        monkeypatch.setenv("NOTIFICATIONS_BACKEND", backend)
    before = Notification.objects.count()

    response = checkout(alice)

    assert response.status_code == 201, response.content
    assert Notification.objects.count() - before == notifications
    assert len(order_events(response.json()["id"])) == 3


def test_an_unknown_notifications_backend_is_named(alice, monkeypatch):
    monkeypatch.setenv("NOTIFICATIONS_BACKEND", "pigeon")
    assert_error(checkout(alice), 500, "server_error")
    assert Outbox.objects.count() == 0
