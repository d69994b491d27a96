"""The notifications service runs the same table: its own audience, every forgery refused."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from strangler_proxy.stack.process import ManagedProcess
from tests.extracted_services.identity.checks import assert_refused, get
from tests.extracted_services.identity.conftest import IdP
from tests.extracted_services.identity.forgeries import ACCEPTED, SERVICE_REFUSED, Forger, Row, ids
from tests.extracted_services.notifications.service import start_notifications

NOTIFICATIONS = "/api/notifications/"


@pytest.fixture(scope="module")
def notifications(idp: IdP, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ManagedProcess]:
    jwks = f"{idp.base_url}/.well-known/jwks.json"
    process = start_notifications(tmp_path_factory.mktemp("notifications"), JWKS_URL=jwks)
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module")
def forger(idp: IdP) -> Forger:
    return idp.forger("notifications", other_audience="catalog")


def test_a_customer_token_reads_its_notifications(idp: IdP, notifications: ManagedProcess) -> None:
    token = idp.token("customer0001", "shop-demo-pass", "notifications")
    answer = get(notifications, token, NOTIFICATIONS)
    assert answer.status_code == 200, answer.text
    anonymous = get(notifications, None, NOTIFICATIONS)
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "not_authenticated"


def test_a_catalog_token_is_refused(idp: IdP, notifications: ManagedProcess) -> None:
    token = idp.token("customer0001", "shop-demo-pass", "catalog")
    assert_refused(get(notifications, token, NOTIFICATIONS), "notifications")


@pytest.mark.parametrize("row", ACCEPTED, ids=ids(ACCEPTED))
def test_honest_tokens_pass(notifications: ManagedProcess, forger: Forger, row: Row) -> None:
    answer = get(notifications, row.make(forger), NOTIFICATIONS)
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize("row", SERVICE_REFUSED, ids=ids(SERVICE_REFUSED))
def test_forged_and_stale_tokens_are_refused(
    notifications: ManagedProcess, forger: Forger, row: Row
) -> None:
    assert_refused(get(notifications, row.make(forger), NOTIFICATIONS), "notifications")
