"""Passive outlier detection, Envoy style: a pure state machine with the clock as a parameter.

After ``consecutive`` failures in a row (5xx answers or failed connections) an instance is
ejected for ``base_ejection`` x (number of times it has been ejected), capped at
``max_ejection``. Each ``base_ejection`` spent healthy forgives one past ejection.

>>> d = OutlierDetector()
>>> for _ in range(5):
...     d = d.failure(now=100.0)
>>> d.ejected(now=110.0), d.ejected(now=131.0)
(True, False)
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class OutlierPolicy:
    consecutive: int = 5  # Envoy consecutive_5xx
    base_ejection: float = 30.0  # Envoy base_ejection_time
    max_ejection: float = 300.0  # Envoy max_ejection_time


@dataclass(frozen=True)
class OutlierDetector:
    policy: OutlierPolicy = OutlierPolicy()
    failures: int = 0  # consecutive failures so far
    ejections: int = 0  # times ejected (the multiplier)
    ejected_until: float = 0.0
    healthy_since: float = 0.0

    def ejected(self, now: float) -> bool:
        return now < self.ejected_until

    def success(self, now: float) -> OutlierDetector:
        forgiven = self.ejections
        if forgiven and not self.ejected(now) and self.policy.base_ejection > 0:
            spent = now - max(self.ejected_until, self.healthy_since)
            forgiven = max(0, self.ejections - int(spent // self.policy.base_ejection))
        if self.failures == 0 and forgiven == self.ejections:
            return self
        return replace(self, failures=0, ejections=forgiven, healthy_since=now)

    def failure(self, now: float) -> OutlierDetector:
        if self.ejected(now):
            return self
        failures = self.failures + 1
        if failures < self.policy.consecutive:
            return replace(self, failures=failures)
        ejections = self.ejections + 1
        duration = min(self.policy.base_ejection * ejections, self.policy.max_ejection)
        return replace(self, failures=0, ejections=ejections, ejected_until=now + duration)
