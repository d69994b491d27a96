"""Who answered, told twice: to the client in ``X-Strangler-*`` headers, and to the operator
in the access log (one JSON line per request), for service answers, fallbacks and the
monolith alike. Both upstreams are stand-in processes; the proxy is the real one."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from strangler_proxy.routing import Mode
from strangler_proxy.store import open_store
from tests.strangler_proxy.proxy_stack import Running, proxy, route, seed, until


@pytest.fixture
def orders_store(service: Running, tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'flags.sqlite3'}"
    store = open_store(url, create=True)
    seed(
        store,
        {"orders": [service.url]},
        [route("orders", "/orders/{rest:path}", Mode.SERVICE, "orders")],
    )
    store.close()
    return url


def lines(log: Path, count: int) -> list[dict[str, object]]:
    """The log's first ``count`` lines but the health checks that told the fixture the proxy
    was up, once they are there."""

    def read() -> list[dict[str, object]] | None:
        found = [json.loads(x) for x in log.read_text().splitlines()]
        found = [r for r in found if r["target"] != "/health/"]
        return found[:count] if len(found) >= count else None

    return until(read)


def test_answers_and_the_access_log_say_who_answered_and_why(
    monolith: Running, service: Running, orders_store: str, var_dir: Path, tmp_path: Path
) -> None:
    log = tmp_path / "access.log"
    with proxy(monolith.url, orders_store, var_dir, "--access-log", str(log)) as px:
        served = httpx.get(
            px.url + "/orders/1?x=1", headers={"X-Request-ID": "req-1"}, trust_env=False
        )
        httpx.post(f"{service.url}/_control/behaviour/fail", trust_env=False)
        fell_back = httpx.get(px.url + "/orders/2", trust_env=False)
        unmatched = httpx.get(px.url + "/catalog/", trust_env=False)
        records = lines(log, 3)

    assert served.json()["served_by"] == "orders"
    assert (served.headers["x-strangler-served-by"], served.headers["x-strangler-route"]) == (
        "orders",
        "orders",
    )
    assert "x-strangler-fallback" not in served.headers
    assert fell_back.json()["served_by"] == "monolith"
    assert fell_back.headers["x-strangler-served-by"] == "monolith"
    assert fell_back.headers["x-strangler-fallback"] == "5xx"
    assert unmatched.headers["x-strangler-served-by"] == "monolith"
    assert "x-strangler-route" not in unmatched.headers

    picked = [
        {k: r[k] for k in ("method", "target", "status", "served_by", "route", "fallback")}
        for r in records
    ]
    assert picked == [
        {"method": "GET", "target": "/orders/1?x=1", "status": 200, "served_by": "orders",
         "route": "orders", "fallback": None},
        {"method": "GET", "target": "/orders/2", "status": 200, "served_by": "monolith",
         "route": "orders", "fallback": "5xx"},
        {"method": "GET", "target": "/catalog/", "status": 200, "served_by": "monolith",
         "route": None, "fallback": None},
    ]  # fmt: skip
    assert records[0]["request_id"] == "req-1"
    assert records[0]["client"] == "127.0.0.1"
    assert all(isinstance(r["ms"], float) and r["ms"] >= 0 for r in records)
    assert all(str(r["ts"]).endswith("Z") for r in records)


def test_routing_headers_can_be_turned_off(
    monolith: Running, orders_store: str, var_dir: Path
) -> None:
    with proxy(monolith.url, orders_store, var_dir, "--no-routing-headers") as px:
        answer = httpx.get(px.url + "/catalog/", trust_env=False)
    assert answer.status_code == 200
    assert not [name for name in answer.headers if name.startswith("x-strangler-")]


def test_a_request_the_proxy_refuses_is_logged_as_its_own_answer(
    monolith: Running, service: Running, orders_store: str, var_dir: Path, tmp_path: Path
) -> None:
    log = tmp_path / "access.log"
    args = ("--access-log", str(log), "--max-body-bytes", "10")
    with proxy(monolith.url, orders_store, var_dir, *args) as px:
        refused = httpx.post(px.url + "/orders/new", content=b"x" * 100, trust_env=False)
        (record,) = lines(log, 1)
    assert refused.status_code == 413
    picked = {k: record[k] for k in ("method", "target", "status", "served_by", "route")}
    assert picked == {
        "method": "POST", "target": "/orders/new", "status": 413, "served_by": "proxy",
        "route": "orders",
    }  # fmt: skip
    assert record["request_id"] == refused.headers["x-request-id"]
    assert "POST /orders/new" not in httpx.get(service.url + "/_received", trust_env=False).json()
