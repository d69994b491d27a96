"""What the metrics' gauges read every few seconds (``instruments.keep_fresh``), from what
``strangler events status`` computes: the outbox backlogs, each subscriber's lag (its
JetStream consumer's; embedded: the events queued for it) and the dead letters."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Protocol, runtime_checkable

from strangler_proxy.events.instruments import EventMetrics, Probe, Reading, kept_fresh
from strangler_proxy.events.lag import Lag
from strangler_proxy.events.sources import Source
from strangler_proxy.events.status import backlogs, consumer_lags
from strangler_proxy.events.subscriber import Subscriber


@runtime_checkable
class Counts(Protocol):
    def counts(self) -> dict[str, int]: ...


class Queues(Protocol):
    def waiting(self) -> dict[str, Lag]: ...


def relay_gauges(
    metrics: EventMetrics | None,
    sources: Sequence[Source],
    dead: object,
    queues: Sequence[Queues],
    stop: asyncio.Event,
) -> contextlib.AbstractContextManager[None]:
    """The relay's gauges kept fresh (off the hot path) for a block's length."""
    return kept_fresh(
        metrics,
        partial(relay_probe, sources, dead, queues),
        stop,
        sources=[source.name for source in sources],
        subscribers=sorted({name for queue in queues for name in queue.waiting()}),
    )


def relay_probe(sources: Sequence[Source], dead: object, queues: Sequence[Queues]) -> Probe:
    """The relay's: each source's backlog, the dead letters (when ``dead`` can count them)
    and, embedded, what each subscriber has still to answer for."""

    async def probe() -> Reading:
        found = await asyncio.to_thread(backlogs, sources)
        backlog = {b.source: b.unpublished for b in found if b.unpublished is not None}
        lags: dict[str, Lag] = {}
        for queue in queues:
            for name, lag in queue.waiting().items():
                lags[name] = _sum(lags.get(name), lag)
        pending, ages = _lags(lags)
        return Reading(backlog, pending, ages, await _dead(dead))

    return probe


def deliverer_gauges(
    metrics: EventMetrics | None,
    url: str,
    subscribers: Sequence[Subscriber],
    dead: Counts,
    stop: asyncio.Event,
) -> contextlib.AbstractContextManager[None]:
    """The deliverer's gauges kept fresh (off the hot path) for a block's length."""
    names = [s.name for s in subscribers]
    probe = partial(deliverer_probe, url, set(names), dead)
    return kept_fresh(metrics, probe, stop, subscribers=names)


def deliverer_probe(url: str, subscribers: Collection[str], dead: Counts) -> Probe:
    """The deliverer's: each subscriber's consumer lag and its dead letters."""

    async def probe() -> Reading:
        _, found = await consumer_lags(url)
        pending, ages = _lags({name: lag for name, _, lag in found if name in subscribers})
        return Reading({}, pending, ages, await _dead(dead))

    return probe


def _lags(lags: dict[str, Lag]) -> tuple[dict[str, int], dict[str, float]]:
    now = datetime.now(UTC)
    return (
        {name: lag.count for name, lag in lags.items()},
        {name: lag.age(now) or 0.0 for name, lag in lags.items()},
    )


def _sum(a: Lag | None, b: Lag) -> Lag:
    """Two sources' queues for one subscriber: counts added, the older oldest.

    >>> t1, t2 = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)
    >>> _sum(Lag(1, 0, t2), Lag(2, 1, t1)) == Lag(3, 1, t1)
    True
    """
    if a is None:
        return b
    oldest = min((t for t in (a.oldest, b.oldest) if t is not None), default=None)
    return Lag(a.pending + b.pending, a.unacked + b.unacked, oldest)


async def _dead(dead: object) -> dict[str, int]:
    if not isinstance(dead, Counts):  # a store that cannot count (tests' stand-ins)
        return {}
    return await asyncio.to_thread(dead.counts)
