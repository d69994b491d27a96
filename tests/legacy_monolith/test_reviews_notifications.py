from legacy_monolith.catalog.models import Product
from legacy_monolith.reviews.models import Review
from tests.legacy_monolith.conftest import assert_error, fill_cart, first_address


def unreviewed_product(username: str) -> int:
    reviewed = Review.objects.filter(author__user__username=username).values("product_id")
    return Product.objects.exclude(pk__in=reviewed).order_by("id").first().pk


def test_reviews_are_public_and_filterable(anon):
    body = anon.get("/api/reviews/").json()
    assert body["count"] == Review.objects.count()
    product = body["results"][0]["product"]
    filtered = anon.get(f"/api/reviews/?product={product}").json()["results"]
    assert filtered and all(r["product"] == product for r in filtered)
    review = body["results"][0]["id"]
    assert anon.get(f"/api/reviews/{review}/").json()["id"] == review
    assert_error(anon.get("/api/reviews/999999/"), 404, "not_found")


def test_writing_a_review_updates_the_product_rating(alice):
    product = unreviewed_product("customer0001")
    before = Product.objects.get(pk=product).rating_count
    response = alice.post(
        "/api/reviews/", {"product": product, "rating": 4, "title": "Nice"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["author"] == "customer0001"
    rated = alice.get(f"/api/catalog/products/{product}/").json()
    assert rated["rating_count"] == before + 1
    assert isinstance(rated["rating_avg"], float)
    again = alice.post(
        "/api/reviews/", {"product": product, "rating": 5, "title": "Again"}, format="json"
    )
    error = assert_error(again, 400, "validation_error", field="product")
    assert "already reviewed" in error["message"]


def test_verified_purchase(alice):
    fill_cart(alice, (5, 1))
    alice.post(
        "/api/orders/checkout/",
        {"address": first_address(alice), "payment_method": "card"},
        format="json",
    )
    Review.objects.filter(product_id=5, author__user__username="customer0001").delete()
    review = alice.post(
        "/api/reviews/", {"product": 5, "rating": 5, "title": "Bought it"}, format="json"
    ).json()
    assert review["verified_purchase"] is True


def test_only_author_or_staff_edit_and_delete(alice, bob, staff, anon):
    product = unreviewed_product("customer0001")
    review = alice.post(
        "/api/reviews/", {"product": product, "rating": 3, "title": "Hm"}, format="json"
    ).json()
    url = f"/api/reviews/{review['id']}/"
    assert alice.patch(url, {"rating": 2}, format="json").json()["rating"] == 2
    error = assert_error(bob.patch(url, {"rating": 1}, format="json"), 403, "permission_denied")
    assert "author or staff" in error["message"]
    assert_error(anon.delete(url), 401, "not_authenticated")
    assert_error(
        alice.patch(url, {"rating": 0}, format="json"), 400, "validation_error", field="rating"
    )
    assert staff.delete(url).status_code == 204
    assert_error(alice.get(url), 404, "not_found")


def test_review_validation(alice):
    error = assert_error(
        alice.post("/api/reviews/", {"product": 1, "rating": 6}, format="json"),
        400,
        "validation_error",
    )
    assert {"rating", "title"} <= set(error["fields"])


def test_helpful_votes(alice, bob, anon):
    product = unreviewed_product("customer0001")
    review = alice.post(
        "/api/reviews/", {"product": product, "rating": 5, "title": "Top"}, format="json"
    ).json()
    url = f"/api/reviews/{review['id']}/helpful/"
    assert bob.post(url).json()["helpful_count"] == 1
    assert_error(bob.post(url), 409, "conflict")
    assert_error(alice.post(url), 409, "conflict")
    assert_error(anon.post(url), 401, "not_authenticated")
    assert_error(bob.post("/api/reviews/999999/helpful/"), 404, "not_found")


def test_notifications_list_and_read(alice, bob, anon):
    notes = alice.get("/api/notifications/").json()
    assert notes["count"] >= 1
    unread = next(n for n in notes["results"] if not n["is_read"])
    read = alice.post(f"/api/notifications/{unread['id']}/read/").json()
    assert read["is_read"] is True and read["read_at"]
    assert_error(bob.post(f"/api/notifications/{unread['id']}/read/"), 404, "not_found")
    assert_error(anon.get("/api/notifications/"), 401, "not_authenticated")
    assert_error(alice.get("/api/notifications/999999/read/"), 405, "method_not_allowed")
