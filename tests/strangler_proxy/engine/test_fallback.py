"""Fallback: when the service cannot answer, the monolith does, but only when that is safe.

Both upstreams here are stand-ins that count what they receive, so "never sent twice" is
checked on the monolith's own counters.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from strangler_proxy.routing import Mode
from strangler_proxy.store import open_store
from tests.envelope import error_of
from tests.strangler_proxy.proxy_stack import Running, proxy, route, seed


@pytest.fixture
def px(monolith: Running, service: Running, tmp_path: Path, var_dir: Path) -> Iterator[Running]:
    url = f"sqlite:///{tmp_path / 'flags.sqlite3'}"
    store = open_store(url, create=True)
    seed(
        store,
        {"orders": [service.url]},
        [route("orders", "/orders/{rest:path}", Mode.SERVICE, "orders")],
    )
    store.close()
    with proxy(monolith.url, url, var_dir, "--read-timeout", "1") as proc:
        yield proc


def received(upstream: Running) -> dict[str, int]:
    counts: dict[str, int] = httpx.get(upstream.url + "/_received", trust_env=False).json()
    return counts


def behave(upstream: Running, behaviour: str) -> None:
    httpx.post(f"{upstream.url}/_control/behaviour/{behaviour}", trust_env=False)


def call(px: Running, method: str, path: str, body: bytes | None = None) -> httpx.Response:
    return httpx.request(method, px.url + path, content=body, trust_env=False, timeout=10)


def test_a_healthy_service_answers(px: Running, service: Running, monolith: Running) -> None:
    assert call(px, "GET", "/orders/1").json()["served_by"] == "orders"
    assert call(px, "POST", "/orders/new", b'{"sku": 1}').json()["served_by"] == "orders"
    assert "POST /orders/new" not in received(monolith)


def test_a_get_the_service_fails_with_5xx_is_answered_by_the_monolith(
    px: Running, service: Running, monolith: Running
) -> None:
    behave(service, "fail")
    response = call(px, "GET", "/orders/1")
    assert (response.status_code, response.json()["served_by"]) == (200, "monolith")
    assert received(service)["GET /orders/1"] == 1
    assert received(monolith)["GET /orders/1"] == 1


def test_a_post_the_service_failed_is_not_sent_again(
    px: Running, service: Running, monolith: Running
) -> None:
    behave(service, "fail")
    response = call(px, "POST", "/orders/new", b'{"sku": 1}')
    assert (response.status_code, response.json()["served_by"]) == (503, "orders")
    assert received(service)["POST /orders/new"] == 1
    assert "POST /orders/new" not in received(monolith)


def test_a_get_the_service_cut_short_is_answered_by_the_monolith(
    px: Running, service: Running, monolith: Running
) -> None:
    """The service sent a head and died before its body: nothing went to the client yet."""
    behave(service, "truncate")
    response = call(px, "GET", "/orders/4")
    assert (response.status_code, response.json()["served_by"]) == (200, "monolith")
    assert received(service)["GET /orders/4"] == 1


def test_a_post_the_service_cut_short_is_a_502_and_is_not_sent_again(
    px: Running, service: Running, monolith: Running
) -> None:
    behave(service, "truncate")
    response = call(px, "POST", "/orders/new", b"{}")
    assert response.status_code == 502
    failed = f"upstream orders at {service.url} failed: "
    assert error_of(response.content, 502)["message"].startswith(failed)
    assert "POST /orders/new" not in received(monolith)


def test_a_get_the_service_is_too_slow_for_is_answered_by_the_monolith(
    px: Running, service: Running, monolith: Running
) -> None:
    behave(service, "slow")
    response = call(px, "GET", "/orders/2")
    assert (response.status_code, response.json()["served_by"]) == (200, "monolith")


def test_a_post_the_service_is_too_slow_for_gets_504_and_is_not_sent_again(
    px: Running, service: Running, monolith: Running
) -> None:
    behave(service, "slow")
    response = call(px, "POST", "/orders/new", b"{}")
    assert response.status_code == 504
    assert (
        error_of(response.content, 504)["message"] == f"upstream orders at {service.url} timed out"
    )
    assert received(service)["POST /orders/new"] == 1
    assert "POST /orders/new" not in received(monolith)


def test_a_service_that_is_gone_sends_everything_to_the_monolith(
    px: Running, service: Running, monolith: Running
) -> None:
    service.stop()
    assert call(px, "GET", "/orders/3").json()["served_by"] == "monolith"
    # the connection was refused: the POST never reached the service, so it is safe to send
    response = call(px, "POST", "/orders/new", b'{"sku": 2}')
    assert (response.status_code, response.json()["served_by"]) == (200, "monolith")
    assert received(monolith)["POST /orders/new"] == 1
