"""Shadow evidence end to end: the real proxy in front of the real monolith shadows a service
that drifts on purpose; clients get the monolith's answer byte for byte, and every sampled
pair is compared (off the event loop) and kept with its request, readable by ``strangler
diffs``."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from strangler_proxy.routing import Mode
from strangler_proxy.store import open_store
from tests.conftest import RunningServer
from tests.strangler_proxy.evidence.kept import samples
from tests.strangler_proxy.proxy_stack import Running, proxy, route, seed, standin, until
from tests.strangler_proxy.replay.drifting import drifting

STRANGLER = Path(sys.executable).with_name("strangler")
RULES = """
[routes.product-list]
unordered = [{ path = "$.results", key = "id" }]
"""


@pytest.fixture(scope="module")
def stack(
    monolith_server: RunningServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Running, str, Path]]:
    """The proxy with three shadowed routes, an evidence store and a rules file."""
    var = tmp_path_factory.mktemp("shadow-evidence")
    (var / "rules.toml").write_text(RULES)
    store_url = f"sqlite:///{var / 'flags.sqlite3'}"
    evidence_url = f"sqlite:///{var / 'evidence.sqlite3'}"
    with drifting(monolith_server.base_url, var) as service:
        store = open_store(store_url, create=True)
        seed(store, {"catalog": [service.base_url]}, [
            route("product-detail", "/api/catalog/products/{pk:int}/", Mode.SHADOW, "catalog"),
            route("product-list", "/api/catalog/products/", Mode.SHADOW, "catalog"),
            route("categories", "/api/catalog/categories/", Mode.SHADOW, "catalog"),
        ])  # fmt: skip
        store.close()
        args = ("--evidence", evidence_url, "--rules", str(var / "rules.toml"))
        with proxy(monolith_server.base_url, store_url, var, *args) as px:
            yield px, evidence_url, var


def test_clients_get_the_monolith_answer_byte_for_byte(
    stack: tuple[Running, str, Path], monolith_server: RunningServer
) -> None:
    px, _, _ = stack
    for path in ("/api/catalog/products/1/", "/api/catalog/products/", "/api/catalog/categories/"):
        direct = httpx.get(monolith_server.base_url + path)
        shadowed = httpx.get(px.url + path)
        assert shadowed.headers["x-strangler-served-by"] == "monolith"
        assert shadowed.content == direct.content


def test_each_drift_is_kept_as_evidence_at_its_path(stack: tuple[Running, str, Path]) -> None:
    px, evidence_url, _ = stack
    for path in ("/api/catalog/products/2/", "/api/catalog/products/", "/api/catalog/categories/"):
        assert httpx.get(px.url + path + "?page=1").status_code == 200
    [detail] = until(lambda: samples(evidence_url, "product-detail")[:1], timeout=15)
    until(lambda: samples(evidence_url, "product-list") and samples(evidence_url, "categories"))
    detail = next(s for s in samples(evidence_url, "product-detail") if s.path.endswith("/2/"))
    assert detail.verdict == "mismatch"
    assert {(d.path, d.kind.value) for d in detail.differences} == {
        ("$.name", "removed"), ("$.title", "added"),
    }  # fmt: skip
    assert (detail.method, detail.query, detail.monolith_status) == ("GET", "page=1", 200)
    [categories] = samples(evidence_url, "categories")[:1]
    assert [(d.path, d.monolith + 1 == d.service) for d in categories.differences] == [
        ("$.count", True)
    ]
    # the reversed list is no difference under the route's rule (results unordered by id)
    assert {s.verdict for s in samples(evidence_url, "product-list")} == {"match"}


def test_strangler_diffs_reads_what_the_proxy_kept(stack: tuple[Running, str, Path]) -> None:
    px, evidence_url, _ = stack
    httpx.get(px.url + "/api/catalog/products/3/")
    until(lambda: any(s.path.endswith("/3/") for s in samples(evidence_url, "product-detail")))
    done = subprocess.run(
        [STRANGLER, "diffs", "show", "product-detail", "--evidence", evidence_url, "--json"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    shown = json.loads(done.stdout)
    assert shown["mismatch"] >= 1
    assert {p["path"] for p in shown["top_paths"]} == {"$.name", "$.title"}


def test_a_write_is_not_shadowed_and_so_not_compared(stack: tuple[Running, str, Path]) -> None:
    px, evidence_url, _ = stack
    before = len(samples(evidence_url, "categories"))
    posted = httpx.post(px.url + "/api/catalog/categories/", json={"name": "x"})
    assert posted.status_code in (401, 403)  # the monolith refuses an anonymous write
    httpx.get(px.url + "/api/catalog/categories/")
    until(lambda: len(samples(evidence_url, "categories")) == before + 1)
    assert {s.method for s in samples(evidence_url, "categories")} == {"GET"}


def test_a_canary_whose_answers_drift_is_rolled_back_on_its_comparisons(
    monolith_server: RunningServer, tmp_path: Path
) -> None:
    """A canary's monolith side keeps sending the service sampled copies; when they keep
    mismatching, the mismatch rate spends the budget and the proxy takes the canary back."""
    # the drifting service is one more hop before the monolith: not what this test is about
    rules = (
        "[global]\ncanary_sample_rate = 1.0\n"  # every monolith-side request compared
        "rollback = { min_requests = 5, max_latency_ratio = 100.0 }\n"
    )
    (tmp_path / "rules.toml").write_text(rules)
    store_url = f"sqlite:///{tmp_path / 'flags.sqlite3'}"
    with drifting(monolith_server.base_url, tmp_path) as service:
        store = open_store(store_url, create=True)
        seed(store, {"catalog": [service.base_url]}, [
            route("product-detail", "/api/catalog/products/{pk:int}/", Mode.CANARY, "catalog",
                  percent=50),
        ])  # fmt: skip
        args = ("--rules", str(tmp_path / "rules.toml"), "--health-interval", "3600")
        with proxy(monolith_server.base_url, store_url, tmp_path, *args) as px:
            sides: set[str] = set()

            def rolled_back() -> bool:
                for client in range(10):  # each a client of its own: both sides of the split
                    answer = httpx.get(px.url + "/api/catalog/products/1/",
                                       cookies={"strangler_client": f"c{client}"})  # fmt: skip
                    sides.add(answer.headers["x-strangler-served-by"])
                return store.get_route("product-detail").mode is Mode.MONOLITH

            until(rolled_back, timeout=20)
        [record] = [r for r in store.history("product-detail", limit=5) if r.action == "set"]
        store.close()
    assert sides == {"monolith", "catalog"}
    assert record.actor == "strangler proxy (automatic rollback)"
    assert record.reason.startswith("mismatch rate 100.0% over the last ")


def test_noise_is_told_apart_from_real_differences(tmp_path: Path) -> None:
    """With ``noise = true`` the monolith is asked twice: a field that differs between its own
    two answers (a nonce) is noise, kept apart; the one only the service changes is real."""
    (tmp_path / "rules.toml").write_text("[routes.noisy]\nnoise = true\n")
    store_url = f"sqlite:///{tmp_path / 'flags.sqlite3'}"
    evidence_url = f"sqlite:///{tmp_path / 'evidence.sqlite3'}"
    with standin("monolith", tmp_path) as monolith, standin("catalog", tmp_path) as catalog:
        store = open_store(store_url, create=True)
        seed(store, {"catalog": [catalog.url]},
             [route("noisy", "/noisy/{rest:path}", Mode.SHADOW, "catalog")])  # fmt: skip
        store.close()
        args = ("--evidence", evidence_url, "--rules", str(tmp_path / "rules.toml"))
        with proxy(monolith.url, store_url, tmp_path, *args) as px:
            assert httpx.get(px.url + "/noisy/1").json()["served_by"] == "monolith"
            [sample] = until(lambda: samples(evidence_url, "noisy"), timeout=15)
    assert sample.verdict == "mismatch"
    assert [d.path for d in sample.differences] == ["$.served_by"]
    assert sample.noise == ("$.nonce",)


def test_a_slow_copy_has_its_own_timeout_and_is_kept_as_unanswered(tmp_path: Path) -> None:
    store_url = f"sqlite:///{tmp_path / 'flags.sqlite3'}"
    evidence_url = f"sqlite:///{tmp_path / 'evidence.sqlite3'}"
    with standin("monolith", tmp_path) as monolith, standin("catalog", tmp_path) as catalog:
        store = open_store(store_url, create=True)
        seed(store, {"catalog": [catalog.url]},
             [route("slowish", "/slowish/{rest:path}", Mode.SHADOW, "catalog")])  # fmt: skip
        store.close()
        httpx.post(catalog.url + "/_control/behaviour/slow")  # every other answer after 3 s
        args = ("--evidence", evidence_url, "--shadow-timeout", "1", "--health-interval", "3600")
        with proxy(monolith.url, store_url, tmp_path, *args) as px:
            for n in range(2):
                answer = httpx.get(px.url + f"/slowish/{n}", timeout=2)  # never waits on a copy
                assert answer.json()["served_by"] == "monolith"
            found = until(lambda: len(samples(evidence_url, "slowish")) == 2
                          and samples(evidence_url, "slowish"), timeout=15)  # fmt: skip
    errors = [s.error for s in found if s.verdict == "error"]
    assert errors and all(e == "service: upstream did not answer in time" for e in errors)
