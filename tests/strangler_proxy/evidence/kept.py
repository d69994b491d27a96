"""What a proxy kept as shadow evidence, read the way the tests wait for it."""

from __future__ import annotations

from strangler_proxy.evidence.sample import Sample
from strangler_proxy.evidence.store import EvidenceError, open_evidence


def samples(evidence_url: str, route_id: str) -> list[Sample]:
    """The route's samples, newest first; none while the store is not made yet (the proxy's
    first batch makes it)."""
    try:
        store = open_evidence(evidence_url)
    except EvidenceError:
        return []
    try:
        return store.samples(route_id)
    finally:
        store.close()
