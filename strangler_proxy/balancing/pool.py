"""Which instance of a service gets the next request: healthy, not ejected, least in flight.

Holds mutable per-instance state (health from active checks, the outlier detector, requests
in flight) for one worker process; the decisions themselves are small and synchronous.

>>> pools = ServicePools(clock=lambda: 0.0)
>>> pools.update({"catalog": ("http://127.0.0.1:8101",)})
>>> pools.pick("catalog").url
'http://127.0.0.1:8101'
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from strangler_proxy.balancing.outlier import OutlierDetector, OutlierPolicy
from strangler_proxy.registry import InstanceAddress, Origin


@dataclass(eq=False)
class Instance:
    service: str
    url: str
    #: None: a URL no engine can reach (https, or a path: stored before they were refused);
    #: such an instance is never tried or health-checked, its service is circuit-open
    origin: Origin | None
    healthy: bool = True  # last verdict of the active health check
    inflight: int = 0
    detector: OutlierDetector = field(default_factory=OutlierDetector)
    last_check_error: str | None = None
    last_check_at: float | None = None  # wall clock (time.time()) of the last active check

    @classmethod
    def from_url(cls, service: str, url: str, policy: OutlierPolicy) -> Instance:
        try:
            address = InstanceAddress.parse(url)
        except ValueError as exc:
            return cls(service, url, None, healthy=False, detector=OutlierDetector(policy),
                       last_check_error=f"never tried: {exc}")  # fmt: skip
        return cls(service, url, address.origin, detector=OutlierDetector(policy))

    def available(self, now: float) -> bool:
        return self.origin is not None and self.healthy and not self.detector.ejected(now)


class ServicePools:
    """All services' instances for this worker; replaced piecewise when the registry changes."""

    def __init__(
        self, policy: OutlierPolicy | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.policy = policy or OutlierPolicy()
        self.clock = clock
        self._services: dict[str, list[Instance]] = {}
        self._turn = 0

    def update(self, services: Mapping[str, tuple[str, ...]]) -> None:
        """Adopt the registry; instances that stay keep their health and ejection state."""
        known = {(i.service, i.url): i for group in self._services.values() for i in group}
        self._services = {
            name: [
                known.get((name, url)) or Instance.from_url(name, url, self.policy) for url in urls
            ]
            for name, urls in services.items()
        }

    def instances(self) -> list[Instance]:
        return [i for group in self._services.values() for i in group]

    def pick(self, service: str) -> Instance | None:
        """The available instance with the fewest requests in flight (rotating among ties);
        None when the service is unknown or every instance is down or ejected (circuit open)."""
        group = self._services.get(service)
        if not group:
            return None
        now = self.clock()
        self._turn += 1
        best: Instance | None = None
        size = len(group)
        for step in range(size):
            candidate = group[(self._turn + step) % size]
            if candidate.available(now) and (best is None or candidate.inflight < best.inflight):
                best = candidate
        return best

    def report(self, instance: Instance, ok: bool) -> None:
        """Passive outlier detection: feed each exchange's outcome."""
        now = self.clock()
        detector = instance.detector
        instance.detector = detector.success(now) if ok else detector.failure(now)

    def snapshot(self) -> dict[str, Any]:
        """Each instance as the admin API shows it; times as ISO 8601 UTC (wall clock)."""
        now, wall = self.clock(), time.time()
        return {
            name: [
                {
                    "url": i.url,
                    "healthy": i.healthy,
                    "ejected": i.detector.ejected(now),
                    "ejections": i.detector.ejections,
                    "available": i.available(now),
                    "inflight": i.inflight,
                    "last_check_error": i.last_check_error,
                    "last_check_at": _utc(i.last_check_at),
                    "ejected_until": _ejected_until(i, now, wall),
                }
                for i in group
            ]
            for name, group in self._services.items()
        }


def _ejected_until(instance: Instance, now: float, wall: float) -> str | None:
    """When an ejection ends, on the wall clock (the detector counts on ``clock``)."""
    if not instance.detector.ejected(now):
        return None
    return _utc(wall + instance.detector.ejected_until - now)


def _utc(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")
