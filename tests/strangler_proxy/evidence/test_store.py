"""The evidence store on SQLite and PostgreSQL: samples kept whole, retention, two writers."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from strangler_proxy.compare.diff import Difference, Kind
from strangler_proxy.evidence.sample import Sample, redact_body, redact_headers
from strangler_proxy.evidence.store import NoEvidence, Retention, open_evidence
from strangler_proxy.evidence.summary import summarize
from tests.strangler_proxy.store.conftest import postgres_database, postgres_url  # noqa: F401


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def evidence_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'evidence.sqlite3'}"
    return str(request.getfixturevalue("postgres_url"))


def mismatch(path: str, at: float | None = None) -> Sample:
    return Sample(
        route="product-detail",
        at=at if at is not None else time.time(),
        method="POST",
        path=path,
        query="page=2",
        headers=redact_headers([("Authorization", "Token secret"), ("Accept", "*/*")]),
        body=redact_body(b'{"password": "hunter2", "q": "shoes"}'),
        verdict="mismatch",
        monolith_status=200,
        service_status=200,
        differences=(Difference("$.price", Kind.TYPE, "12.50", 12.5),),
        noise=("$.served_at",),
    )


def test_a_sample_comes_back_whole_and_without_secrets(evidence_url: str) -> None:
    store = open_evidence(evidence_url, create=True)
    store.record([mismatch("/api/catalog/products/1/")])
    [back] = store.samples("product-detail")
    assert back.headers == (("authorization", "[redacted]"), ("accept", "*/*"))
    assert back.body == '{"password":"[redacted]","q":"shoes"}'
    assert back.differences == (Difference("$.price", Kind.TYPE, "12.50", 12.5),)
    assert (back.query, back.noise, back.monolith_status) == ("page=2", ("$.served_at",), 200)
    evidence = summarize("product-detail", store.samples("product-detail"))
    assert [(p.path, p.count, p.example) for p in evidence.top_paths] == [
        ("$.price", 1, "POST /api/catalog/products/1/?page=2")
    ]
    store.close()


def test_retention_keeps_the_newest_per_route_and_drops_the_old(evidence_url: str) -> None:
    store = open_evidence(evidence_url, create=True, retention=Retention(per_route=3, max_age=3600))
    store.record([mismatch(f"/old/{n}/", at=time.time() - 7200) for n in range(2)])
    for n in range(5):
        store.record([mismatch(f"/new/{n}/")])
    assert [s.path for s in store.samples()] == ["/new/4/", "/new/3/", "/new/2/"]
    store.close()


def test_two_writers_share_one_store(evidence_url: str) -> None:
    first = open_evidence(evidence_url, create=True)
    second = open_evidence(evidence_url)
    first.record([mismatch("/a/")])
    second.record([mismatch("/b/")])
    assert sorted(s.path for s in first.samples()) == ["/a/", "/b/"]
    first.close()
    second.close()


def test_reading_a_store_that_is_not_there_is_an_error_and_creates_nothing(
    evidence_url: str, tmp_path: Path
) -> None:
    with pytest.raises(NoEvidence, match="no evidence store"):
        open_evidence(evidence_url)
    missing = tmp_path / "typo" / "evidence.sqlite3"
    with pytest.raises(NoEvidence, match=f"no evidence store at {missing}"):
        open_evidence(f"sqlite:///{missing}")
    assert not missing.parent.exists()
    open_evidence(evidence_url, create=True).close()
    open_evidence(evidence_url).close()  # there now
