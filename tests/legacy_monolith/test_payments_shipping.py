from typing import Any

from legacy_monolith.payments.models import Payment
from legacy_monolith.shipping.models import Shipment
from tests.legacy_monolith.conftest import assert_error, fill_cart, first_address


def place_order(client) -> dict[str, Any]:
    fill_cart(client, (1, 1), (4, 2))
    response = client.post(
        "/api/orders/checkout/",
        {"address": first_address(client), "payment_method": "card"},
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_payments_are_private(alice, bob, anon, staff):
    order = place_order(alice)
    payment = order["payment"]["id"]
    assert payment in [p["id"] for p in alice.get("/api/payments/").json()["results"]]
    detail = alice.get(f"/api/payments/{payment}/").json()
    assert detail["transaction_id"] == order["payment"]["transaction_id"]
    assert detail["order_number"] == order["number"]
    assert_error(bob.get(f"/api/payments/{payment}/"), 404, "not_found")
    assert_error(anon.get("/api/payments/"), 401, "not_authenticated")
    assert staff.get("/api/payments/").json()["count"] == Payment.objects.count()


def test_staff_refund_partially_then_fully(alice, staff):
    order = place_order(alice)
    url = f"/api/payments/{order['payment']['id']}/refund/"
    partial = staff.post(url, {"amount": "1.00", "reason": "scratch"}, format="json")
    assert partial.status_code == 201
    assert partial.json()["amount"] == "1.00"
    assert staff.get(url.replace("refund/", "")).json()["status"] == "partially_refunded"
    error = assert_error(
        staff.post(url, {"amount": "100000.00"}, format="json"),
        400,
        "validation_error",
        field="amount",
    )
    assert "can still be refunded" in error["message"]
    rest = staff.post(url, {}, format="json")
    assert rest.status_code == 201
    assert alice.get(f"/api/orders/{order['id']}/").json()["status"] == "refunded"
    assert_error(staff.post(url, {}, format="json"), 409, "conflict")


def test_refund_errors(alice, staff):
    order = place_order(alice)
    url = f"/api/payments/{order['payment']['id']}/refund/"
    assert_error(alice.post(url, {}, format="json"), 403, "permission_denied")
    assert_error(
        staff.post(url, {"amount": "-5"}, format="json"), 400, "validation_error", field="amount"
    )
    assert_error(staff.post("/api/payments/999999/refund/", {}, format="json"), 404, "not_found")


def test_shipments_dispatch_and_deliver(alice, bob, staff):
    order = place_order(alice)
    shipment = order["shipment"]["id"]
    url = f"/api/shipping/shipments/{shipment}/"
    assert alice.get(url).json()["order_number"] == order["number"]
    assert shipment in [s["id"] for s in alice.get("/api/shipping/shipments/").json()["results"]]
    assert_error(bob.get(url), 404, "not_found")
    assert_error(alice.post(f"{url}dispatch/"), 403, "permission_denied")
    assert_error(staff.post(f"{url}deliver/"), 409, "conflict")
    dispatched = staff.post(f"{url}dispatch/")
    assert dispatched.json()["status"] == "dispatched"
    assert alice.get(f"/api/orders/{order['id']}/").json()["status"] == "shipped"
    assert_error(alice.post(f"/api/orders/{order['id']}/cancel/"), 409, "conflict")
    assert_error(staff.post(f"{url}dispatch/"), 409, "conflict")
    assert staff.post(f"{url}deliver/").json()["status"] == "delivered"
    assert alice.get(f"/api/orders/{order['id']}/").json()["status"] == "delivered"
    assert_error(staff.post("/api/shipping/shipments/999999/deliver/"), 404, "not_found")
    assert staff.get("/api/shipping/shipments/").json()["count"] == Shipment.objects.count()


def test_shipping_rates(alice, bob, anon):
    fill_cart(alice, (1, 1))
    body = alice.get(f"/api/shipping/rates/?address={first_address(alice)}").json()
    assert body["rates"] and {"carrier", "cost", "eta_days"} <= set(body["rates"][0])
    assert isinstance(body["weight_kg"], float)
    costs = [float(r["cost"]) for r in body["rates"]]
    assert costs == sorted(costs)
    error = assert_error(
        alice.get("/api/shipping/rates/"), 400, "validation_error", field="address"
    )
    assert "?address=" in error["message"]
    assert_error(alice.get(f"/api/shipping/rates/?address={first_address(bob)}"), 404, "not_found")
    assert_error(anon.get("/api/shipping/rates/?address=1"), 401, "not_authenticated")
