"""In-process API tests run against one test database seeded once with ``--size tiny``.

Each test runs inside a transaction that is rolled back, so every test sees the same
seeded shop: customers ``customer0001``..``customer0006`` and staff user ``staff``.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("seed_shop", size="tiny", seed=42, verbosity=0)


def client_for(username: str | None) -> APIClient:
    client = APIClient()
    if username is not None:
        from django.contrib.auth.models import User

        token, _ = Token.objects.get_or_create(user=User.objects.get(username=username))
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def anon(db) -> APIClient:
    return client_for(None)


@pytest.fixture
def alice(db) -> APIClient:
    """customer0001."""
    return client_for("customer0001")


@pytest.fixture
def bob(db) -> APIClient:
    """customer0002."""
    return client_for("customer0002")


@pytest.fixture
def staff(db) -> APIClient:
    return client_for("staff")


def assert_error(response, status: int, code: str, *, field: str | None = None) -> dict[str, Any]:
    """The one error body every failure has; returns the ``error`` object."""
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["status"] == status
    assert error["code"] == code
    assert error["message"]
    if field is not None:
        assert field in error["fields"], error
        assert error["fields"][field][0]
    return error


def first_address(client: APIClient) -> int:
    return client.get("/api/customers/me/").json()["addresses"][0]["id"]


def fill_cart(client: APIClient, *lines: tuple[int, int]) -> None:
    for product, quantity in lines:
        response = client.post(
            "/api/orders/cart/items/", {"product": product, "quantity": quantity}, format="json"
        )
        assert response.status_code == 201, response.content


@pytest.fixture
def scarce_product(db) -> int:
    """Product 2 with exactly one unit available in each warehouse."""
    from django.db.models import F

    from legacy_monolith.inventory.models import StockItem

    StockItem.objects.filter(product_id=2).update(quantity=F("reserved") + 1)
    return 2
