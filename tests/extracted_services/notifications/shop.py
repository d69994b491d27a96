"""The monolith's side of the story, over its public API: a fresh customer places an order,
staff move it along, and what the monolith wrote for it (its notifications) is read back.

Each test gets its own customer, so the shared monolith's other data is left as it was
(except stock, which checkout reserves as always)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx

PASSWORD = "notify-demo-pass"


def login(base_url: str, username: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=base_url, timeout=30.0, trust_env=False)
    answer = client.post("/api/auth/token/", json={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    client.headers["Authorization"] = f"Token {answer.json()['token']}"
    return client


@dataclass
class Shopper:
    """A customer of the monolith, with its own address, logged in with a DRF token."""

    client: httpx.Client
    username: str
    customer_id: int

    @classmethod
    def register(cls, base_url: str) -> Shopper:
        username = f"notify-{uuid.uuid4().hex[:10]}"
        answer = httpx.post(
            f"{base_url}/api/auth/register/",
            json={"username": username, "password": PASSWORD, "email": f"{username}@example.com"},
        )
        assert answer.status_code == 201, answer.text
        client = login(base_url, username, PASSWORD)
        address = {"line1": "1 Test Street", "city": "Berlin", "postcode": "10115"}
        assert client.post("/api/customers/addresses/", json=address).status_code == 201
        me = client.get("/api/customers/me/").json()
        return cls(client, username, int(me["id"]))

    def checkout(self, product: int = 6) -> dict[str, Any]:
        address = self.client.get("/api/customers/addresses/").json()["results"][0]["id"]
        added = self.client.post(
            "/api/orders/cart/items/", json={"product": product, "quantity": 1}
        )
        assert added.status_code == 201, added.text
        answer = self.client.post(
            "/api/orders/checkout/", json={"address": address, "payment_method": "card"}
        )
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    def order(self, order_id: int) -> dict[str, Any]:
        return dict(self.client.get(f"/api/orders/{order_id}/").json())

    def payment(self, order_id: int) -> dict[str, Any]:
        return dict(
            self.client.get("/api/payments/", params={"order": order_id}).json()["results"][0]
        )

    def shipment(self, order_id: int) -> dict[str, Any]:
        shipments = self.client.get("/api/shipping/shipments/").json()["results"]
        return dict(next(s for s in shipments if s["order"] == order_id))

    def notifications(self, order_id: int) -> list[dict[str, Any]]:
        """What the monolith wrote about that order, newest first (its own ordering)."""
        answer = self.client.get("/api/notifications/", params={"order": order_id})
        return list(answer.json()["results"])


def ship_and_deliver(staff: httpx.Client, shipment_id: int) -> None:
    for step in ("dispatch", "deliver"):
        answer = staff.post(f"/api/shipping/shipments/{shipment_id}/{step}/")
        assert answer.status_code == 200, answer.text
