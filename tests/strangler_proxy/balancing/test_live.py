"""Balancing through the real proxy: two instances of a service, active health checks and
passive outlier detection, seen from the instances' own request counters."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from strangler_proxy.routing import Mode
from strangler_proxy.store import open_store
from tests.strangler_proxy.proxy_stack import Running, proxy, route, seed, standin, until


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[tuple[Running, Running, Running]]:
    """(proxy, instance a, instance b) with /svc/* routed to the service "catalog"."""
    with (
        standin("monolith", tmp_path) as monolith,
        standin("catalog-a", tmp_path) as a,
        standin("catalog-b", tmp_path) as b,
    ):
        url = f"sqlite:///{tmp_path / 'flags.sqlite3'}"
        store = open_store(url, create=True)
        routes = [route("svc", "/svc/{rest:path}", Mode.SERVICE, "catalog")]
        seed(store, {"catalog": [a.url, b.url]}, routes)
        store.close()
        # the failing instance fails on purpose: the automatic rollback is not what is tested
        args = ("--health-interval", "0.2", "--no-auto-rollback")
        with proxy(monolith.url, url, tmp_path, *args) as px:
            yield px, a, b


def served_by(px: Running, count: int, path: str = "/svc/item") -> Counter[str]:
    with httpx.Client(base_url=px.url, trust_env=False) as client:
        return Counter(client.get(path).json()["served_by"] for _ in range(count))


def received(upstream: Running, key: str) -> int:
    counts: dict[str, int] = httpx.get(upstream.url + "/_received", trust_env=False).json()
    return counts.get(key, 0)


def test_requests_are_spread_over_healthy_instances(
    stack: tuple[Running, Running, Running],
) -> None:
    px, a, _ = stack
    assert served_by(px, 40) == {"catalog-a": 20, "catalog-b": 20}
    httpx.post(a.url + "/_control/health/fail", trust_env=False)
    until(lambda: served_by(px, 10) == {"catalog-b": 10}, timeout=5)


def test_an_instance_answering_5xx_is_ejected_after_five_in_a_row(
    stack: tuple[Running, Running, Running],
) -> None:
    px, _, b = stack
    httpx.post(b.url + "/_control/behaviour/fail", trust_env=False)
    answers = served_by(px, 30, "/svc/flaky")
    # b's five failures were answered by the monolith (GET is safe to repeat), then b is out
    assert answers == {"catalog-a": 25, "monolith": 5}
    assert received(b, "GET /svc/flaky") == 5
