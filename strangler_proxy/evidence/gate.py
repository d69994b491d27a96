"""The promotion gate (pure): may a route move to ``canary`` or ``service`` on its evidence?

A route earns a flip by its shadow evidence meeting its bar; the refusal lists every figure
that falls short, so the user knows what to do next.

>>> evidence = RouteEvidence("product-detail", samples=150, match=148, mismatch=2)
>>> decision = judge_promotion(evidence, Bar())
>>> decision.allowed
False
>>> for reason in decision.missing:
...     print(reason)
150 samples, the bar is 200 (shadow it longer)
match rate 98.67% after noise, the bar is 99.50% (2 mismatches: strangler diffs show product-detail)
>>> judge_promotion(RouteEvidence("product-detail", samples=400, match=399, noise=1), Bar()).allowed
True
"""

from __future__ import annotations

from dataclasses import dataclass

from strangler_proxy.evidence.summary import RouteEvidence


@dataclass(frozen=True, slots=True)
class Bar:
    """What a route's evidence must show before it serves real traffic from the service."""

    min_samples: int = 200
    min_match_rate: float = 0.995  # after noise
    max_unanswered_rate: float = 0.01


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    missing: tuple[str, ...] = ()

    def reason(self) -> str:
        return "; ".join(self.missing)


def judge_promotion(evidence: RouteEvidence, bar: Bar) -> Decision:
    missing: list[str] = []
    if evidence.samples < bar.min_samples:
        missing.append(
            f"{evidence.samples} samples, the bar is {bar.min_samples} (shadow it longer)"
        )
    if evidence.answered and evidence.match_rate < bar.min_match_rate:
        missing.append(
            f"match rate {evidence.match_rate:.2%} after noise, the bar is {bar.min_match_rate:.2%}"
            f" ({evidence.mismatch} mismatches: strangler diffs show {evidence.route})"
        )
    if evidence.samples and evidence.unanswered_rate > bar.max_unanswered_rate:
        missing.append(
            f"{evidence.unanswered_rate:.2%} of shadow copies unanswered, the bar is at most"
            f" {bar.max_unanswered_rate:.2%}"
        )
    if evidence.samples and not evidence.answered:
        missing.append("the service answered no shadow copy")
    return Decision(not missing, tuple(missing))
