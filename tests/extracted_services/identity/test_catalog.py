"""The catalog service verifies the monolith's tokens over real sockets: the genuine ones
(and a little clock skew) pass, every forged or stale one is refused with 401 in the
envelope, a key rotation is picked up at once, and a dead JWKS is a 503, never a 500."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from strangler_proxy.stack.monolith import manage_py
from strangler_proxy.stack.process import ManagedProcess
from tests.extracted_services.catalog.service import start_catalog
from tests.extracted_services.identity.checks import PRODUCTS, assert_refused, get
from tests.extracted_services.identity.conftest import IdP
from tests.extracted_services.identity.forgeries import (
    ACCEPTED,
    SERVICE_REFUSED,
    Forger,
    Row,
    ids,
)


@pytest.fixture(scope="module")
def forger(idp: IdP) -> Forger:
    return idp.forger("catalog", other_audience="notifications")


def test_a_token_the_monolith_issued_is_accepted(idp: IdP, catalog: ManagedProcess) -> None:
    token = idp.token("customer0001", "shop-demo-pass", "catalog")
    answer = get(catalog, token)
    assert answer.status_code == 200, answer.text
    assert get(catalog, None).status_code == 200  # no header: the anonymous storefront


def test_a_staff_token_may_write(idp: IdP, catalog: ManagedProcess) -> None:
    """The ``is_staff`` claim is what the catalog's permissions read."""
    body = {"name": "Identity", "slug": "identity-h6", "description": ""}
    url = f"{catalog.base_url}/api/catalog/categories/"
    customer = idp.token("customer0002", "shop-demo-pass", "catalog")
    refused = httpx.post(url, json=body, headers={"Authorization": f"Bearer {customer}"})
    assert refused.status_code == 403, refused.text
    staff = idp.token("staff", "staff-demo-pass", "catalog")
    made = httpx.post(url, json=body, headers={"Authorization": f"Bearer {staff}"})
    assert made.status_code == 201, made.text


@pytest.mark.parametrize("row", ACCEPTED, ids=ids(ACCEPTED))
def test_honest_tokens_pass(catalog: ManagedProcess, forger: Forger, row: Row) -> None:
    answer = get(catalog, row.make(forger))
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize("row", SERVICE_REFUSED, ids=ids(SERVICE_REFUSED))
def test_forged_and_stale_tokens_are_refused(
    catalog: ManagedProcess, forger: Forger, row: Row
) -> None:
    assert_refused(get(catalog, row.make(forger)))


def test_a_token_for_another_service_is_refused(idp: IdP, catalog: ManagedProcess) -> None:
    token = idp.token("customer0001", "shop-demo-pass", "notifications")
    assert "audience" in assert_refused(get(catalog, token)).lower()


@pytest.mark.parametrize("header", ["Bearer", "Bearer a b", "bearer \xe9t\xe9"])
def test_a_malformed_bearer_header_is_refused(catalog: ManagedProcess, header: str) -> None:
    answer = httpx.get(
        f"{catalog.base_url}{PRODUCTS}", headers={b"Authorization": header.encode("latin-1")}
    )
    assert_refused(answer)


def rotate(idp: IdP) -> None:
    done = subprocess.run(
        [sys.executable, str(manage_py()), "jwt_keys", "rotate"],
        env={**os.environ, **idp.env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


def test_a_rotation_is_picked_up_and_old_tokens_still_pass(
    idp: IdP, catalog: ManagedProcess
) -> None:
    before = idp.token("customer0003", "shop-demo-pass", "catalog")
    assert get(catalog, before).status_code == 200  # the service has the key set cached
    rotate(idp)
    after = idp.token("customer0003", "shop-demo-pass", "catalog")
    jwks = httpx.get(f"{idp.base_url}/.well-known/jwks.json").json()
    assert len(jwks["keys"]) == 2
    # the new kid is not in the service's cache: it refetches (at most once a second)
    assert accepted_within(2.0, catalog, after)
    assert get(catalog, before).status_code == 200


def accepted_within(seconds: float, service: ManagedProcess, token: str) -> bool:
    deadline = time.monotonic() + seconds
    while (answer := get(service, token)).status_code != 200:
        assert answer.status_code == 401, answer.text
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


@pytest.fixture(scope="module")
def blind_catalog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ManagedProcess]:
    """A catalog whose JWKS_URL answers nothing (port 1 refuses every connection)."""
    process = start_catalog(Path(tmp_path_factory.mktemp("blind")), monolith="http://127.0.0.1:1")
    try:
        yield process
    finally:
        process.stop()


def test_unreachable_keys_answer_503_not_401_nor_500(
    blind_catalog: ManagedProcess, forger: Forger
) -> None:
    """The token may be genuine: the outage is the server's, temporary, worth retrying."""
    answer = get(blind_catalog, forger.sign(forger.claims()))
    assert answer.status_code == 503, answer.text
    error = answer.json()["error"]
    assert (error["status"], error["code"]) == (503, "service_unavailable")
    assert "keys are unreachable" in error["message"]
    assert answer.headers["Retry-After"] == "5"
    assert get(blind_catalog, None).status_code == 200  # anonymous reads need no keys
    # a token refused on its face needs no keys either: still 401
    assert_refused(get(blind_catalog, "not-a-jwt"))
