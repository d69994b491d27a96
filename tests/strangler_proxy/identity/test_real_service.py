"""A client that only knows the monolith's credentials writes through the proxy to the real
catalog service: the real monolith as ID provider, the catalog service verifying the JWT the
proxy exchanged for it (its BearerAuthentication on the monolith's JWKS), the production
engine in front on its default exchange. The client sends what it always sent (a DRF
token); the service answers as the monolith would (201 for staff, 403 for a customer, 401
for nobody), and clients cannot tell who answered but by the routing header."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from strangler_proxy.routing import Mode
from strangler_proxy.stack.process import ManagedProcess
from strangler_proxy.store import open_store
from tests.conftest import RunningServer
from tests.envelope import error_of
from tests.extracted_services.catalog.service import start_catalog
from tests.extracted_services.catalog.tokens import STAFF, customer, log_in
from tests.strangler_proxy.proxy_stack import Running, proxy, route, seed

CATEGORIES = "/api/catalog/categories/"


@pytest.fixture(scope="module")
def catalog(
    monolith_server: RunningServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ManagedProcess]:
    service = start_catalog(tmp_path_factory.mktemp("catalog"), monolith_server.base_url)
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture(scope="module")
def edge(
    monolith_server: RunningServer,
    catalog: ManagedProcess,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Running]:
    var_dir = tmp_path_factory.mktemp("identity-real-service")
    store_url = f"sqlite:///{var_dir / 'flags.sqlite3'}"
    store = open_store(store_url, create=True)
    categories = route("category-list", CATEGORIES, Mode.SERVICE, "catalog", methods=["POST"])
    seed(store, {"catalog": [catalog.base_url]}, [categories])
    store.close()
    with proxy(monolith_server.base_url, store_url, var_dir) as running:
        yield running


def create(edge: Running, headers: dict[str, str], slug: str) -> httpx.Response:
    body = {"name": slug.title(), "slug": slug}
    return httpx.post(edge.url + CATEGORIES, json=body, headers=headers, trust_env=False)


def test_staff_creates_a_category_in_the_service_with_its_drf_token(
    edge: Running, monolith_server: RunningServer, catalog: ManagedProcess
) -> None:
    staff = log_in(monolith_server.base_url, STAFF)
    made = create(edge, staff.monolith, "phantom-garden")
    assert made.status_code == 201, made.text
    assert made.headers["x-strangler-served-by"] == "catalog"
    kept = httpx.get(f"{catalog.base_url}{CATEGORIES}{made.json()['id']}/", trust_env=False)
    assert kept.json()["slug"] == "phantom-garden"  # written in the service's own database


def test_a_customer_is_refused_by_the_service_as_by_the_monolith(
    edge: Running, monolith_server: RunningServer
) -> None:
    alice = log_in(monolith_server.base_url, customer(1))
    refused = create(edge, alice.monolith, "phantom-shed")
    assert (refused.status_code, refused.headers["x-strangler-served-by"]) == (403, "catalog")
    assert error_of(refused.content, 403)["code"] == "permission_denied"


def test_nobody_is_asked_to_authenticate_by_the_service(edge: Running) -> None:
    anonymous = create(edge, {}, "phantom-anon")
    assert (anonymous.status_code, anonymous.headers["x-strangler-served-by"]) == (401, "catalog")
    assert error_of(anonymous.content, 401)["code"] == "not_authenticated"


def test_a_stolen_looking_token_never_reaches_the_service(edge: Running) -> None:
    refused = create(edge, {"Authorization": "Token 0000000000000000000000000000000000000000"},
                     "phantom-forged")  # fmt: skip
    assert (refused.status_code, refused.headers["x-strangler-served-by"]) == (401, "monolith")
    assert error_of(refused.content, 401)["code"] == "authentication_failed"
