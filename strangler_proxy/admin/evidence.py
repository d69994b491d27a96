"""What the admin API reads of the shadow evidence: summaries per route, and the promotion
gate's decision for a flip (the evidence store and the rules file, opened per request).

>>> import tempfile
>>> folder = tempfile.TemporaryDirectory()
>>> view = EvidenceView(f"sqlite:///{folder.name}/evidence.sqlite3", None)
>>> view.route("product-detail").samples
0
>>> view.promotion("product-detail").missing
('0 samples, the bar is 200 (shadow it longer)',)
>>> folder.cleanup()
"""

from __future__ import annotations

from pathlib import Path

from strangler_proxy.evidence.gate import Bar, Decision, judge_promotion
from strangler_proxy.evidence.rollback import Budget
from strangler_proxy.evidence.rules_file import RulesFile
from strangler_proxy.evidence.sample import Sample
from strangler_proxy.evidence.store import NoEvidence, open_evidence
from strangler_proxy.evidence.summary import RouteEvidence, summarize


class EvidenceView:
    def __init__(self, evidence_url: str, rules_file: Path | None) -> None:
        self.evidence_url = evidence_url
        self.rules = RulesFile(rules_file)

    def routes(self) -> list[RouteEvidence]:
        try:
            store = open_evidence(self.evidence_url)
        except NoEvidence:
            return []
        try:
            return [summarize(route, store.samples(route)) for route in store.routes()]
        finally:
            store.close()

    def samples(self, route_id: str, limit: int | None = None) -> list[Sample]:
        try:
            store = open_evidence(self.evidence_url)
        except NoEvidence:
            return []
        try:
            return store.samples(route_id, limit)
        finally:
            store.close()

    def route(self, route_id: str) -> RouteEvidence:
        return summarize(route_id, self.samples(route_id))

    def bar(self, route_id: str) -> Bar:
        return Bar(**self.rules.book().gate_for(route_id))

    def promotion(self, route_id: str) -> Decision:
        """May ``route_id`` move to canary or service on its evidence?"""
        return judge_promotion(self.route(route_id), self.bar(route_id))

    def budget(self, route_id: str) -> Budget:
        """The route's automatic-rollback budget (the rules file's rollback table)."""
        return Budget(**self.rules.book().budget_for(route_id))
