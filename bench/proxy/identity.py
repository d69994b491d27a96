"""The benchmark's identity section: what the phantom-token exchange costs a request a
service answers, as ratios to the same engine and route without a credential, in the same
run and round by round: that row is the section's ``direct`` (its "vs direct" and "+p50"
are the exchange's share of throughput and its added latency).

One engine (1 worker) routes ``FAST_PATH`` to a service (the fast upstream) and exchanges
credentials at an ID provider as fast (``upstream.py exchange``: the same token for every
request, no signing), so the rows measure the proxy's own work:

- no credential: nothing to exchange (the baseline);
- exchange, cached: one ``Authorization: Token`` on every request: one exchange, then the
  cache (credential found, sha256, lookup, headers rewritten);
- exchange, uncached: a token never seen before on every request (wrk's Lua script
  ``unique_token.lua``): one exchange per request, over the engine's pooled httpx client.

The real monolith's exchange (Django, a database lookup and an Ed25519 signature) costs
more per uncached request than this stand-in; the cached row does not depend on it.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from rich.progress import Progress

from bench.proxy import servers
from bench.proxy.measure import Credential
from bench.proxy.report import Row
from bench.proxy.runner import Contender, Settings, measure_rounds, running
from strangler_proxy.identity import DEFAULT_EXCHANGE
from strangler_proxy.routing import Mode, Route
from strangler_proxy.store import open_store

TITLE = "identity exchange (engine 1w -> service)"


def identity_store(work_store: str, service_url: str) -> str:
    """A flag store routing ``FAST_PATH`` to the service ``catalog`` at ``service_url``."""
    url = f"sqlite:///{work_store}"
    store = open_store(url, create=True)
    try:
        store.register_service("catalog", [service_url], actor="bench", reason="benchmark")
        detail = Route(
            "catalog-product-detail", frozenset({"GET"}), "/api/catalog/products/{pk:int}/",
            "catalog", Mode.SERVICE,
        )  # fmt: skip
        store.upsert_routes([detail], actor="bench", reason="benchmark route table")
    finally:
        store.close()
    return url


def section(settings: Settings, work: Path, bar: Progress) -> list[Row]:
    """The identity rows, measured interleaved like every other section."""
    task = bar.add_task(f"{TITLE}: starting", total=None)
    path = servers.FAST_PATH
    work = work / "identity"
    work.mkdir(parents=True, exist_ok=True)
    with (
        running(servers.start_fast_upstream(work)) as service,
        running(servers.start_uvloop_upstream(work, "exchange")) as idp,
        contextlib.ExitStack() as stack,
    ):
        store = identity_store(str(work / "flags.sqlite3"), service.url)
        engine = servers.start_engine(
            work, idp.url, store, 1, path, "--identity-exchange", idp.url + DEFAULT_EXCHANGE
        )
        stack.callback(engine.process.stop)
        contenders = [
            Contender("engine, no credential (baseline)", "direct", engine),
            Contender("engine, exchange cached", "", engine, Credential("good-bench")),
            Contender("engine, exchange uncached", "", engine, Credential(unique=True)),
        ]
        bar.update(task, description=f"{TITLE}: measuring", total=2 * settings.rounds * 3)
        measure_rounds(contenders, path, settings, lambda: bar.advance(task))
        rows = [c.row(TITLE, settings.rate) for c in contenders]
    bar.remove_task(task)
    return rows
