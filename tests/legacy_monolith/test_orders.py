"""Cart, checkout (one transaction across six apps) and cancellation."""

from decimal import Decimal

import pytest

from legacy_monolith.inventory.models import Reservation, StockItem
from legacy_monolith.notifications.models import Notification
from legacy_monolith.orders.models import Order
from legacy_monolith.payments.models import Payment
from legacy_monolith.shipping.models import Shipment
from tests.legacy_monolith.conftest import assert_error, fill_cart, first_address


def row_counts() -> dict[str, int]:
    return {
        "orders": Order.objects.count(),
        "reservations": Reservation.objects.count(),
        "payments": Payment.objects.count(),
        "shipments": Shipment.objects.count(),
        "notifications": Notification.objects.count(),
        "reserved units": sum(StockItem.objects.values_list("reserved", flat=True)),
    }


def test_cart_add_update_remove_clear(alice):
    assert alice.get("/api/orders/cart/").json()["items"] == []
    fill_cart(alice, (1, 2), (3, 1), (1, 1))
    cart = alice.get("/api/orders/cart/").json()
    assert [(i["product"], i["quantity"]) for i in cart["items"]] == [(1, 3), (3, 1)]
    assert cart["item_count"] == 4
    assert Decimal(cart["subtotal"]) == sum(Decimal(i["line_total"]) for i in cart["items"])
    item = cart["items"][0]["id"]
    patched = alice.patch(f"/api/orders/cart/items/{item}/", {"quantity": 5}, format="json")
    assert patched.json()["quantity"] == 5
    assert alice.delete(f"/api/orders/cart/items/{item}/").status_code == 204
    assert len(alice.get("/api/orders/cart/").json()["items"]) == 1
    assert alice.post("/api/orders/cart/clear/").json()["items"] == []


def test_cart_errors(alice, bob, anon):
    assert_error(anon.get("/api/orders/cart/"), 401, "not_authenticated")
    error = assert_error(
        alice.post("/api/orders/cart/items/", {"product": 99999}, format="json"),
        400,
        "validation_error",
        field="product",
    )
    assert "does not exist or is not sold" in error["message"]
    assert_error(
        alice.post("/api/orders/cart/items/", {"product": 1, "quantity": 0}, format="json"),
        400,
        "validation_error",
        field="quantity",
    )
    fill_cart(bob, (1, 1))
    bobs_item = bob.get("/api/orders/cart/").json()["items"][0]["id"]
    assert_error(
        alice.patch(f"/api/orders/cart/items/{bobs_item}/", {"quantity": 2}, format="json"),
        404,
        "not_found",
    )
    assert_error(
        bob.patch(f"/api/orders/cart/items/{bobs_item}/", {"quantity": 500}, format="json"),
        400,
        "validation_error",
        field="quantity",
    )
    assert_error(alice.get("/api/orders/cart/clear/"), 405, "method_not_allowed")


def test_checkout_creates_order_reservations_payment_shipment_notification(alice):
    before = row_counts()
    fill_cart(alice, (1, 2), (3, 1))
    response = alice.post(
        "/api/orders/checkout/",
        {"address": first_address(alice), "payment_method": "card"},
        format="json",
    )
    assert response.status_code == 201, response.content
    order = response.json()
    assert order["status"] == "paid"
    assert [(line["product"], line["quantity"]) for line in order["lines"]] == [(1, 2), (3, 1)]
    assert Decimal(order["total"]) == Decimal(order["subtotal"]) + Decimal(order["shipping_cost"])
    assert order["payment"]["amount"] == order["total"]
    assert order["shipment"]["status"] == "scheduled"
    after = row_counts()
    assert after["orders"] == before["orders"] + 1
    assert after["reservations"] == before["reservations"] + 2
    assert after["reserved units"] == before["reserved units"] + 3
    assert after["payments"] == before["payments"] + 1
    assert after["shipments"] == before["shipments"] + 1
    assert after["notifications"] >= before["notifications"] + 1
    assert alice.get("/api/orders/cart/").json()["items"] == []
    assert alice.get(f"/api/orders/{order['id']}/").json()["number"] == order["number"]


@pytest.mark.parametrize(
    ("method", "scarce", "status", "code"),
    [("declined-card", False, 402, "payment_declined"), ("card", True, 409, "out_of_stock")],
)
def test_failed_checkout_rolls_everything_back(alice, scarce_product, method, scarce, status, code):
    product = scarce_product if scarce else 1
    fill_cart(alice, (3, 1), (product, 2))
    before = row_counts()
    response = alice.post(
        "/api/orders/checkout/",
        {"address": first_address(alice), "payment_method": method},
        format="json",
    )
    assert_error(response, status, code)
    assert row_counts() == before  # no order, reservation, payment, shipment or notification
    assert len(alice.get("/api/orders/cart/").json()["items"]) == 2  # the cart survives


def test_checkout_validation(alice, bob):
    error = assert_error(
        alice.post(
            "/api/orders/checkout/", {"address": 1, "payment_method": "card"}, format="json"
        ),
        400,
        "empty_cart",
    )
    assert "cart is empty" in error["message"]
    fill_cart(alice, (1, 1))
    error = assert_error(
        alice.post(
            "/api/orders/checkout/",
            {"address": first_address(alice), "payment_method": "iou"},
            format="json",
        ),
        400,
        "validation_error",
        field="payment_method",
    )
    assert "not a payment method" in error["message"]
    error = assert_error(
        alice.post(
            "/api/orders/checkout/",
            {"address": first_address(bob), "payment_method": "card"},
            format="json",
        ),
        400,
        "validation_error",
        field="address",
    )
    assert "not one of yours" in error["message"]


def test_orders_are_private_and_staff_see_all(alice, bob, staff, anon):
    mine = alice.get("/api/orders/").json()
    assert mine["count"] >= 1
    theirs = bob.get("/api/orders/").json()["results"]
    assert not {o["id"] for o in theirs} & {o["id"] for o in mine["results"]}
    assert_error(bob.get(f"/api/orders/{mine['results'][0]['id']}/"), 404, "not_found")
    assert staff.get("/api/orders/").json()["count"] == Order.objects.count()
    delivered = staff.get("/api/orders/?status=delivered").json()["results"]
    assert delivered and all(o["status"] == "delivered" for o in delivered)
    assert_error(staff.get("/api/orders/?status=lost"), 400, "validation_error", field="status")
    assert_error(anon.get("/api/orders/"), 401, "not_authenticated")
    assert_error(alice.get("/api/orders/999999/"), 404, "not_found")


def test_cancel_releases_stock_refunds_and_cancels_shipment(alice, bob):
    fill_cart(alice, (1, 2))
    order = alice.post(
        "/api/orders/checkout/",
        {"address": first_address(alice), "payment_method": "card"},
        format="json",
    ).json()
    reserved = row_counts()["reserved units"]
    assert_error(bob.post(f"/api/orders/{order['id']}/cancel/"), 404, "not_found")
    cancelled = alice.post(f"/api/orders/{order['id']}/cancel/")
    assert cancelled.status_code == 200
    body = cancelled.json()
    assert body["status"] == "cancelled"
    assert body["payment"]["status"] == "refunded"
    assert body["shipment"]["status"] == "cancelled"
    assert row_counts()["reserved units"] == reserved - 2
    assert Reservation.objects.filter(order_id=order["id"], status="released").count() == 1
    error = assert_error(alice.post(f"/api/orders/{order['id']}/cancel/"), 409, "conflict")
    assert "only placed or paid" in error["message"]
    assert_error(alice.post("/api/orders/999999/cancel/"), 404, "not_found")
