"""Every mode routes as declared, in front of the real monolith (Django under gunicorn) and a
stand-in service; flags flip under load without dropping a request.

Each test has its own flag store and its own proxy reading it (``shop``), so no test sees a
flag another one flipped and none has to put flags back. Instead of sleeping for a poll or
two, tests wait (with a bound) for what they can observe: who answers, what a service got.
"""

from __future__ import annotations

import concurrent.futures
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from strangler_proxy.routing import CANARY_COOKIE, Mode
from strangler_proxy.store import FlagStore, open_store
from tests.conftest import RunningServer
from tests.envelope import error_of
from tests.strangler_proxy.proxy_stack import Running, proxy, route, seed, standin, until

PRODUCTS = "/api/catalog/products/"
PING = "/health/db/"  # cheap on the monolith; the stand-in echoes it


@pytest.fixture
def flags(tmp_path: Path, catalog: Running) -> Iterator[tuple[str, FlagStore]]:
    """This test's own store: ``products`` and ``ping`` on the monolith, ``catalog`` known."""
    url = f"sqlite:///{tmp_path / 'flags.sqlite3'}"
    store = open_store(url, create=True)
    seed(
        store,
        {"catalog": [catalog.url]},
        [
            route("products", PRODUCTS, methods=["GET"]),
            route("ping", PING, methods=["GET"]),
        ],
    )
    yield url, store
    store.close()


@pytest.fixture
def shop(
    monolith_server: RunningServer, flags: tuple[str, FlagStore], var_dir: Path
) -> Iterator[Running]:
    """The proxy in front of the monolith, reading this test's store. The stand-in service
    answers unlike the monolith on purpose (it says who it is), so a canary's comparisons
    would roll it back: these tests are about the modes, not the rollback."""
    with proxy(monolith_server.base_url, flags[0], var_dir, "--no-auto-rollback") as proc:
        yield proc


def who(response: httpx.Response) -> str:
    """``catalog`` when the stand-in service answered, ``monolith`` when Django did."""
    assert response.status_code == 200, response.text
    served_by: str = response.json().get("served_by", "monolith")
    return served_by


def received(service: Running, request: str) -> int:
    """How many times ``service`` (a stand-in) received ``request`` (``"GET /path"``)."""
    counts: dict[str, int] = httpx.get(service.url + "/_received", trust_env=False).json()
    return counts.get(request, 0)


def answered_after(load: Load, moment: float) -> int:
    """How many of ``load``'s requests were sent after ``moment`` and have been answered."""
    return sum(sent > moment for sent, _, _ in list(load.results))


def flip(store: FlagStore, route_id: str, mode: Mode, percent: int = 0) -> None:
    service = None if mode is Mode.MONOLITH else "catalog"
    store.set_route(
        route_id, mode=mode, percent=percent, service=service, actor="test", reason="test"
    )


def test_every_mode_routes_as_declared(
    shop: Running, flags: tuple[str, FlagStore], catalog: Running
) -> None:
    store = flags[1]
    client = httpx.Client(base_url=shop.url, trust_env=False)
    page = client.get(PRODUCTS)
    assert who(page) == "monolith"  # Django's paginated product list, not the echo:
    assert set(page.json()) == {"count", "next", "previous", "results"}
    assert page.json()["results"]

    flip(store, "products", Mode.SERVICE)
    until(lambda: who(client.get(PRODUCTS)) == "catalog", timeout=2)

    flip(store, "products", Mode.SHADOW)
    until(lambda: who(client.get(PRODUCTS)) == "monolith", timeout=2)
    seen = received(catalog, f"GET {PRODUCTS}")
    assert who(client.get(PRODUCTS)) == "monolith"
    until(lambda: received(catalog, f"GET {PRODUCTS}") > seen, timeout=2)  # the copy

    flip(store, "products", Mode.CANARY, percent=100)
    until(lambda: who(client.get(PRODUCTS)) == "catalog", timeout=2)
    flip(store, "products", Mode.CANARY, percent=0)
    until(lambda: who(client.get(PRODUCTS)) == "monolith", timeout=2)


def test_a_canary_splits_within_tolerance_and_sticks(
    shop: Running, flags: tuple[str, FlagStore]
) -> None:
    flip(flags[1], "ping", Mode.CANARY, percent=30)
    client = httpx.Client(base_url=shop.url, trust_env=False)
    # the proxy has the canary once it gives a new browser the canary cookie
    until(lambda: CANARY_COOKIE in httpx.get(shop.url + PING, trust_env=False).cookies)

    def side(user: int) -> str:
        client.cookies.clear()  # each request is a different user, known by its cookie only
        return who(client.get(PING, headers={"Cookie": f"strangler_client=user-{user}"}))

    sides = {user: side(user) for user in range(2000)}
    share = sum(s == "catalog" for s in sides.values()) / len(sides)
    assert 0.25 <= share <= 0.35, share
    assert all(side(user) == sides[user] for user in range(0, 2000, 10))  # sticky


class Load:
    """Threads sending GETs until stopped; every answer (or error) is recorded with its time."""

    def __init__(self, url: str, threads: int = 4) -> None:
        self.url = url
        self.results: list[tuple[float, float, str]] = []  # (sent, answered, who or error)
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run) for _ in range(threads)]

    def _run(self) -> None:
        with httpx.Client(trust_env=False, timeout=10) as client:
            while not self._stop.is_set():
                sent = time.monotonic()
                try:
                    outcome = who(client.get(self.url))
                except (httpx.HTTPError, AssertionError) as exc:
                    outcome = f"error: {exc}"
                self.results.append((sent, time.monotonic(), outcome))

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()


def test_a_flip_under_load_drops_nothing_and_applies_within_a_second(
    shop: Running, flags: tuple[str, FlagStore]
) -> None:
    with Load(shop.url + PING) as load:
        until(lambda: len(load.results) >= 50)  # under way, on the monolith
        flipped = time.monotonic()
        flip(flags[1], "ping", Mode.SERVICE)
        until(lambda: answered_after(load, flipped + 1.0) >= 50)
    outcomes = [o for _, _, o in load.results]
    assert len(outcomes) > 100
    assert not [o for o in outcomes if o.startswith("error")]
    assert {o for sent, done, o in load.results if done < flipped} == {"monolith"}
    assert {o for sent, _, o in load.results if sent > flipped + 1.0} == {"catalog"}


def test_killing_the_service_mid_run_fails_no_get_and_repeats_no_post(
    monolith_server: RunningServer, var_dir: Path, tmp_path: Path
) -> None:
    with standin("inventory", var_dir) as service:
        url = f"sqlite:///{tmp_path / 'flags.sqlite3'}"
        store = open_store(url, create=True)
        seed(
            store,
            {"inventory": [service.url]},
            [
                route("ping", PING, Mode.SERVICE, "inventory", methods=["GET"]),
                route("checkout", "/api/orders/{rest:path}", Mode.SERVICE, "inventory"),
            ],
        )
        store.close()
        with (
            proxy(monolith_server.base_url, url, var_dir) as px,
            Load(px.url + PING) as load,
            concurrent.futures.ThreadPoolExecutor(1) as pool,
        ):
            post = pool.submit(
                httpx.post, px.url + "/api/orders/checkout/slow?seconds=3", content=b"{}",
                trust_env=False, timeout=10,
            )  # fmt: skip
            # the POST has reached the service (it answers in 3 s) and the GETs are flowing
            until(lambda: received(service, "POST /api/orders/checkout/slow") == 1)
            until(lambda: len(load.results) >= 50)
            killed = time.monotonic()
            assert service.pid is not None
            os.killpg(service.pid, signal.SIGKILL)
            until(lambda: answered_after(load, killed + 0.1) >= 50)
            posted = post.result()
    outcomes = [o for _, _, o in load.results]
    assert len(outcomes) > 100
    assert not [o for o in outcomes if o.startswith("error")]
    assert {o for _, done, o in load.results if done < killed} == {"inventory"}
    assert {o for sent, _, o in load.results if sent > killed + 0.1} == {"monolith"}
    # the POST had reached the service: the client learns it failed, the monolith never sees it
    assert posted.status_code == 502
    assert error_of(posted.content, 502)["message"].startswith(
        f"upstream inventory at {service.url} failed"
    )


def test_a_flip_reaches_every_worker(
    monolith_server: RunningServer, catalog: Running, var_dir: Path, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'flags.sqlite3'}"
    store = open_store(url, create=True)
    seed(store, {"catalog": [catalog.url]}, [route("ping", PING, methods=["GET"])])
    with proxy(monolith_server.base_url, url, var_dir, "--workers", "2") as px:

        def answers() -> set[str]:  # a new connection per request: the workers share them
            return {who(httpx.get(px.url + PING, trust_env=False)) for _ in range(30)}

        assert answers() == {"monolith"}
        flip(store, "ping", Mode.SERVICE)
        until(lambda: answers() == {"catalog"})  # every worker, each from its own poll
    store.close()
