"""The engine's own per-request work, without sockets: ``python -m bench.proxy.inprocess``.

The real front, exchange, app (route table, policy, wire rules, request ids, routing headers,
metrics), upstream pool and upstream parser run on uvloop in this process; only the two
sockets are replaced, by transports that keep what is written and answer each upstream
request with a canned nginx-like answer on the next loop turn. What is left is the Python
(and uvloop) work the engine does per request, the part a profile can cut: no kernel, no
load generator, no upstream process, so the figure moves far less with the machine's other
load than a wrk run does. ``--profile`` prints cProfile's top functions for the same run.
``--trace-sample R`` turns tracing on (every request starts a trace; ``parentbased_traceidratio``
at R) with the span-file exporter (``--trace-exporter none``: spans made and batched, none
written); the batch thread's work counts, its last batch flushed inside the timing.
"""

from __future__ import annotations

import asyncio
import cProfile
import functools
import io
import pstats
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from typing import Any

import click
import uvloop

from strangler_proxy.balancing import ServicePools
from strangler_proxy.engine.app import ProxyApp, TableHolder
from strangler_proxy.engine.front import Connection as ClientConnection
from strangler_proxy.engine.front import Front
from strangler_proxy.engine.settings import EngineSettings
from strangler_proxy.engine.shadow import ShadowDispatcher
from strangler_proxy.engine.tracing import RequestTracer
from strangler_proxy.engine.upstream import Origin, PooledUpstream, Timeouts
from strangler_proxy.engine.upstream.connection import Connection as UpstreamConnection
from strangler_proxy.metrics import Metrics
from strangler_proxy.routing import Mode, Route, RouteTable

#: what wrk sends (its Host line and nothing else)
REQUEST = b"GET /api/catalog/products/1/ HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n"
#: what the bench's nginx static upstream answers
ANSWER = (
    b"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Tue, 01 Dec 2026 06:00:00 GMT\r\n"
    b"Content-Type: application/json\r\nContent-Length: 29\r\nConnection: keep-alive\r\n\r\n"
    b'{"ok": true, "from": "nginx"}'
)


class _Transport:
    """Enough of an asyncio transport for the front and the upstream connection."""

    def __init__(self, on_write: Callable[[bytes], None]) -> None:
        self.on_write = on_write
        self.closing = False

    def write(self, data: bytes) -> None:
        self.on_write(data)

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 40000) if name in ("peername", "sockname") else default

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True

    def abort(self) -> None:
        self.closing = True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


class _CannedUpstream(PooledUpstream):
    """The real pool, whose connections reach a canned answer instead of a socket."""

    async def _connect(self, origin: Origin, timeouts: Timeouts) -> UpstreamConnection:
        loop = asyncio.get_running_loop()
        conn = UpstreamConnection(loop)

        def answer(_request: bytes) -> None:
            loop.call_soon(conn.data_received, ANSWER)

        conn.connection_made(_Transport(answer))  # type: ignore[arg-type]
        return conn


def bench_table(routes: int = 40) -> RouteTable:
    """The benchmark's table (``servers.bench_store``): ``routes`` routes on the monolith."""
    table = [
        Route(f"bench-{i}", frozenset({"GET"}), f"/api/area{i}/items/{{pk:int}}/", None,
              Mode.MONOLITH)
        for i in range(routes - 1)
    ]  # fmt: skip
    table.append(
        Route("catalog-product-detail", frozenset({"GET", "PUT"}),
              "/api/catalog/products/{pk:int}/", None, Mode.MONOLITH)
    )  # fmt: skip
    return RouteTable.build(table)


class _NoExport:
    """A span exporter that writes nothing (``--trace-exporter none``)."""

    def export(self, spans: Sequence[Any]) -> Any:
        from opentelemetry.sdk.trace.export import SpanExportResult

        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def _provider(sample: float, exporter: str) -> Any:
    """A tracer provider as ``strangler up`` makes one (batching, the span files) at ``sample``."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    from strangler_proxy.telemetry.files import FileSpanExporter

    provider = TracerProvider(sampler=ParentBased(TraceIdRatioBased(sample)))
    chosen: SpanExporter
    if exporter == "files":
        chosen = FileSpanExporter(tempfile.mkdtemp(prefix="bench-inprocess-traces-"))
    else:
        chosen = _NoExport()  # type: ignore[assignment]  # duck-typed: the SDK calls three methods
    provider.add_span_processor(BatchSpanProcessor(chosen, schedule_delay_millis=500))
    return provider


async def _run(
    requests: int, connections: int, sample: float | None = None, exporter: str = "files"
) -> float:
    """Seconds for ``requests`` requests, ``connections`` at a time, each kept alive."""
    settings = EngineSettings("http://127.0.0.1:9")  # every feature on, access log off
    upstream = _CannedUpstream()
    metrics = Metrics()
    pools = ServicePools()
    shadow = ShadowDispatcher(upstream, pools, metrics, settings.timeouts)
    provider = None if sample is None else _provider(sample, exporter)
    tracer = None if provider is None else RequestTracer(provider.get_tracer("bench"))
    app = ProxyApp(
        settings, TableHolder(bench_table()), pools, upstream, metrics, shadow, tracer=tracer
    )
    front = Front(app, max_head_bytes=settings.max_header_bytes)
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    left = [requests]
    clients: list[ClientConnection] = []

    def client(index: int) -> ClientConnection:
        def answered(data: bytes) -> None:
            if not data.startswith(b"HTTP/1.1 200 "):
                if not done.done():
                    done.set_exception(AssertionError(f"unexpected answer: {data[:300]!r}"))
                return
            left[0] -= 1
            if left[0] <= 0:
                if not done.done():
                    done.set_result(None)
            elif left[0] >= connections:  # keep ``connections`` requests in flight
                loop.call_soon(clients[index].data_received, REQUEST)

        conn = front.protocol()
        conn.connection_made(_Transport(answered))  # type: ignore[arg-type]
        return conn

    clients.extend(client(i) for i in range(connections))
    began = time.perf_counter()
    for conn in clients:
        conn.data_received(REQUEST)
    await done
    if provider is not None:
        provider.shutdown()  # the last batch written: the exporter's work counts
    took = time.perf_counter() - began
    for conn in clients:
        conn.connection_lost(None)
    return took


def per_request_us(
    requests: int, connections: int, sample: float | None = None, exporter: str = "files"
) -> float:
    """Microseconds of the engine's own work per request (one run)."""
    return uvloop.run(_run(requests, connections, sample, exporter)) / requests * 1e6


@click.command()
@click.option("--requests", default=20000, show_default=True, help="requests per run")
@click.option("--connections", default=32, show_default=True, help="requests in flight")
@click.option("--runs", default=5, show_default=True, help="runs; median and spread shown")
@click.option("--profile", is_flag=True, help="also print cProfile's top functions (one run)")
@click.option("--trace-sample", type=float, default=None, help="tracing on at this sample ratio")
@click.option(
    "--trace-exporter", type=click.Choice(["files", "none"]), default="files", show_default=True
)
def main(
    requests: int,
    connections: int,
    runs: int,
    profile: bool,
    trace_sample: float | None,
    trace_exporter: str,
) -> None:
    """The engine's Python work per request, in microseconds, without sockets."""
    if requests < 1 or connections < 1 or runs < 1:
        raise click.UsageError("--requests, --connections and --runs must be positive")
    run = functools.partial(
        per_request_us, connections=connections, sample=trace_sample, exporter=trace_exporter
    )
    run(min(requests, 2000))  # warm-up: imports, caches
    figures = [run(requests) for _ in range(runs)]
    click.echo(
        f"engine work per request, no sockets: median {statistics.median(figures):.1f} us "
        f"({min(figures):.1f}-{max(figures):.1f}) over {runs} runs of {requests} requests, "
        f"{connections} in flight"
    )
    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        run(requests)
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(25)
        click.echo(out.getvalue())


if __name__ == "__main__":
    main()
