"""The ASGI app's decisions with a fake ``Upstream`` plugged in (the live tests cover the
same rules over sockets; these pin down every branch of the fallback policy quickly)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from strangler_proxy.balancing import ServicePools
from strangler_proxy.engine.app import ProxyApp, TableHolder
from strangler_proxy.engine.settings import EngineSettings
from strangler_proxy.engine.shadow import ShadowDispatcher
from strangler_proxy.engine.upstream import (
    ConnectFailed,
    Origin,
    RequestBody,
    Timeouts,
    UpstreamError,
    UpstreamTimeout,
)
from strangler_proxy.engine.wire import Headers
from strangler_proxy.metrics import Metrics
from strangler_proxy.routing import Mode, RouteTable
from tests.envelope import error_of
from tests.strangler_proxy.proxy_stack import route

pytestmark = pytest.mark.anyio
MONOLITH = Origin("127.0.0.1", 8000)
SERVICE = Origin("127.0.0.1", 8101)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class Answer:
    status: int
    headers: Headers
    body: bytes

    def body_if_complete(self) -> bytes | None:
        return self.body

    async def stream(self) -> AsyncIterator[bytes]:
        yield self.body

    def close(self) -> None:
        pass


@dataclass
class FakeUpstream:
    """Answers per origin: a status, or an exception to raise. Records every call."""

    outcomes: dict[Origin, int | UpstreamError]
    calls: list[tuple[Origin, str, RequestBody]] = field(default_factory=list)

    async def request(
        self, origin: Origin, method: str, target: bytes, headers: Headers,
        body: RequestBody, timeouts: Timeouts,
    ) -> Answer:  # fmt: skip
        self.calls.append((origin, method, body))
        outcome = self.outcomes[origin]
        if isinstance(outcome, UpstreamError):
            raise outcome
        who = b"monolith" if origin == MONOLITH else b"service"
        return Answer(outcome, [(b"content-length", str(len(who)).encode())], who)

    async def aclose(self) -> None:
        pass


def app_with(upstream: FakeUpstream, mode: Mode = Mode.SERVICE) -> ProxyApp:
    settings = EngineSettings(monolith_url=str(MONOLITH))
    table = RouteTable.build([route("orders", "/orders/{rest:path}", mode, "orders")], version=1)
    pools = ServicePools()
    pools.update({"orders": (str(SERVICE),)})
    metrics = Metrics()
    shadow = ShadowDispatcher(upstream, pools, metrics, settings.timeouts)
    return ProxyApp(settings, TableHolder(table), pools, upstream, metrics, shadow)


async def call(app: ProxyApp, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
    headers = [(b"host", b"shop")]
    if body:
        headers.append((b"content-length", str(len(body)).encode()))
    scope: dict[str, Any] = {
        "type": "http", "method": method, "path": path, "raw_path": path.encode(),
        "query_string": b"", "headers": headers, "scheme": "http", "http_version": "1.1",
        "client": ("10.0.0.1", 5000), "server": ("127.0.0.1", 8080),
    }  # fmt: skip
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


@pytest.mark.parametrize(
    ("failure", "method", "status", "answered_by", "reason"),
    [
        (ConnectFailed("refused"), "GET", 200, b"monolith", "refused"),
        (ConnectFailed("refused"), "POST", 200, b"monolith", "refused"),  # never reached
        (UpstreamTimeout("slow"), "GET", 200, b"monolith", "timeout"),
        (UpstreamTimeout("slow"), "POST", 504, None, None),  # may have reached: no repeat
        (503, "GET", 200, b"monolith", "5xx"),
        (503, "POST", 503, b"service", None),
        (503, "HEAD", 200, b"monolith", "5xx"),
    ],
)
async def test_the_fallback_policy(
    failure: int | UpstreamError, method: str, status: int, answered_by: bytes | None,
    reason: str | None,
) -> None:  # fmt: skip
    upstream = FakeUpstream({SERVICE: failure, MONOLITH: 200})
    app = app_with(upstream)
    got_status, body = await call(app, method, "/orders/1", b"{}" if method == "POST" else b"")
    assert got_status == status
    if answered_by is not None:
        assert body == answered_by
    monolith_calls = [c for c in upstream.calls if c[0] == MONOLITH]
    assert len(monolith_calls) == (1 if reason else 0)
    if reason:
        assert f'strangler_fallbacks_total{{route="orders",reason="{reason}"}} 1' in (
            app.metrics.text()
        )


async def test_an_open_circuit_goes_straight_to_the_monolith() -> None:
    upstream = FakeUpstream({SERVICE: 200, MONOLITH: 200})
    app = app_with(upstream)
    for instance in app.pools.instances():
        instance.healthy = False
    assert await call(app, "POST", "/orders/new", b"{}") == (200, b"monolith")
    assert [c[0] for c in upstream.calls] == [MONOLITH]


async def test_shadow_copies_go_to_the_queue_and_the_monolith_answers() -> None:
    upstream = FakeUpstream({SERVICE: 200, MONOLITH: 200})
    app = app_with(upstream, Mode.SHADOW)
    assert await call(app, "GET", "/orders/7") == (200, b"monolith")
    job = app.shadow.queue.get_nowait()
    assert (job.service, job.method, job.body, job.monolith_status) == ("orders", "GET", None, 200)
    answer = await app.shadow.send(job)
    assert not isinstance(answer, str)
    assert (answer.status, answer.body) == (200, b"service")


async def test_a_write_on_a_shadow_route_is_not_copied() -> None:
    app = app_with(FakeUpstream({SERVICE: 200, MONOLITH: 200}), Mode.SHADOW)
    assert await call(app, "POST", "/orders/new", b'{"a": 1}') == (200, b"monolith")
    assert app.shadow.queue.empty()


async def test_a_full_shadow_queue_drops_the_copy_not_the_request() -> None:
    upstream = FakeUpstream({SERVICE: 200, MONOLITH: 200})
    app = app_with(upstream, Mode.SHADOW)
    for _ in range(app.shadow.queue.maxsize + 3):
        assert (await call(app, "GET", "/orders/1"))[0] == 200
    assert 'strangler_shadow_total{route="orders",outcome="dropped"} 3' in app.metrics.text()


async def test_over_the_concurrency_limit_the_answer_is_503() -> None:
    app = app_with(FakeUpstream({SERVICE: 200, MONOLITH: 200}))
    app.inflight = app.settings.max_concurrency
    status, body = await call(app, "GET", "/orders/1")
    assert status == 503
    assert error_of(body, 503) == {
        "status": 503,
        "code": "over_capacity",
        "message": "over the concurrency limit",
    }
