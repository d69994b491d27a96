"""The relay's and the deliverer's Prometheus metrics (issue 11's DESIGN §4), served by
``--metrics-listen HOST:PORT`` from prometheus_client's own server thread.

Each process has its own ``CollectorRegistry`` (not the library's global one): two in one
test process do not collide. Counters move on the hot path (an increment); the gauges
(outbox backlog, consumer pending and lag, dead letters) are read by ``keep_fresh`` every
few seconds off it, from what ``events status`` computes too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server

log = logging.getLogger("strangler.events.metrics")

#: seconds between two readings of the gauges
REFRESH_EVERY = 2.0


@dataclass(frozen=True, slots=True)
class Reading:
    """The gauges' values at one moment (a name missing: not known then)."""

    backlog: Mapping[str, int] = field(default_factory=dict)  # per source
    pending: Mapping[str, int] = field(default_factory=dict)  # per subscriber
    lag_seconds: Mapping[str, float] = field(default_factory=dict)  # per subscriber
    dead_letters: Mapping[str, int] = field(default_factory=dict)  # per subscriber


Probe = Callable[[], Awaitable[Reading]]


class EventMetrics:
    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry()
        self.published = Counter(
            "strangler_events_published", "Outbox rows relayed (marked published), per source.",
            ["source"], registry=registry,
        )  # fmt: skip
        self.applied = Counter(
            "strangler_events_applied",
            "Events delivered to an inbox, per subscriber and the inbox's outcome (failed: "
            "the delivery failed; counted per attempt).",
            ["subscriber", "outcome"], registry=registry,
        )  # fmt: skip
        self.errors = Counter(
            "strangler_events_errors", "Failures, per stage (outbox, publish, push, "
            "dead_letters, decode, broker).", ["stage"], registry=registry,
        )  # fmt: skip
        self.backlog = Gauge(
            "strangler_events_outbox_backlog", "Outbox rows not published yet, per source.",
            ["source"], registry=registry,
        )  # fmt: skip
        self.pending = Gauge(
            "strangler_events_consumer_pending",
            "Events not applied yet, per subscriber (delivered and unacked included).",
            ["subscriber"], registry=registry,
        )  # fmt: skip
        self.lag = Gauge(
            "strangler_events_consumer_lag_seconds",
            "Age of the oldest event not applied yet, per subscriber (0: none).",
            ["subscriber"], registry=registry,
        )  # fmt: skip
        self.dead_letters = Gauge(
            "strangler_events_dead_letters", "Dead letters not replayed, per subscriber.",
            ["subscriber"], registry=registry,
        )  # fmt: skip

    def known(self, sources: Sequence[str] = (), subscribers: Sequence[str] = ()) -> None:
        """Show these at 0 from the start (a series that appears only later is hard to
        alert on)."""
        for source in sources:
            self.published.labels(source)
            self.backlog.labels(source).set(0)
        for name in subscribers:
            for gauge in (self.pending, self.lag, self.dead_letters):
                gauge.labels(name).set(0)

    def count(self, subscriber: str, outcome: str, n: int = 1) -> None:
        self.applied.labels(subscriber, outcome).inc(n)

    def error(self, stage: str) -> None:
        self.errors.labels(stage).inc()

    def show(self, reading: Reading) -> None:
        for source, count in reading.backlog.items():
            self.backlog.labels(source).set(count)
        for name, count in reading.pending.items():
            self.pending.labels(name).set(count)
            self.lag.labels(name).set(reading.lag_seconds.get(name) or 0.0)
        for name, count in reading.dead_letters.items():
            self.dead_letters.labels(name).set(count)

    async def keep_fresh(
        self, probe: Probe, stop: asyncio.Event, every: float = REFRESH_EVERY
    ) -> None:
        """Read ``probe`` now and every ``every`` seconds until ``stop``; a failed reading
        is logged once and counted (stage ``metrics``), the gauges keep their last values."""
        failing = False
        while not stop.is_set():
            try:
                self.show(await probe())
                failing = False
            except Exception as exc:  # a probe's database or broker away: try again later
                self.error("metrics")
                if not failing:
                    log.warning("cannot read the events' gauges: %s", exc)
                failing = True
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every)

    def serve(self, host: str, port: int) -> MetricsServer:
        """Serve ``/metrics`` at ``host:port`` (0: any free port) from a daemon thread;
        ``OSError`` when it cannot bind."""
        server, _ = start_http_server(port, host, registry=self.registry)
        return MetricsServer(server)


def count_error(metrics: EventMetrics | None, stage: str) -> None:
    """One failure at ``stage`` (nothing without metrics)."""
    if metrics is not None:
        metrics.error(stage)


@contextlib.contextmanager
def kept_fresh(
    metrics: EventMetrics | None,
    probe: Callable[[], Probe],
    stop: asyncio.Event,
    *,
    sources: Sequence[str] = (),
    subscribers: Sequence[str] = (),
) -> Iterator[None]:
    """In a running event loop: the gauges read by ``probe()`` every few seconds for the
    block's length (nothing without metrics); ``sources`` and ``subscribers`` shown at 0
    from the start."""
    if metrics is None:
        yield
        return
    metrics.known(sources, subscribers)
    task = asyncio.create_task(metrics.keep_fresh(probe(), stop))
    try:
        yield
    finally:
        task.cancel()


class MetricsServer:
    def __init__(self, server: WSGIServer) -> None:
        self._server = server
        address = server.server_address
        self.host, self.port = str(address[0]), int(address[1])

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/metrics"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def parse_listen(value: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[v6]:PORT`` too) as ``(host, port)``; ValueError naming the problem.

    >>> parse_listen("127.0.0.1:8091"), parse_listen("[::1]:0")
    (('127.0.0.1', 8091), ('::1', 0))
    >>> parse_listen("8091")
    Traceback (most recent call last):
    ...
    ValueError: '8091': expected HOST:PORT, e.g. 127.0.0.1:8091 (port 0: any free one)
    """
    host, sep, port = value.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        hint = "expected HOST:PORT, e.g. 127.0.0.1:8091 (port 0: any free one)"
        raise ValueError(f"{value!r}: {hint}")
    return host, int(port)
