"""``/api/notifications/...`` answers as the monolith's: a customer's own notifications,
copied by the backfill with their ids, read with a JWT (the identity the proxy's exchange
gives the service) give the same bodies and status codes as the monolith gives the same
customer with its DRF token; another customer's id is a 404, an anonymous caller a 401."""

from __future__ import annotations

import time
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import RunningServer
from tests.extracted_services.notifications.conftest import Notifications
from tests.extracted_services.notifications.service import (
    backfill,
    monolith_database_url,
    start_notifications,
)
from tests.extracted_services.notifications.shop import Shopper
from tests.extracted_services.notifications.tokens import IdP


@pytest.fixture(scope="module")
def customers(
    monolith_server: RunningServer, notifications: Notifications
) -> tuple[Shopper, Shopper]:
    """Two customers with an order each, their notifications copied into the service."""
    pair = (Shopper.register(monolith_server.base_url), Shopper.register(monolith_server.base_url))
    for shopper in pair:
        shopper.checkout()
    done = backfill(notifications.var_dir, monolith_database_url(monolith_server.env))
    assert done.returncode == 0, done.stderr
    return pair


def service_client(notifications: Notifications, token: str | None, host: str) -> httpx.Client:
    headers = {"Host": host} | ({"Authorization": f"Bearer {token}"} if token else {})
    return httpx.Client(base_url=notifications.base_url, headers=headers, timeout=30.0)


def host_of(monolith_server: RunningServer) -> str:
    """One Host for both sides, as the proxy forwards the client's: the pages' links use it."""
    return urlsplit(monolith_server.base_url).netloc


def both(
    monolith: httpx.Client, service: httpx.Client, method: str, path: str
) -> tuple[httpx.Response, httpx.Response]:
    return monolith.request(method, path), service.request(method, path)


def test_reads_answer_as_the_monolith(
    monolith_server: RunningServer,
    notifications: Notifications,
    idp: tuple[IdP, str],
    customers: tuple[Shopper, Shopper],
) -> None:
    me, other = customers
    token = idp[0].token(1, me.customer_id, username=me.username)
    mine = me.notifications(me.client.get("/api/orders/").json()["results"][0]["id"])
    theirs = other.client.get("/api/notifications/").json()["results"]
    order_id = mine[0]["order"]
    paths = [
        "/api/notifications/",
        "/api/notifications/?page_size=1",
        "/api/notifications/?page_size=1&page=2",
        "/api/notifications/?page=9",
        "/api/notifications/?ordering=id",
        "/api/notifications/?ordering=-created_at",
        f"/api/notifications/?order={order_id}",
        f"/api/notifications/?order={theirs[0]['order']}",
        "/api/notifications/?order=999999",
        "/api/notifications/?order=abc",
        "/api/notifications/?channel=sms",
        f"/api/notifications/{mine[0]['id']}/",
        f"/api/notifications/{theirs[0]['id']}/",  # another customer's: 404, not 403
        "/api/notifications/999999/",
    ]
    host = host_of(monolith_server)
    me.client.headers["Host"] = host
    with closing(service_client(notifications, token, host)) as service:
        for path in paths:
            monolith_answer, service_answer = both(me.client, service, "GET", path)
            assert (service_answer.status_code, service_answer.json()) == (
                monolith_answer.status_code,
                monolith_answer.json(),
            ), path


def test_marking_read_answers_as_the_monolith(
    monolith_server: RunningServer,
    notifications: Notifications,
    idp: tuple[IdP, str],
    customers: tuple[Shopper, Shopper],
) -> None:
    me, other = customers
    token = idp[0].token(1, me.customer_id, username=me.username)
    first = me.client.get("/api/notifications/").json()["results"][-1]
    assert first["is_read"] is False
    with closing(service_client(notifications, token, host_of(monolith_server))) as service:
        monolith_answer, service_answer = both(
            me.client, service, "POST", f"/api/notifications/{first['id']}/read/"
        )
        assert service_answer.status_code == monolith_answer.status_code == 200
        read = service_answer.json()
        assert read["is_read"] is True and read["read_at"]
        unchanged = ("id", "template", "order", "channel", "subject", "body", "created_at")
        assert {k: read[k] for k in unchanged} == {k: first[k] for k in unchanged}
        again = service.post(f"/api/notifications/{first['id']}/read/").json()
        assert again["read_at"] == read["read_at"]  # the first reading is kept
        someone_elses = other.client.get("/api/notifications/").json()["results"][0]["id"]
        refused = service.post(f"/api/notifications/{someone_elses}/read/")
        assert refused.status_code == 404
        assert refused.json()["error"]["message"] == "No Notification matches the given query."
        not_allowed = service.delete(f"/api/notifications/{first['id']}/")
        assert not_allowed.status_code == 405
        assert not_allowed.json()["error"]["code"] == "method_not_allowed"


def test_a_user_without_a_customer_sees_none(
    notifications: Notifications, idp: tuple[IdP, str]
) -> None:
    staff = idp[0].token(2, None, username="staff", is_staff=True)  # personal, also for staff
    answer = httpx.get(
        f"{notifications.base_url}/api/notifications/",
        headers={"Authorization": f"Bearer {staff}"},
    )
    assert answer.status_code == 200
    assert answer.json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_anonymous_is_a_401_as_at_the_monolith(
    monolith_server: RunningServer, notifications: Notifications
) -> None:
    for path in ("/api/notifications/", "/api/notifications/1/"):
        monolith_answer = httpx.get(f"{monolith_server.base_url}{path}")
        service_answer = httpx.get(f"{notifications.base_url}{path}")
        assert service_answer.status_code == monolith_answer.status_code == 401
        assert service_answer.json() == monolith_answer.json()
        assert service_answer.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize(
    "claims",
    [
        {"exp": int(time.time()) - 600, "iat": int(time.time()) - 900},
        {"aud": "catalog"},
        {"iss": "someone-else"},
    ],
    ids=["expired", "wrong-audience", "wrong-issuer"],
)
def test_a_refused_token_is_a_401_in_the_envelope(
    notifications: Notifications, idp: tuple[IdP, str], claims: dict[str, Any]
) -> None:
    token = idp[0].token(1, 1, **claims)
    answer = httpx.get(
        f"{notifications.base_url}/api/notifications/",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "authentication_failed"


def test_a_token_signed_by_another_key_is_refused(notifications: Notifications) -> None:
    forged = IdP().token(1, 1)  # a key the JWKS does not publish
    answer = httpx.get(
        f"{notifications.base_url}/api/notifications/",
        headers={"Authorization": f"Bearer {forged}"},
    )
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "authentication_failed"


def test_the_monolith_tokens_are_accepted(
    monolith_server: RunningServer, customers: tuple[Shopper, Shopper], tmp_path: Path
) -> None:
    """With the monolith as ID provider (its JWKS), as the proxy's exchange makes them."""
    me = customers[0]
    exchanged = me.client.post("/api/auth/jwt/exchange/", json={"audience": "notifications"})
    assert exchanged.status_code == 200, exchanged.text
    jwks = f"{monolith_server.base_url}/.well-known/jwks.json"
    with start_notifications(tmp_path, JWKS_URL=jwks) as service:
        assert backfill(tmp_path, monolith_database_url(monolith_server.env)).returncode == 0
        host = host_of(monolith_server)
        me.client.headers["Host"] = host
        headers = {"Authorization": f"Bearer {exchanged.json()['access']}", "Host": host}
        ours = httpx.get(f"{service.base_url}/api/notifications/", headers=headers)
        theirs = me.client.get("/api/notifications/")
        assert ours.status_code == 200
        assert ours.json() == theirs.json()
        assert ours.json()["count"] == 2
