"""The monolith as users meet it: gunicorn (2 workers x 4 threads) over real sockets."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import closing

import httpx
import pytest


def login(base_url: str, username: str, password: str = "shop-demo-pass") -> httpx.Client:
    client = httpx.Client(base_url=base_url, timeout=30.0, trust_env=False)
    response = client.post("/api/auth/token/", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    client.headers["Authorization"] = f"Token {response.json()['token']}"
    return client


def checkout(client: httpx.Client, method: str = "card", product: int = 6) -> httpx.Response:
    """A checkout of one ``product``: the cart is emptied first (the monolith is shared by
    every test of a worker, and the traffic runner leaves carts full)."""
    address = client.get("/api/customers/me/").json()["addresses"][0]["id"]
    assert client.post("/api/orders/cart/clear/").status_code == 200
    added = client.post("/api/orders/cart/items/", json={"product": product, "quantity": 1})
    assert added.status_code == 201, added.text
    return client.post("/api/orders/checkout/", json={"address": address, "payment_method": method})


def counts(client: httpx.Client) -> dict[str, int]:
    return {
        path: client.get(path).json()["count"]
        for path in (
            "/api/orders/",
            "/api/payments/",
            "/api/shipping/shipments/",
            "/api/notifications/",
            "/api/inventory/reservations/",
        )
    }


def test_the_browsable_api_is_styled_under_gunicorn(monolith_server):
    """gunicorn serves no static files itself: WhiteNoise does, from the installed packages."""
    with httpx.Client(base_url=monolith_server.base_url, trust_env=False) as client:
        page = client.get("/api/catalog/products/", headers={"Accept": "text/html"})
        assert page.status_code == 200
        assert "/static/rest_framework/css/bootstrap.min.css" in page.text
        css = client.get("/static/rest_framework/css/bootstrap.min.css")
        assert css.status_code == 200
        assert css.headers["content-type"].startswith("text/css")
        assert client.get("/static/rest_framework/css/no-such-file.css").status_code == 404


def test_health_endpoints(monolith_server):
    with httpx.Client(base_url=monolith_server.base_url, trust_env=False) as client:
        assert client.get("/health/").json() == {"status": "ok"}
        assert client.get("/health/db/").json()["database"] == "sqlite"


def test_checkout_with_a_token_over_http(monolith_server):
    with closing(login(monolith_server.base_url, "customer0005")) as client:
        before = counts(client)
        response = checkout(client)
        assert response.status_code == 201, response.text
        order = response.json()
        assert order["status"] == "paid"
        after = counts(client)
        assert {k: after[k] - before[k] for k in after} == {
            "/api/orders/": 1,
            "/api/payments/": 1,
            "/api/shipping/shipments/": 1,
            "/api/notifications/": 2,
            "/api/inventory/reservations/": 1,
        }
        cancelled = client.post(f"/api/orders/{order['id']}/cancel/")
        assert cancelled.json()["status"] == "cancelled"


def test_declined_card_over_http_leaves_nothing_behind(monolith_server):
    with closing(login(monolith_server.base_url, "customer0006")) as client:
        before = counts(client)
        response = checkout(client, method="declined-card")
        assert response.status_code == 402
        assert response.json()["error"]["code"] == "payment_declined"
        assert counts(client) == before
        assert client.post("/api/orders/cart/clear/").json()["items"] == []


@pytest.mark.slow
def test_concurrent_checkouts_never_hit_database_is_locked(monolith_server):
    """16 checkouts from 4 customers at once plus browsing: all succeed, no 500.

    Without ``transaction_mode=IMMEDIATE`` SQLite answers about half of such checkouts with
    "database is locked" (a reader cannot upgrade to a writer while another one writes).
    """
    users = ["customer0001", "customer0002", "customer0003", "customer0004"]
    clients = [login(monolith_server.base_url, u) for u in users]

    def shop(client: httpx.Client) -> list[int]:
        codes = []
        for product in range(1, 5):
            codes.append(client.get("/api/catalog/products/?ordering=-price").status_code)
            codes.append(checkout(client, product=product).status_code)
        return codes

    try:
        with ThreadPoolExecutor(len(clients)) as pool:
            results = [code for codes in pool.map(shop, clients) for code in codes]
    finally:
        for client in clients:
            client.close()
    assert results.count(201) == 16, results
    assert set(results) == {200, 201}
