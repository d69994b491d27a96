"""The engine's one composition root: ``build_engine`` makes a worker from the settings and
whichever parts the caller brings (here a store it opened and a clock), and ``serve`` runs
it on a socket bound to port 0, in this process, until the caller says stop."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from strangler_proxy.engine.runtime import build_engine
from strangler_proxy.engine.server import bind, serve
from strangler_proxy.engine.settings import EngineSettings
from strangler_proxy.engine.status import WorkerStatus
from strangler_proxy.routing import Mode
from strangler_proxy.store import open_store
from tests.strangler_proxy.proxy_stack import Running, route, seed


def test_an_engine_built_from_its_parts_serves_in_this_process(
    echo_monolith: Running, service: Running, tmp_path: Path
) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'flags.sqlite3'}", create=True)
    seed(store, {"orders": [service.url]}, [route("orders", "/orders/", Mode.SERVICE, "orders")])
    listeners = bind(EngineSettings(monolith_url=echo_monolith.url, port=0))
    settings = listeners.settings
    engine = build_engine(settings, store=store, clock=lambda: 0.0)
    status = WorkerStatus()
    status.local = engine

    async def scenario() -> list[httpx.Response]:
        stop = asyncio.Event()
        serving = asyncio.create_task(serve(engine, listeners.proxy, stop=stop))
        base = f"http://127.0.0.1:{settings.port}"
        async with httpx.AsyncClient(base_url=base, trust_env=False) as client:
            answers = [await client.get("/orders/"), await client.get("/elsewhere")]
        stop.set()
        await serving
        return answers

    try:
        to_service, to_monolith = asyncio.run(scenario())
    finally:
        listeners.close()
    assert settings.port != 0
    assert to_service.json()["served_by"] == "orders"
    assert to_monolith.headers["x-strangler-served-by"] == "monolith"
    assert 'route="orders"' in status.metrics_text()  # what the admin would serve
    assert [w["pid"] for w in status.health_snapshot()["workers"]] == [engine.snapshot()["pid"]]
