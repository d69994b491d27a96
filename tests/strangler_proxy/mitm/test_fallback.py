"""The mitmproxy engine falls back like the production engine: when a service cannot answer,
a request safe to repeat is answered by the monolith; one that reached the service is never
sent twice. And a canary gives a browser without an identity a sticky cookie. Real
mitmdump, real monolith, stand-in services, a real flag store."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from strangler_proxy.routing import CANARY_COOKIE
from strangler_proxy.store import FlagStore
from tests.conftest import RunningServer
from tests.envelope import error_of
from tests.strangler_proxy.mitm.conftest import (
    DETAIL,
    REGISTER,
    mitmdump,
    read_flows,
    start_stand_in,
)

PRODUCT = "/api/catalog/products/1/"
REGISTER_PATH = "/api/auth/register/"


def route_to(
    store: FlagStore, route: str, service: str, mode: str = "service", percent: int | None = None
) -> None:
    store.set_route(
        route, mode=mode, service=service, percent=percent, actor="test", reason=f"to {service}"
    )


def served_by(response: httpx.Response) -> str:
    return response.headers["x-strangler-served-by"]


def until(check: Callable[[], bool], deadline_s: float = 5.0) -> None:
    """Wait for ``check``: a flip to be live (the addon polls the store every 0.1 s here),
    or the load to be under way."""
    deadline = time.monotonic() + deadline_s
    while not check():
        assert time.monotonic() < deadline, f"still not true after {deadline_s} s"
        time.sleep(0.02)


def new_user() -> dict[str, str]:
    name = f"u{uuid.uuid4().hex[:12]}"
    return {"username": name, "password": "correct horse battery", "email": f"{name}@example.com"}


def username_is_free(monolith: str, user: dict[str, str]) -> bool:
    """Registering ``user`` straight at the monolith works only if nobody registered it."""
    return httpx.post(monolith + REGISTER_PATH, json=user, trust_env=False).status_code == 201


def received(stand_in: str, path: str) -> list[dict[str, object]]:
    every: list[dict[str, object]] = httpx.get(f"{stand_in}/__received__", trust_env=False).json()
    return [r for r in every if r["path"] == path]


def test_gets_fall_back_with_no_failure_when_the_service_dies_mid_run(
    proxy: str, store: FlagStore, monolith_server: RunningServer, tmp_path: Path
) -> None:
    answers: list[tuple[int, str]] = []
    lock = threading.Lock()
    with start_stand_in("doomed", tmp_path) as doomed:
        store.register_service("doomed", [doomed.base_url], actor="test")
        route_to(store, DETAIL, "doomed")
        until(lambda: served_by(httpx.get(proxy + PRODUCT, trust_env=False)) == "doomed")

        def worker() -> None:
            with httpx.Client(base_url=proxy, trust_env=False) as client:
                for _ in range(60):
                    response = client.get(PRODUCT)
                    with lock:
                        answers.append((response.status_code, served_by(response)))

        with ThreadPoolExecutor(4) as pool:
            running = [pool.submit(worker) for _ in range(4)]
            until(lambda: len(answers) >= 40 or all(r.done() for r in running))
            doomed.stop()  # the service dies while requests are in flight
            for done in running:
                done.result()
    direct = httpx.get(monolith_server.base_url + PRODUCT, trust_env=False).json()
    assert httpx.get(proxy + PRODUCT, trust_env=False).json() == direct
    assert Counter(status for status, _ in answers) == {200: 240}  # not one failed request
    sides = Counter(side for _, side in answers)
    assert sides["doomed"] >= 40 and sides["monolith"] > 0, sides
    assert {side for _, side in answers[-20:]} == {"monolith"}


def test_a_post_that_never_reached_the_dead_service_is_answered_by_the_monolith(
    proxy: str, store: FlagStore, monolith_server: RunningServer
) -> None:
    route_to(store, DETAIL, "catalog")
    until(lambda: served_by(httpx.get(proxy + PRODUCT, trust_env=False)) == "catalog")
    route_to(store, REGISTER, "dead")  # nothing listens there: the connection is refused
    route_to(store, DETAIL, "dead")  # flipped after REGISTER: once it shows, both are live
    with httpx.Client(base_url=proxy, trust_env=False) as client:
        until(lambda: client.get(PRODUCT).headers.get("x-strangler-fallback") == "refused")
        user = new_user()
        response = client.post(REGISTER_PATH, json=user)
    assert (response.status_code, served_by(response)) == (201, "monolith")
    assert response.headers["x-strangler-fallback"] == "refused"
    assert "token" in response.json()
    assert not username_is_free(monolith_server.base_url, user)  # registered exactly once


def test_a_post_that_reached_the_service_is_never_sent_twice(
    proxy: str, store: FlagStore, stand_in: str, monolith_server: RunningServer
) -> None:
    route_to(store, REGISTER, "catalog")
    route_to(store, DETAIL, "catalog")  # flipped after REGISTER: once it shows, both are live
    with httpx.Client(base_url=proxy, trust_env=False) as client:
        until(lambda: served_by(client.get(PRODUCT)) == "catalog")
        user = new_user()
        dropped = client.post(REGISTER_PATH + "?fail=drop", json=user)
        failing = client.post(REGISTER_PATH + "?fail=500", json=user)
    assert dropped.status_code == 502
    assert dropped.headers["content-type"] == "application/json"
    assert error_of(dropped.content, 502)["message"].startswith(
        f"upstream catalog at {stand_in} failed: "
    )
    assert served_by(dropped) == "catalog" and "x-strangler-fallback" not in dropped.headers
    assert (failing.status_code, served_by(failing)) == (500, "catalog")  # relayed as it is
    for path in (REGISTER_PATH + "?fail=drop", REGISTER_PATH + "?fail=500"):
        assert [r["method"] for r in received(stand_in, path)] == ["POST"]
    assert username_is_free(monolith_server.base_url, user)  # the monolith never saw it


def test_the_flow_file_tells_each_fallback_and_its_reason(
    mitm_env: Path,
    monolith_server: RunningServer,
    store_url: str,
    store: FlagStore,
    stand_in: str,
    tmp_path: Path,
) -> None:
    route_to(store, DETAIL, "catalog")
    route_to(store, REGISTER, "catalog")
    flows = tmp_path / "flows.mitm"
    monolith = monolith_server.base_url
    timeout = ("--set", "strangler_service_timeout_ms=1000")
    with mitmdump(mitm_env, tmp_path, monolith, store_url, *timeout, "-w", str(flows)) as proc:
        base = proc.base_url
        with httpx.Client(base_url=base, trust_env=False) as client:
            answers = {
                path: client.request(method, path, json={} if method == "POST" else None)
                for method, path in [
                    ("GET", PRODUCT + "?fail=500"),
                    ("GET", PRODUCT + "?fail=slow"),
                    ("GET", PRODUCT + "?fine=1"),
                    ("POST", REGISTER_PATH + "?fail=slow"),
                ]
            }
    direct = httpx.get(monolith + PRODUCT, trust_env=False).json()
    for path in (PRODUCT + "?fail=500", PRODUCT + "?fail=slow"):
        assert (answers[path].status_code, served_by(answers[path])) == (200, "monolith")
        assert answers[path].json() == direct
    assert answers[PRODUCT + "?fine=1"].json()["served_by"] == "catalog"
    slow_post = answers[REGISTER_PATH + "?fail=slow"]
    assert slow_post.status_code == 504
    assert (
        error_of(slow_post.content, 504)["message"] == f"upstream catalog at {stand_in} timed out"
    )
    recorded = {(f["method"], f["path"]): f for f in read_flows(mitm_env, flows)}
    del recorded["GET", "/health/"]  # mitmdump's start-up check
    summary = {key: (f["served_by"], f["fallback"], f["status"]) for key, f in recorded.items()}
    assert summary == {
        ("GET", PRODUCT + "?fail=500"): ("monolith", "5xx", 200),
        ("GET", PRODUCT + "?fail=slow"): ("monolith", "timeout", 200),
        ("GET", PRODUCT + "?fine=1"): ("catalog", None, 200),
        ("POST", REGISTER_PATH + "?fail=slow"): ("catalog", None, 504),
    }


def test_a_canary_gives_a_browser_without_identity_a_sticky_cookie(
    proxy: str, store: FlagStore
) -> None:
    route_to(store, DETAIL, "catalog", mode="canary", percent=50)
    until(lambda: "set-cookie" in httpx.get(proxy + PRODUCT, trust_env=False).headers)
    first_sides: Counter[str] = Counter()
    for _ in range(40):  # 40 browsers behind one address, each with its own cookie jar
        with httpx.Client(base_url=proxy, trust_env=False) as browser:
            first = browser.get(PRODUCT)
            cookie = first.headers.get("set-cookie", "")
            assert cookie.startswith(f"{CANARY_COOKIE}=")
            assert cookie.endswith("; Path=/; HttpOnly; SameSite=Lax")
            first_sides[served_by(first)] += 1
            again = [browser.get(PRODUCT) for _ in range(3)]
            assert {served_by(r) for r in again} == {served_by(first)}  # sticky
            assert all("set-cookie" not in r.headers for r in again)  # set once
    assert first_sides["catalog"] >= 5 and first_sides["monolith"] >= 5, first_sides
    logged_in = httpx.get(proxy + PRODUCT, headers={"Authorization": "Token x"}, trust_env=False)
    assert "set-cookie" not in logged_in.headers  # a user is already told apart
    route_to(store, DETAIL, "catalog")
    outside_canary = httpx.get(proxy + "/api/catalog/products/", trust_env=False)
    assert "set-cookie" not in outside_canary.headers
