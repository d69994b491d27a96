"""``ServiceUser``: what a service knows of its caller, built from verified claims only."""

from __future__ import annotations

import dataclasses
import importlib
from types import ModuleType
from typing import Any

import pytest

CLAIMS: dict[str, Any] = {
    "sub": "7",
    "username": "customer0001",
    "customer_id": 3,
    "is_staff": False,
    "aud": "catalog",
}


@pytest.fixture(params=["catalog", "notifications"])
def identity(request: pytest.FixtureRequest) -> ModuleType:
    return importlib.import_module(f"extracted_services.{request.param}.identity")


def test_the_user_the_claims_describe(identity: ModuleType) -> None:
    user = identity.ServiceUser.from_claims(CLAIMS)
    assert (user.id, user.pk, user.username, user.customer_id) == (7, 7, "customer0001", 3)
    assert (user.is_staff, user.is_authenticated, user.is_anonymous) == (False, True, False)
    assert user.claims == CLAIMS
    with pytest.raises(dataclasses.FrozenInstanceError):
        user.is_staff = True


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sub": "admin"}, "sub must be a user id"),
        ({"username": None}, "username missing"),
        ({"is_staff": "yes"}, "is_staff missing"),
        ({"customer_id": "3"}, "customer_id must be a number or null"),
        ({"customer_id": True}, "customer_id must be a number or null"),
    ],
)
def test_a_missing_or_mistyped_claim_is_named(
    identity: ModuleType, change: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        identity.ServiceUser.from_claims({**CLAIMS, **change})


def test_a_null_customer_id_is_staff_without_a_profile(identity: ModuleType) -> None:
    user = identity.ServiceUser.from_claims({**CLAIMS, "customer_id": None, "is_staff": True})
    assert (user.customer_id, user.is_staff) == (None, True)
