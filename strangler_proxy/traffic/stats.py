"""What happened in a traffic run, and the summary people read (pure: no I/O).

Every planned request ends as exactly one :class:`Outcome`: answered (with a status),
failed (no answer: refused, timed out, reset), skipped (a value it needs, say the order to
cancel, never came) or cancelled (still pending at the deadline). An answer whose status the
plan did not expect, and every failure, counts as an *error*.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

ANSWERED, FAILED, SKIPPED, CANCELLED = "answered", "failed", "skipped", "cancelled"


@dataclass(frozen=True)
class Outcome:
    step: str
    kind: str
    status: int | None = None
    latency: float | None = None
    expected: bool = True
    error: str | None = None

    @property
    def is_error(self) -> bool:
        return self.kind == FAILED or (self.kind == ANSWERED and not self.expected)

    @property
    def status_class(self) -> str:
        if self.kind == ANSWERED and self.status is not None:
            return f"{self.status // 100}xx"
        return self.kind


@dataclass(frozen=True)
class StepSummary:
    step: str
    count: int
    errors: int
    statuses: Mapping[int, int]
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None


@dataclass(frozen=True)
class Summary:
    target: str
    elapsed: float
    issued: int
    answered: int
    failed: int
    skipped: int
    cancelled: int
    errors: int
    status_classes: Mapping[str, int]
    steps: Sequence[StepSummary]
    error_messages: Mapping[str, int] = field(default_factory=dict)

    @property
    def achieved_rate(self) -> float:
        """Requests that went out (answered or failed) per second of the run."""
        return (self.answered + self.failed) / self.elapsed if self.elapsed > 0 else 0.0

    def to_json(self) -> dict[str, object]:
        return {
            "target": self.target,
            "elapsed_s": round(self.elapsed, 3),
            "issued": self.issued,
            "answered": self.answered,
            "failed": self.failed,
            "skipped": self.skipped,
            "cancelled": self.cancelled,
            "errors": self.errors,
            "achieved_rate": round(self.achieved_rate, 2),
            "status_classes": dict(self.status_classes),
            "error_messages": dict(self.error_messages),
            "steps": {
                s.step: {
                    "count": s.count,
                    "errors": s.errors,
                    "statuses": {str(code): n for code, n in sorted(s.statuses.items())},
                    "p50_ms": s.p50_ms,
                    "p95_ms": s.p95_ms,
                    "p99_ms": s.p99_ms,
                }
                for s in self.steps
            },
        }


def percentile(sorted_values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile ``q`` (0-100) of already sorted values; None when empty."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 2)


def summarize(target: str, outcomes: Iterable[Outcome], elapsed: float) -> Summary:
    outcomes = list(outcomes)
    by_step: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        by_step.setdefault(outcome.step, []).append(outcome)
    steps = []
    for step in sorted(by_step):
        group = by_step[step]
        latencies = sorted(o.latency for o in group if o.kind == ANSWERED and o.latency is not None)
        steps.append(
            StepSummary(
                step=step,
                count=len(group),
                errors=sum(o.is_error for o in group),
                statuses=dict(Counter(o.status for o in group if o.status is not None)),
                p50_ms=_ms(percentile(latencies, 50)),
                p95_ms=_ms(percentile(latencies, 95)),
                p99_ms=_ms(percentile(latencies, 99)),
            )
        )
    kinds = Counter(o.kind for o in outcomes)
    return Summary(
        target=target,
        elapsed=elapsed,
        issued=len(outcomes),
        answered=kinds[ANSWERED],
        failed=kinds[FAILED],
        skipped=kinds[SKIPPED],
        cancelled=kinds[CANCELLED],
        errors=sum(o.is_error for o in outcomes),
        status_classes=dict(sorted(Counter(o.status_class for o in outcomes).items())),
        steps=steps,
        error_messages=dict(Counter(o.error for o in outcomes if o.error).most_common(5)),
    )
