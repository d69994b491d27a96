"""Every error, expected or not, answers with the same JSON body."""

from legacy_monolith.shipping import services as shipping
from tests.legacy_monolith.conftest import assert_error, fill_cart, first_address


def test_unknown_url_is_a_json_404(anon):
    error = assert_error(anon.get("/api/no-such-thing/"), 404, "not_found")
    assert "/api/no-such-thing/" in error["message"]


def test_wrong_method_is_a_json_405(alice):
    assert_error(alice.delete("/api/orders/cart/"), 405, "method_not_allowed")


def test_malformed_json_is_a_json_400(alice):
    response = alice.post("/api/orders/cart/items/", "{not json", content_type="application/json")
    assert_error(response, 400, "parse_error")


def test_bad_token_is_a_json_401(anon):
    anon.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert_error(anon.get("/api/customers/me/"), 401, "authentication_failed")


def test_an_unexpected_crash_is_a_json_500(alice, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the payment gateway SDK exploded")

    monkeypatch.setattr(shipping, "quote", broken)  # what orders.services calls
    fill_cart(alice, (1, 1))
    response = alice.post(
        "/api/orders/checkout/",
        {"address": first_address(alice), "payment_method": "card"},
        format="json",
    )
    error = assert_error(response, 500, "server_error")
    assert "exploded" not in error["message"]  # internals stay in the log


def test_health_db_reports_the_database(db, anon):
    assert anon.get("/health/db/").json() == {"status": "ok", "database": "sqlite"}
