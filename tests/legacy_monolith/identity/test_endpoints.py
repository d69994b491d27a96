"""The ID provider's endpoints through Django's test client: the JWKS, a token for a
password, the exchange of a client's own credential, and what rotation keeps verifiable."""

from __future__ import annotations

import io
from typing import Any

import jwt
import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from rest_framework.test import APIClient

from legacy_monolith.customers.models import Customer
from tests.extracted_services.identity.forgeries import REFUSED, Forger, current_key, ids
from tests.legacy_monolith.conftest import assert_error, client_for

PASSWORD = "shop-demo-pass"


@pytest.fixture(autouse=True)
def keys_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("JWT_KEYS_DIR", str(tmp_path / "jwt"))
    monkeypatch.delenv("JWT_ISSUER", raising=False)
    monkeypatch.delenv("JWT_LIFETIME", raising=False)
    return tmp_path / "jwt"


def jwks(client: APIClient) -> jwt.PyJWKSet:
    return jwt.PyJWKSet.from_dict(client.get("/.well-known/jwks.json").json())


def verify(client: APIClient, token: str, audience: str = "shop") -> dict[str, Any]:
    """As a service would: the key named by the token's kid in the published JWKS."""
    key = jwks(client)[jwt.get_unverified_header(token)["kid"]]
    return jwt.decode(
        token, key.key, algorithms=["EdDSA"], audience=audience, issuer="legacy-monolith"
    )


def login(client: APIClient, username: str, **more) -> dict[str, Any]:
    answer = client.post(
        "/api/auth/jwt/", {"username": username, "password": PASSWORD, **more}, format="json"
    )
    assert answer.status_code == 200, answer.content
    return answer.json()


def test_the_jwks_publishes_public_parts_only_and_may_be_cached(anon):
    answer = anon.get("/.well-known/jwks.json")
    assert answer.status_code == 200
    assert answer["Cache-Control"] == "public, max-age=300"
    (key,) = answer.json()["keys"]
    assert set(key) == {"kty", "crv", "x", "kid", "alg", "use"}  # no "d"
    assert key | {"x": "", "kid": ""} == {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": "",
        "kid": "",
        "alg": "EdDSA",
        "use": "sig",
    }


@pytest.mark.django_db
def test_a_password_buys_a_token_with_the_designed_claims(anon):
    answer = login(anon, "customer0001", audience="catalog")
    assert answer["token_type"] == "Bearer"
    assert answer["expires_in"] == 300
    assert jwt.get_unverified_header(answer["access"])["alg"] == "EdDSA"
    claims = verify(anon, answer["access"], audience="catalog")
    user = User.objects.get(username="customer0001")
    assert claims | {"iat": 0, "nbf": 0, "exp": 0, "jti": ""} == {
        "iss": "legacy-monolith",
        "aud": "catalog",
        "sub": str(user.pk),
        "username": "customer0001",
        "customer_id": Customer.objects.get(user=user).pk,
        "is_staff": False,
        "iat": 0,
        "nbf": 0,
        "exp": 0,
        "jti": "",
    }
    assert claims["nbf"] == claims["iat"] and claims["exp"] == claims["iat"] + 300
    assert len(claims["jti"]) == 32


@pytest.mark.django_db
def test_staff_without_a_customer_profile_and_the_default_audience(anon, monkeypatch):
    monkeypatch.setenv("JWT_ISSUER", "shop-idp")
    monkeypatch.setenv("JWT_LIFETIME", "60")
    User.objects.create_user("clerk", password="clerk-pass", is_staff=True)
    answer = anon.post("/api/auth/jwt/", {"username": "clerk", "password": "clerk-pass"})
    assert answer.status_code == 200, answer.content
    assert answer.json()["expires_in"] == 60
    claims = jwt.decode(answer.json()["access"], options={"verify_signature": False})
    assert (claims["aud"], claims["iss"], claims["is_staff"]) == ("shop", "shop-idp", True)
    assert claims["customer_id"] is None


@pytest.mark.parametrize(
    "body",
    [
        {"username": "customer0001", "password": "wrong"},
        {"username": "nobody", "password": PASSWORD},
    ],
)
def test_bad_credentials_answer_401(anon, body):
    error = assert_error(
        anon.post("/api/auth/jwt/", body, format="json"), 401, "authentication_failed"
    )
    assert error["message"] == "Invalid username or password."


def test_an_inactive_user_gets_no_token(anon):
    User.objects.filter(username="customer0003").update(is_active=False)
    body = {"username": "customer0003", "password": PASSWORD}
    assert_error(anon.post("/api/auth/jwt/", body, format="json"), 401, "authentication_failed")


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"username", "password"}),
        ({"username": "customer0001"}, {"password"}),
        (
            {"username": "customer0001", "password": PASSWORD, "audience": "Not A Name!"},
            {"audience"},
        ),
    ],
)
def test_missing_or_bad_fields_answer_400_naming_them(anon, body, fields):
    error = assert_error(anon.post("/api/auth/jwt/", body, format="json"), 400, "validation_error")
    assert set(error["fields"]) == fields


def test_a_malformed_body_is_a_parse_error(anon):
    answer = anon.post("/api/auth/jwt/", "{", content_type="application/json")
    assert_error(answer, 400, "parse_error")


def test_exchange_with_the_clients_drf_token(alice):
    answer = alice.post("/api/auth/jwt/exchange/", {"audience": "catalog"}, format="json")
    assert answer.status_code == 200, answer.content
    claims = verify(alice, answer.json()["access"], audience="catalog")
    assert claims["username"] == "customer0001"


def test_exchange_with_a_session_cookie_needs_no_csrf_token(db):
    client = APIClient(enforce_csrf_checks=True)  # as a proxy calling with the browser's cookie
    assert client.login(username="customer0002", password=PASSWORD)
    answer = client.post("/api/auth/jwt/exchange/", {"audience": "notifications"}, format="json")
    assert answer.status_code == 200, answer.content
    claims = verify(client, answer.json()["access"], audience="notifications")
    assert claims["username"] == "customer0002"


def test_exchange_with_a_shop_jwt(anon):
    access = login(anon, "customer0004")["access"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    answer = client.post("/api/auth/jwt/exchange/", {"audience": "catalog"}, format="json")
    assert answer.status_code == 200, answer.content
    assert verify(client, answer.json()["access"], "catalog")["username"] == "customer0004"


def test_exchange_without_a_credential_answers_401(anon):
    answer = anon.post("/api/auth/jwt/exchange/", {"audience": "catalog"}, format="json")
    assert_error(answer, 401, "not_authenticated")
    assert answer["WWW-Authenticate"] == "Token"


def test_exchange_with_a_bad_drf_token_answers_401(anon):
    anon.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    answer = anon.post("/api/auth/jwt/exchange/", {"audience": "catalog"}, format="json")
    assert_error(answer, 401, "authentication_failed")


def test_exchange_names_a_bad_audience(alice):
    answer = alice.post("/api/auth/jwt/exchange/", {"audience": ""}, format="json")
    assert_error(answer, 400, "validation_error", field="audience")


@pytest.fixture
def forger(anon, keys_dir) -> Forger:
    """Holds the genuine current key, for a real user (the exchange looks the user up)."""
    login(anon, "customer0001")  # creates the first key
    user = User.objects.get(username="customer0001")
    subject = {
        "sub": str(user.pk),
        "username": user.username,
        "customer_id": None,
        "is_staff": False,
    }
    return Forger(current_key(keys_dir), "legacy-monolith", "shop", "catalog", subject)


def test_the_forger_holds_the_genuine_key(forger):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {forger.sign(forger.claims())}")
    answer = client.post("/api/auth/jwt/exchange/", {"audience": "catalog"}, format="json")
    assert answer.status_code == 200, answer.content


@pytest.mark.parametrize("row", REFUSED, ids=ids(REFUSED))
def test_exchange_refuses_every_forged_or_stale_bearer(forger, row):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {row.make(forger)}")
    answer = client.post("/api/auth/jwt/exchange/", {"audience": "catalog"}, format="json")
    assert_error(answer, 401, "authentication_failed")


def test_rotation_keeps_tokens_of_the_previous_key_verifiable(anon, keys_dir):
    before = login(anon, "customer0001")["access"]
    call_command("jwt_keys", "rotate", stdout=io.StringIO())
    after = login(anon, "customer0001")["access"]
    old_kid, new_kid = (jwt.get_unverified_header(t)["kid"] for t in (before, after))
    assert old_kid != new_kid
    assert [key.key_id for key in jwks(anon).keys] == [new_kid, old_kid]
    assert verify(anon, before)["username"] == verify(anon, after)["username"] == "customer0001"
    # a second rotation retires the first key: its tokens are refused from then on
    call_command("jwt_keys", "rotate", stdout=io.StringIO())
    assert new_kid in [key.key_id for key in jwks(anon).keys]
    assert old_kid not in [key.key_id for key in jwks(anon).keys]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {before}")
    refused = client.post("/api/auth/jwt/exchange/", {}, format="json")
    assert_error(refused, 401, "authentication_failed")


def test_the_monoliths_own_endpoints_keep_their_drf_token_auth(anon):
    """The JWTs are for the services: the monolith's API still takes its own credentials."""
    assert client_for("customer0001").get("/api/customers/me/").status_code == 200
    anon.credentials(HTTP_AUTHORIZATION=f"Bearer {login(anon, 'customer0001')['access']}")
    assert_error(anon.get("/api/customers/me/"), 401, "not_authenticated")
