from decimal import Decimal

from tests.legacy_monolith.conftest import assert_error


def test_anyone_can_browse_categories(anon):
    body = anon.get("/api/catalog/categories/").json()
    assert body["count"] == 4
    first = body["results"][0]["id"]
    assert anon.get(f"/api/catalog/categories/{first}/").json()["id"] == first


def test_staff_manage_categories(staff):
    created = staff.post(
        "/api/catalog/categories/", {"name": "Games", "slug": "games"}, format="json"
    )
    assert created.status_code == 201
    url = f"/api/catalog/categories/{created.json()['id']}/"
    assert (
        staff.put(url, {"name": "Board games", "slug": "board-games"}, format="json").json()["name"]
        == "Board games"
    )
    assert staff.patch(url, {"description": "Fun"}, format="json").json()["description"] == "Fun"
    assert staff.delete(url).status_code == 204
    assert_error(staff.get(url), 404, "not_found")


def test_a_category_with_products_cannot_be_deleted(staff):
    category = staff.get("/api/catalog/products/1/").json()["category"]
    error = assert_error(staff.delete(f"/api/catalog/categories/{category}/"), 409, "conflict")
    assert "still has products" in error["message"]


def test_customers_cannot_write_categories(alice, anon):
    assert_error(
        alice.post("/api/catalog/categories/", {"name": "X", "slug": "x"}, format="json"),
        403,
        "permission_denied",
    )
    assert_error(anon.delete("/api/catalog/categories/1/"), 401, "not_authenticated")


def test_category_validation(staff):
    response = staff.post(
        "/api/catalog/categories/", {"name": "", "slug": "not a slug"}, format="json"
    )
    error = assert_error(response, 400, "validation_error")
    assert {"name", "slug"} <= set(error["fields"])


def test_products_are_paginated(anon):
    body = anon.get("/api/catalog/products/?page_size=5").json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert len(body["results"]) == 5
    assert "page=2" in body["next"]
    assert anon.get("/api/catalog/products/?page_size=500").json()["count"] == body["count"]


def test_products_filter_search_and_order(anon):
    prices = [
        Decimal(p["price"])
        for p in anon.get("/api/catalog/products/?ordering=-price").json()["results"]
    ]
    assert prices == sorted(prices, reverse=True)
    cheap = anon.get("/api/catalog/products/?max_price=100&min_price=10").json()["results"]
    assert all(Decimal("10") <= Decimal(p["price"]) <= Decimal("100") for p in cheap)
    one = anon.get("/api/catalog/products/1/").json()
    found = anon.get(f"/api/catalog/products/?search={one['sku']}").json()["results"]
    assert [p["id"] for p in found] == [1]
    in_category = anon.get(f"/api/catalog/products/?category={one['category']}").json()
    assert all(p["category"] == one["category"] for p in in_category["results"])


def test_product_filter_validation(anon):
    error = assert_error(
        anon.get("/api/catalog/products/?min_price=cheap"),
        400,
        "validation_error",
        field="min_price",
    )
    assert "number" in error["message"]


def test_product_detail_carries_hard_to_compare_fields(anon):
    product = anon.get("/api/catalog/products/1/").json()
    assert isinstance(product["weight_kg"], float)
    assert isinstance(product["price"], str)  # Decimal as string
    assert isinstance(product["tags"], list)
    assert product["created_at"].startswith("202")


def test_unknown_product_is_404(anon):
    assert_error(anon.get("/api/catalog/products/999999/"), 404, "not_found")


def test_staff_create_update_delete_products(staff):
    created = staff.post(
        "/api/catalog/products/",
        {
            "sku": "SKU-NEW",
            "name": "New thing",
            "category": 1,
            "price": "9.99",
            "weight_kg": 0.2,
            "tag_names": ["new", "gift"],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    product = created.json()
    assert sorted(product["tags"]) == ["gift", "new"]
    url = f"/api/catalog/products/{product['id']}/"
    staff.patch(url, {"price": "12.50"}, format="json")
    prices = staff.get(f"{url}prices/").json()["results"]
    assert [p["price"] for p in prices] == ["12.50", "9.99"]
    put = {"sku": "SKU-NEW", "name": "Renamed", "category": 1, "price": "12.50"}
    assert staff.put(url, put, format="json").json()["name"] == "Renamed"
    assert staff.delete(url).status_code == 204


def test_product_validation(staff):
    response = staff.post(
        "/api/catalog/products/",
        {"sku": "X", "name": "X", "category": 1, "price": "-1"},
        format="json",
    )
    error = assert_error(response, 400, "validation_error", field="price")
    assert error["fields"]["price"] == ["The price must be greater than zero."]


def test_customers_cannot_write_products(alice):
    assert_error(
        alice.patch("/api/catalog/products/1/", {"price": "1.00"}, format="json"),
        403,
        "permission_denied",
    )


def test_a_product_on_orders_cannot_be_deleted(staff):
    from legacy_monolith.orders.models import OrderLine

    product = OrderLine.objects.first().product_id
    assert_error(staff.delete(f"/api/catalog/products/{product}/"), 409, "conflict")


def test_price_history_and_availability(anon):
    assert anon.get("/api/catalog/products/1/prices/").json()["count"] >= 1
    availability = anon.get("/api/catalog/products/1/availability/").json()
    assert availability["available"] == sum(s["available"] for s in availability["stock"])
    assert set(availability["warehouses"]) <= {s["warehouse"] for s in availability["stock"]}
    assert_error(anon.get("/api/catalog/products/999999/prices/"), 404, "not_found")
    assert_error(anon.get("/api/catalog/products/999999/availability/"), 404, "not_found")
