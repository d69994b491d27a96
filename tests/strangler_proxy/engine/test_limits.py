"""Limits and upstream failures: each answered with its status and a short JSON body."""

from __future__ import annotations

import concurrent.futures
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.envelope import error_of
from tests.strangler_proxy.proxy_stack import Running, proxy, standin, until


@pytest.fixture(scope="module")
def tight(echo_monolith: Running, store_url: str, var_dir: Path) -> Iterator[Running]:
    """A proxy with small limits: 1.5 s read timeout, 2 requests in flight, 1000-byte bodies."""
    args = ("--read-timeout", "1.5", "--max-concurrency", "2", "--max-body-bytes", "1000")
    with proxy(echo_monolith.url, store_url, var_dir, *args) as proc:
        yield proc


def test_an_upstream_that_refuses_gets_502(store_url: str, var_dir: Path) -> None:
    with standin("short-lived", var_dir) as upstream, proxy(upstream.url, store_url, var_dir) as px:
        upstream.stop()
        response = httpx.get(px.url + "/anything", trust_env=False)
    assert response.status_code == 502
    message = f"upstream monolith at {upstream.url} refused the connection"
    assert error_of(response.content, 502)["message"] == message
    assert response.json()["error"]["request_id"] == response.headers["x-request-id"]
    assert response.headers["x-strangler-served-by"] == "monolith"


def test_an_upstream_that_is_too_slow_gets_504(tight: Running) -> None:
    response = httpx.get(tight.url + "/slow?seconds=4", trust_env=False, timeout=10)
    assert response.status_code == 504
    assert error_of(response.content, 504)["message"].endswith(" timed out")


def test_over_the_concurrency_limit_gets_503(tight: Running) -> None:
    def slow(_: int) -> httpx.Response:
        return httpx.get(tight.url + "/slow?seconds=1", trust_env=False, timeout=10)

    with concurrent.futures.ThreadPoolExecutor(5) as pool:
        responses = list(pool.map(slow, range(5)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(200) >= 1 and statuses.count(503) >= 1
    assert set(statuses) <= {200, 503}
    refused = next(r for r in responses if r.status_code == 503)
    assert error_of(refused.content, 503)["code"] == "over_capacity"


def test_a_streamed_body_over_the_limit_gets_413(tight: Running) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(10):
            yield b"x" * 500

    response = httpx.post(tight.url + "/anything", content=chunks(), trust_env=False)
    assert response.status_code == 413
    assert error_of(response.content, 413)["message"] == "request body larger than 1000 bytes"


def test_a_declared_body_over_the_limit_gets_413(tight: Running) -> None:
    response = httpx.post(tight.url + "/anything", content=b"x" * 1001, trust_env=False)
    assert response.status_code == 413


def test_bodies_within_the_limit_pass(tight: Running) -> None:
    response = httpx.post(tight.url + "/anything", content=b"x" * 1000, trust_env=False)
    assert (response.status_code, response.json()["body_bytes"]) == (200, 1000)


def received(upstream: Running, request: str) -> int:
    """How many times the stand-in ``upstream`` received ``request`` (``"GET /path"``)."""
    counts: dict[str, int] = httpx.get(upstream.url + "/_received", trust_env=False).json()
    return counts.get(request, 0)


def test_shutdown_drains_requests_in_flight(
    echo_monolith: Running, store_url: str, var_dir: Path
) -> None:
    with (
        proxy(echo_monolith.url, store_url, var_dir) as px,
        concurrent.futures.ThreadPoolExecutor(1) as pool,
    ):
        assert px.pid is not None
        slow = "/drain/slow"  # a path of its own: the stand-in's count tells it arrived
        pending = pool.submit(
            httpx.get, px.url + slow + "?seconds=1.5", trust_env=False, timeout=10
        )
        until(lambda: received(echo_monolith, f"GET {slow}") == 1)  # in flight now
        os.kill(px.pid, signal.SIGTERM)
        response = pending.result()
        assert response.status_code == 200 and response.json()["slow"] is True
        # uvicorn re-raises the signal once drained: the default action ends the process
        assert px.stop() in (0, -signal.SIGTERM)
        with pytest.raises(httpx.ConnectError):
            httpx.get(px.url + "/anything", trust_env=False)
