"""What a route's evidence says (pure): rates, and the paths that differ most, with an example.

Noise-only samples count as matches ("after noise"); samples where the service gave no
answer are counted apart (unanswered), not as mismatches.

>>> from strangler_proxy.compare.diff import Difference, Kind
>>> def sample(verdict, *paths):
...     found = tuple(Difference(p, Kind.CHANGED, 1, 2) for p in paths)
...     return Sample("r", 0.0, "GET", "/a/", "", (), None, verdict, differences=found)
>>> evidence = summarize("r", [sample("match"), sample("noise"), sample("error"),
...                            sample("mismatch", "$.items[0].price", "$.total"),
...                            sample("mismatch", "$.items[3].price")])
>>> evidence.samples, evidence.match_rate, evidence.unanswered_rate
(5, 0.5, 0.2)
>>> [(p.path, p.count) for p in evidence.top_paths]
[('$.items[*].price', 2), ('$.total', 1)]
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from strangler_proxy.compare.noise import generalised
from strangler_proxy.evidence.sample import Sample

TOP = 10


@dataclass(frozen=True, slots=True)
class PathCount:
    path: str  # list indexes as [*]
    count: int  # samples showing it
    example: str  # one request that showed it: "GET /api/...?..."
    monolith: Any = None
    service: Any = None


@dataclass(frozen=True, slots=True)
class RouteEvidence:
    route: str
    samples: int = 0
    match: int = 0
    mismatch: int = 0
    noise: int = 0
    error: int = 0
    top_paths: tuple[PathCount, ...] = ()
    noise_paths: tuple[str, ...] = field(default=())
    first_at: float | None = None
    last_at: float | None = None

    @property
    def answered(self) -> int:
        return self.samples - self.error

    @property
    def match_rate(self) -> float:
        """Matches, noise included, over the samples the service answered (0 without any)."""
        return (self.match + self.noise) / self.answered if self.answered else 0.0

    @property
    def noise_rate(self) -> float:
        return self.noise / self.answered if self.answered else 0.0

    @property
    def unanswered_rate(self) -> float:
        return self.error / self.samples if self.samples else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "route": self.route,
            "samples": self.samples,
            "match": self.match,
            "mismatch": self.mismatch,
            "noise": self.noise,
            "error": self.error,
            "match_rate": round(self.match_rate, 6),
            "noise_rate": round(self.noise_rate, 6),
            "unanswered_rate": round(self.unanswered_rate, 6),
            "top_paths": [
                {
                    "path": p.path,
                    "count": p.count,
                    "example": p.example,
                    "monolith": p.monolith,
                    "service": p.service,
                }
                for p in self.top_paths
            ],
            "noise_paths": list(self.noise_paths),
            "first_at": self.first_at,
            "last_at": self.last_at,
        }


def summarize(route: str, samples: Iterable[Sample], top: int = TOP) -> RouteEvidence:
    counts = {"match": 0, "mismatch": 0, "noise": 0, "error": 0}
    tally: dict[str, int] = {}
    examples: dict[str, PathCount] = {}
    noise: set[str] = set()
    moments: list[float] = []
    for sample in samples:
        counts[sample.verdict] = counts.get(sample.verdict, 0) + 1
        moments.append(sample.at)
        noise.update(generalised(p) for p in sample.noise)
        seen: dict[str, PathCount] = {}
        for d in sample.differences:
            seen.setdefault(
                generalised(d.path), PathCount(d.path, 0, _request(sample), d.monolith, d.service)
            )
        for path, example in seen.items():
            tally[path] = tally.get(path, 0) + 1
            examples.setdefault(path, example)
    ranked = sorted(tally, key=lambda path: (-tally[path], path))[:top]
    return RouteEvidence(
        route,
        samples=sum(counts.values()),
        match=counts["match"],
        mismatch=counts["mismatch"],
        noise=counts["noise"],
        error=counts["error"],
        top_paths=tuple(
            PathCount(
                path,
                tally[path],
                examples[path].example,
                examples[path].monolith,
                examples[path].service,
            )
            for path in ranked
        ),
        noise_paths=tuple(sorted(noise)),
        first_at=min(moments, default=None),
        last_at=max(moments, default=None),
    )


def _request(sample: Sample) -> str:
    return f"{sample.method} {sample.path}" + (f"?{sample.query}" if sample.query else "")
