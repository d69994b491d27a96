"""Real processes for the engine's tests: two stand-in upstreams (one plays the monolith, so
tests can see exactly what it received) and the proxy in front of them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from strangler_proxy.routing import Mode
from strangler_proxy.store import FlagStore, open_store
from tests.strangler_proxy.proxy_stack import Running, proxy, route, seed, standin


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("engine")


@pytest.fixture(scope="module")
def echo_monolith(var_dir: Path) -> Iterator[Running]:
    with standin("monolith", var_dir) as proc:
        yield proc


@pytest.fixture
def service(var_dir: Path) -> Iterator[Running]:
    """A fresh stand-in ``orders`` service for one test (its counters start at zero)."""
    with standin("orders", var_dir) as proc:
        yield proc


@pytest.fixture
def monolith(var_dir: Path) -> Iterator[Running]:
    """A fresh stand-in monolith for one test, so it can tell what reached it."""
    with standin("monolith", var_dir) as proc:
        yield proc


@pytest.fixture(scope="module")
def catalog(var_dir: Path) -> Iterator[Running]:
    with standin("catalog", var_dir) as proc:
        yield proc


@pytest.fixture(scope="module")
def store_url(var_dir: Path, catalog: Running) -> Iterator[str]:
    url = f"sqlite:///{var_dir / 'flags.sqlite3'}"
    store = open_store(url, create=True)
    seed(
        store,
        {"catalog": [catalog.url]},
        [
            route("to-service", "/svc/{rest:path}", Mode.SERVICE, "catalog"),
            route("status", "/status/{code:int}", Mode.SERVICE, "catalog"),
            route("upload", "/upload", Mode.SERVICE, "catalog", methods=["POST"]),
            route("split", "/split/{rest:path}", Mode.CANARY, "catalog", percent=50),
        ],
    )
    store.close()
    yield url


@pytest.fixture(scope="module")
def store(store_url: str) -> Iterator[FlagStore]:
    s = open_store(store_url)
    yield s
    s.close()


@pytest.fixture(scope="module")
def edge(echo_monolith: Running, store_url: str, var_dir: Path) -> Iterator[Running]:
    """The proxy in front of the echoing monolith, with the proxy variables of the
    environment pointing at a port nobody listens on (they must be ignored). The stand-ins
    answer unlike each other on purpose (each says who it is), which a canary's sampled
    comparisons would rightly roll back: these tests are about routing, not the rollback.
    The echoing monolith has no identity exchange: a client's token here only tells clients
    apart (the exchange has its own tests: tests/strangler_proxy/identity)."""
    dead = "http://127.0.0.1:9"
    env = {"HTTP_PROXY": dead, "http_proxy": dead, "ALL_PROXY": dead, "NO_PROXY": ""}
    args = ("--no-auto-rollback", "--identity-exchange", "off")
    with proxy(echo_monolith.url, store_url, var_dir, *args, env=env) as proc:
        yield proc
