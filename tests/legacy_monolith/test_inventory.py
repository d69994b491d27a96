from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from legacy_monolith.inventory.models import Reservation, StockItem
from tests.legacy_monolith.conftest import assert_error


def test_warehouses_read_by_customers_written_by_staff(alice, staff):
    listing = alice.get("/api/inventory/warehouses/").json()
    assert [w["code"] for w in listing["results"]] == ["BER", "HAM"]
    assert alice.get("/api/inventory/warehouses/1/").json()["code"] == "BER"
    created = staff.post(
        "/api/inventory/warehouses/",
        {"code": "VIE", "name": "Vienna DC", "city": "Vienna", "country": "AT"},
        format="json",
    )
    assert created.status_code == 201
    url = f"/api/inventory/warehouses/{created.json()['id']}/"
    assert staff.patch(url, {"is_active": False}, format="json").json()["is_active"] is False


def test_warehouse_errors(alice, staff, anon):
    assert_error(
        alice.post("/api/inventory/warehouses/", {"code": "X"}, format="json"),
        403,
        "permission_denied",
    )
    assert_error(anon.get("/api/inventory/warehouses/"), 401, "not_authenticated")
    assert_error(
        staff.post(
            "/api/inventory/warehouses/", {"code": "BER", "name": "dup", "city": "x"}, format="json"
        ),
        400,
        "validation_error",
        field="code",
    )
    assert_error(staff.get("/api/inventory/warehouses/999/"), 404, "not_found")
    assert_error(staff.delete("/api/inventory/warehouses/1/"), 405, "method_not_allowed")


def test_stock_filters(alice):
    rows = alice.get("/api/inventory/stock/?product=1").json()["results"]
    assert rows and all(r["product"] == 1 for r in rows)
    rows = alice.get("/api/inventory/stock/?warehouse=2").json()["results"]
    assert all(r["warehouse_code"] == "HAM" for r in rows)
    first = rows[0]
    assert alice.get(f"/api/inventory/stock/{first['id']}/").json()["available"] == (
        first["quantity"] - first["reserved"]
    )
    assert_error(alice.get("/api/inventory/stock/999999/"), 404, "not_found")
    assert_error(
        alice.get("/api/inventory/stock/?warehouse=abc"), 400, "validation_error", field="warehouse"
    )


def test_staff_adjust_stock(staff, alice):
    item = StockItem.objects.first()
    response = staff.post(
        f"/api/inventory/stock/{item.pk}/adjust/",
        {"delta": 5, "reason": "found a box"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["quantity"] == item.quantity + 5
    assert item.movements.filter(reason="found a box", delta=5).exists()
    assert_error(
        alice.post(
            f"/api/inventory/stock/{item.pk}/adjust/", {"delta": 5, "reason": "x"}, format="json"
        ),
        403,
        "permission_denied",
    )
    assert_error(
        staff.post(f"/api/inventory/stock/{item.pk}/adjust/", {"delta": 0}, format="json"),
        400,
        "validation_error",
        field="delta",
    )
    error = assert_error(
        staff.post(
            f"/api/inventory/stock/{item.pk}/adjust/",
            {"delta": -100000, "reason": "x"},
            format="json",
        ),
        409,
        "conflict",
    )
    assert "on hand" in error["message"]
    assert_error(
        staff.post(
            "/api/inventory/stock/999999/adjust/", {"delta": 1, "reason": "x"}, format="json"
        ),
        404,
        "not_found",
    )


def test_reserve_and_release(alice, bob):
    before = StockItem.objects.filter(product_id=1).order_by("warehouse__priority").first()
    created = alice.post(
        "/api/inventory/reservations/", {"product": 1, "quantity": 2}, format="json"
    )
    assert created.status_code == 201
    reservation = created.json()
    before.refresh_from_db()
    assert reservation["status"] == "active"
    url = f"/api/inventory/reservations/{reservation['id']}/"
    assert alice.get(url).json()["quantity"] == 2
    assert reservation["id"] in [
        r["id"] for r in alice.get("/api/inventory/reservations/").json()["results"]
    ]
    assert_error(bob.get(url), 404, "not_found")
    released = alice.post(f"{url}release/")
    assert released.json()["status"] == "released"
    reserved_after = StockItem.objects.get(pk=before.pk).reserved
    assert reserved_after == before.reserved - 2
    assert_error(alice.post(f"{url}release/"), 409, "conflict")


def test_reservation_errors(alice, anon, scarce_product):
    error = assert_error(
        alice.post(
            "/api/inventory/reservations/",
            {"product": scarce_product, "quantity": 2},
            format="json",
        ),
        409,
        "out_of_stock",
    )
    assert "SKU-000002" in error["message"]
    assert_error(
        alice.post("/api/inventory/reservations/", {"product": 1, "quantity": 0}, format="json"),
        400,
        "validation_error",
        field="quantity",
    )
    assert_error(
        alice.post(
            "/api/inventory/reservations/", {"product": 99999, "quantity": 1}, format="json"
        ),
        400,
        "validation_error",
        field="product",
    )
    assert_error(
        anon.post("/api/inventory/reservations/", {"product": 1, "quantity": 1}, format="json"),
        401,
        "not_authenticated",
    )
    assert_error(alice.get("/api/inventory/reservations/999999/"), 404, "not_found")


def expire(reservation_id: int) -> None:
    Reservation.objects.filter(pk=reservation_id).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )


def test_an_expired_reservation_gives_its_stock_back_to_the_next_reserver(
    alice, bob, scarce_product
):
    def reserve(client):
        return client.post(
            "/api/inventory/reservations/",
            {"product": scarce_product, "quantity": 1},
            format="json",
        )

    units = sum(i.available for i in StockItem.objects.filter(product_id=scarce_product))
    first, *rest = [reserve(alice).json() for _ in range(units)]  # all of it
    assert first["expires_at"] is not None
    assert_error(reserve(bob), 409, "out_of_stock")
    expire(first["id"])
    assert reserve(bob).status_code == 201  # alice's first unit came back and went to bob
    assert alice.get(f"/api/inventory/reservations/{first['id']}/").json()["status"] == "released"
    for other in rest:
        assert alice.get(f"/api/inventory/reservations/{other['id']}/").json()["status"] == "active"
    assert all(i.available == 0 for i in StockItem.objects.filter(product_id=scarce_product))


def test_the_release_command_sweeps_expired_reservations_and_keeps_the_rest(alice):
    made = [
        alice.post(
            "/api/inventory/reservations/", {"product": 1, "quantity": 1}, format="json"
        ).json()["id"]
        for _ in range(3)
    ]
    item = StockItem.objects.get(pk=Reservation.objects.get(pk=made[0]).stock_item_id)
    reserved = item.reserved
    expire(made[0])
    expire(made[1])
    out = StringIO()
    call_command("release_expired_reservations", stdout=out)
    assert out.getvalue().strip() == "released 2 expired reservation(s)"
    statuses = dict(Reservation.objects.filter(pk__in=made).values_list("pk", "status"))
    assert statuses == {made[0]: "released", made[1]: "released", made[2]: "active"}
    item.refresh_from_db()
    assert item.reserved == reserved - 2
