"""What a health check counts as healthy: a 2xx only. A service instance whose health URL
answers 404 (it has none there: the wrong port, or not the service registered) is taken out
of the rotation, though it answers other requests; seen through the real proxy."""

from __future__ import annotations

import asyncio
import http.server
import threading
from collections import Counter
from pathlib import Path
from typing import ClassVar

import httpx

from strangler_proxy.balancing.health import HealthChecker
from strangler_proxy.balancing.outlier import OutlierPolicy
from strangler_proxy.balancing.pool import Instance, ServicePools
from strangler_proxy.routing import Mode
from strangler_proxy.store import open_store
from tests.strangler_proxy.proxy_stack import proxy, route, seed, standin, until


def test_an_instance_whose_health_url_answers_404_gets_no_requests(tmp_path: Path) -> None:
    with (
        standin("monolith", tmp_path) as monolith,
        standin("catalog-a", tmp_path) as a,
        standin("catalog-b", tmp_path) as b,
    ):
        url = f"sqlite:///{tmp_path / 'flags.sqlite3'}"
        store = open_store(url, create=True)
        seed(store, {"catalog": [a.url, b.url]},
             [route("svc", "/svc/{rest:path}", Mode.SERVICE, "catalog")])  # fmt: skip
        store.close()
        httpx.post(a.url + "/_control/health/missing", trust_env=False)
        assert httpx.get(a.url + "/health/", trust_env=False).status_code == 404
        with (
            proxy(monolith.url, url, tmp_path, "--health-interval", "0.1") as px,
            httpx.Client(base_url=px.url, trust_env=False) as client,
        ):

            def served_by() -> Counter[str]:
                return Counter(client.get("/svc/item").json()["served_by"] for _ in range(10))

            until(lambda: served_by() == {"catalog-b": 10})


def test_an_instance_stored_with_a_path_is_never_tried_and_says_why() -> None:
    instance = Instance.from_url("catalog", "http://127.0.0.1:8101/api", OutlierPolicy())
    assert instance.origin is None and not instance.available(0.0)
    assert instance.last_check_error is not None
    assert instance.last_check_error.startswith(
        "never tried: a path in an instance URL is not supported ('/api')"
    )


class _KeptAlive(http.server.BaseHTTPRequestHandler):
    """Answers 200 over HTTP/1.1 keep-alive, counting the connections it was given."""

    protocol_version = "HTTP/1.1"
    connections: ClassVar[list[int]] = []

    def setup(self) -> None:
        super().setup()
        self.connections.append(1)

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_each_health_check_opens_its_own_connection() -> None:
    """A kept-alive connection would be closed by a server that keeps idle ones about as long
    as the check interval (gunicorn: 2 s), and the next check would race the close and fail
    on a healthy instance: each check connects afresh (connecting is part of the check)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _KeptAlive)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    pools = ServicePools()
    pools.update({"catalog": (url,)})
    [instance] = pools.instances()

    async def three_checks() -> None:
        checker = HealthChecker(pools)
        for _ in range(3):
            await checker.check(instance)
            assert instance.healthy and instance.last_check_error is None
        await checker._client.aclose()

    try:
        asyncio.run(three_checks())
    finally:
        server.shutdown()
    assert len(_KeptAlive.connections) == 3
