"""A replay's totals: counts per verdict and per differing path."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from strangler_proxy.compare.outcome import Outcome, Verdict


@dataclass
class Totals:
    """Counts per verdict and per differing path (path -> how many requests showed it)."""

    verdicts: Counter[Verdict] = field(default_factory=Counter)
    paths: Counter[str] = field(default_factory=Counter)
    skipped: int = 0

    def add(self, outcomes: Iterable[Outcome]) -> Totals:
        for outcome in outcomes:
            self.verdicts[outcome.verdict] += 1
            self.paths.update({d.path for d in outcome.differences})
        return self

    @property
    def compared(self) -> int:
        return sum(self.verdicts.values())

    @property
    def mismatch_rate(self) -> float:
        """Mismatches and errors over the requests compared (0 when none was)."""
        bad = self.verdicts[Verdict.MISMATCH] + self.verdicts[Verdict.ERROR]
        return bad / self.compared if self.compared else 0.0
