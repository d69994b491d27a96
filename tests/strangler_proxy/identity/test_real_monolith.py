"""The phantom token end to end with the real monolith as ID provider: a client's DRF token,
session cookie or shop JWT goes through each engine (its default exchange, the monolith's
``/api/auth/jwt/exchange/``) to a service stand-in that verifies the JWT it gets with the
monolith's JWKS (``verifier.py``); every forged or stale token a client sends is refused by
the proxy with the monolith's 401, and never reaches the service."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from strangler_proxy.routing import Mode
from strangler_proxy.store import open_store
from tests.conftest import RunningServer
from tests.envelope import error_of
from tests.extracted_services.identity.forgeries import REFUSED, Forger, Row, current_key, ids
from tests.strangler_proxy.identity.verifier import Verifier
from tests.strangler_proxy.mitm.conftest import MITM_BIN, mitmdump
from tests.strangler_proxy.proxy_stack import proxy, route, seed

PATH = "/api/catalog/whoami/"
STAFF = {"username": "staff", "password": "staff-demo-pass"}


@pytest.fixture(scope="module")
def verifier(monolith_server: RunningServer) -> Iterator[Verifier]:
    with Verifier(monolith_server.base_url + "/.well-known/jwks.json", "catalog") as running:
        yield running


@pytest.fixture(scope="module")
def engines(
    monolith_server: RunningServer, verifier: Verifier, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    var_dir = tmp_path_factory.mktemp("identity-real-monolith")
    store_url = f"sqlite:///{var_dir / 'flags.sqlite3'}"
    store = open_store(store_url, create=True)
    seed(store, {"catalog": [verifier.url]},
         [route("catalog", "/api/catalog/{rest:path}", Mode.SERVICE, "catalog")])  # fmt: skip
    store.close()
    monolith = monolith_server.base_url
    with (
        proxy(monolith, store_url, var_dir, "--health-interval", "3600") as engine,
        mitmdump(MITM_BIN, var_dir, monolith, store_url) as mitm,
    ):
        yield {"engine": engine.url, "mitmproxy": mitm.base_url}


@pytest.fixture(params=["engine", "mitmproxy"])
def base_url(request: pytest.FixtureRequest, engines: dict[str, str]) -> str:
    return engines[request.param]


def whoami(base_url: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.get(base_url + PATH, headers=headers, trust_env=False, timeout=10)


def test_a_drf_token_reaches_the_service_as_its_jwt(
    base_url: str, monolith_server: RunningServer
) -> None:
    token = httpx.post(f"{monolith_server.base_url}/api/auth/token/", json=STAFF,
                       trust_env=False).json()["token"]  # fmt: skip
    answer = whoami(base_url, headers={"Authorization": f"Token {token}"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["x-strangler-served-by"] == "catalog"
    seen = answer.json()
    assert (seen["username"], seen["is_staff"], seen["aud"]) == ("staff", True, "catalog")
    assert (seen["cookie"], seen["credential"]) == (False, False)  # no DRF token, no cookie


def test_a_session_cookie_reaches_the_service_as_its_jwt(
    base_url: str, monolith_server: RunningServer
) -> None:
    with httpx.Client(base_url=monolith_server.base_url, trust_env=False) as browser:
        form = browser.get("/api-auth/login/")
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
        assert csrf is not None, form.text[:300]
        browser.post("/api-auth/login/", data={**STAFF, "csrfmiddlewaretoken": csrf.group(1)})
        session = browser.cookies["sessionid"]
    answer = whoami(base_url, headers={"Cookie": f"sessionid={session}; csrftoken=x"})
    assert answer.status_code == 200, answer.text
    assert (answer.json()["username"], answer.json()["cookie"]) == ("staff", False)


def test_a_shop_jwt_is_exchanged_for_the_services_own(
    base_url: str, monolith_server: RunningServer, verifier: Verifier
) -> None:
    shop = httpx.post(f"{monolith_server.base_url}/api/auth/jwt/", json=STAFF,
                      trust_env=False).json()["access"]  # fmt: skip
    direct = httpx.get(verifier.url + PATH, headers={"Authorization": f"Bearer {shop}"})
    assert direct.status_code == 401  # its audience is the shop, not the catalog
    answer = whoami(base_url, headers={"Authorization": f"Bearer {shop}"})
    assert (answer.status_code, answer.json()["aud"]) == (200, "catalog"), answer.text


def test_an_anonymous_client_stays_anonymous(base_url: str) -> None:
    answer = whoami(base_url)
    assert (answer.status_code, answer.json()["anonymous"]) == (200, True)


@pytest.fixture(scope="module")
def forger(monolith_server: RunningServer) -> Forger:
    """What an attacker could hold at best: the monolith's genuine signing key (so only the
    check under test can refuse a token), the claims of the staff user."""
    httpx.get(monolith_server.base_url + "/.well-known/jwks.json", trust_env=False)  # a key
    keys_dir = Path(monolith_server.env["STRANGLER_VAR_DIR"]) / "jwt"
    subject = {"sub": "1", "username": "staff", "customer_id": None, "is_staff": True}
    return Forger(current_key(keys_dir), "legacy-monolith", "shop", "catalog", subject)


@pytest.mark.parametrize("row", REFUSED, ids=ids(REFUSED))
def test_a_forged_or_stale_token_is_refused_by_the_proxy(
    base_url: str, forger: Forger, row: Row, verifier: Verifier
) -> None:
    """The proxy treats a client's Bearer as a credential to exchange: the monolith refuses
    a forged one, and its 401 is the client's answer; the service never sees the request."""
    before = verifier.calls
    answer = whoami(base_url, headers={"Authorization": f"Bearer {row.make(forger)}"})
    assert answer.status_code == 401, answer.text
    assert answer.headers["x-strangler-served-by"] == "monolith"
    assert error_of(answer.content, 401)["code"] == "authentication_failed"
    assert verifier.calls == before


def test_a_bad_drf_token_is_refused_by_the_proxy(base_url: str) -> None:
    answer = whoami(base_url, headers={"Authorization": "Token 0123456789abcdef"})
    assert answer.status_code == 401
    assert error_of(answer.content, 401)["code"] == "authentication_failed"
