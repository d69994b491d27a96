"""The ID provider under gunicorn (2 workers racing to create the first key), over real
sockets: the JWKS, a token for a password, and the exchange of a DRF token or of the
session cookie a browser got from the login form."""

from __future__ import annotations

import re
from typing import Any

import httpx
import jwt

from tests.conftest import RunningServer


def verify(base_url: str, token: str, audience: str) -> dict[str, Any]:
    keys = jwt.PyJWKClient(f"{base_url}/.well-known/jwks.json")
    key = keys.get_signing_key_from_jwt(token)
    return jwt.decode(
        token, key.key, algorithms=["EdDSA"], audience=audience, issuer="legacy-monolith"
    )


def test_every_worker_publishes_the_same_single_key(monolith_server: RunningServer):
    with httpx.Client(base_url=monolith_server.base_url, trust_env=False) as client:
        answers = [client.get("/.well-known/jwks.json") for _ in range(8)]
    assert {a.status_code for a in answers} == {200}
    assert {a.headers["Cache-Control"] for a in answers} == {"public, max-age=300"}
    assert answers[0].headers["Content-Type"] == "application/json"
    assert len({a.text for a in answers}) == 1
    assert len(answers[0].json()["keys"]) >= 1


def test_a_password_buys_a_token_over_http(monolith_server: RunningServer):
    base = monolith_server.base_url
    body = {"username": "customer0001", "password": "shop-demo-pass", "audience": "catalog"}
    answer = httpx.post(f"{base}/api/auth/jwt/", json=body, trust_env=False)
    assert answer.status_code == 200, answer.text
    assert verify(base, answer.json()["access"], "catalog")["username"] == "customer0001"
    wrong = httpx.post(f"{base}/api/auth/jwt/", json={**body, "password": "x"}, trust_env=False)
    assert wrong.status_code == 401
    assert wrong.json()["error"]["code"] == "authentication_failed"


def test_exchange_with_a_drf_token_over_http(monolith_server: RunningServer):
    base = monolith_server.base_url
    credentials = {"username": "customer0002", "password": "shop-demo-pass"}
    token = httpx.post(f"{base}/api/auth/token/", json=credentials).json()["token"]
    answer = httpx.post(
        f"{base}/api/auth/jwt/exchange/",
        json={"audience": "notifications"},
        headers={"Authorization": f"Token {token}"},
        trust_env=False,
    )
    assert answer.status_code == 200, answer.text
    assert verify(base, answer.json()["access"], "notifications")["username"] == "customer0002"


def test_exchange_with_the_session_cookie_of_a_browser_login(monolith_server: RunningServer):
    """The browsable API's login form (with its CSRF token) sets ``sessionid``; the proxy
    then presents that cookie alone, without any CSRF token."""
    base = monolith_server.base_url
    with httpx.Client(base_url=base, trust_env=False) as browser:
        form = browser.get("/api-auth/login/")
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
        assert csrf, form.text
        login = browser.post(
            "/api-auth/login/",
            data={
                "username": "customer0003",
                "password": "shop-demo-pass",
                "csrfmiddlewaretoken": csrf.group(1),
            },
        )
        assert login.status_code == 302, login.text
        session = browser.cookies["sessionid"]
    answer = httpx.post(
        f"{base}/api/auth/jwt/exchange/",
        json={"audience": "catalog"},
        cookies={"sessionid": session},
        trust_env=False,
    )
    assert answer.status_code == 200, answer.text
    assert verify(base, answer.json()["access"], "catalog")["username"] == "customer0003"


def test_exchange_without_a_credential_is_401(monolith_server: RunningServer):
    answer = httpx.post(
        f"{monolith_server.base_url}/api/auth/jwt/exchange/",
        json={"audience": "catalog"},
        trust_env=False,
    )
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "not_authenticated"
