"""Shadow evidence through both engines: the production engine and the mitmproxy addon, in
front of the real monolith, shadow one service that drifts on purpose
(``tests/strangler_proxy/replay/drifting.py``), under one rules file, each keeping its
evidence in its own store. Both must find the same things: the renamed field at ``$.name``
and ``$.title``, the wrong total at ``$.count``, and no difference in the reversed list the
rules call unordered; clients get the monolith's answer byte for byte, a write on a shadow
route is never compared (nor copied: ``test_both_engines``), and a route sampled at 0 keeps
nothing."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from strangler_proxy.evidence.sample import Sample
from strangler_proxy.routing import Mode
from strangler_proxy.store import open_store
from tests.conftest import RunningServer
from tests.strangler_proxy.evidence.kept import samples
from tests.strangler_proxy.mitm.conftest import MITM_BIN, mitmdump
from tests.strangler_proxy.proxy_stack import proxy, route, seed, until
from tests.strangler_proxy.replay.drifting import drifting

RULES = """
[routes.product-list]
unordered = [{ path = "$.results", key = "id" }]

[routes.categories]
noise = true  # the monolith is asked twice: its answers agree, so nothing is noise

[routes.reviews]
sample_rate = 0.0
"""
ENGINES = ["engine", "mitmproxy"]


@pytest.fixture(scope="module")
def engines(
    monolith_server: RunningServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, tuple[str, str]]]:
    """Each engine's base URL and evidence store URL, both reading one flag store."""
    var = tmp_path_factory.mktemp("shadow-evidence-both")
    rules = var / "rules.toml"
    rules.write_text(RULES)
    store_url = f"sqlite:///{var / 'flags.sqlite3'}"
    evidence = {name: f"sqlite:///{var / f'{name}-evidence.sqlite3'}" for name in ENGINES}
    monolith = monolith_server.base_url
    with drifting(monolith, var) as service:
        store = open_store(store_url, create=True)
        seed(store, {"catalog": [service.base_url]}, [
            route("product-detail", "/api/catalog/products/{pk:int}/", Mode.SHADOW, "catalog"),
            route("product-list", "/api/catalog/products/", Mode.SHADOW, "catalog"),
            route("categories", "/api/catalog/categories/", Mode.SHADOW, "catalog"),
            route("reviews", "/api/reviews/", Mode.SHADOW, "catalog"),
        ])  # fmt: skip
        store.close()
        engine_args = ("--evidence", evidence["engine"], "--rules", str(rules))
        mitm_args = (
            "--set", f"strangler_evidence={evidence['mitmproxy']}",
            "--set", f"strangler_rules={rules}",
        )  # fmt: skip
        with (
            proxy(monolith, store_url, var, *engine_args) as engine,
            mitmdump(MITM_BIN, var, monolith, store_url, *mitm_args) as mitm,
        ):
            yield {
                "engine": (engine.url, evidence["engine"]),
                "mitmproxy": (mitm.base_url, evidence["mitmproxy"]),
            }


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest, engines: dict[str, tuple[str, str]]) -> tuple[str, str]:
    """One engine: its base URL and where it keeps its evidence."""
    return engines[request.param]


def test_clients_get_the_monolith_answer_byte_for_byte(
    engine: tuple[str, str], monolith_server: RunningServer
) -> None:
    base_url, _ = engine
    for path in ("/api/catalog/products/1/", "/api/catalog/products/", "/api/catalog/categories/"):
        direct = httpx.get(monolith_server.base_url + path, trust_env=False)
        shadowed = httpx.get(base_url + path, trust_env=False)
        assert shadowed.headers["x-strangler-served-by"] == "monolith"
        assert (shadowed.status_code, shadowed.content) == (direct.status_code, direct.content)


def test_each_drift_is_kept_as_evidence_at_its_path(engine: tuple[str, str]) -> None:
    base_url, evidence = engine
    for path in ("/api/catalog/products/2/", "/api/catalog/products/", "/api/catalog/categories/"):
        assert httpx.get(base_url + path + "?page=1", trust_env=False).status_code == 200

    def detail_2() -> Sample | None:
        return next(
            (s for s in samples(evidence, "product-detail") if s.path.endswith("/2/")), None
        )

    detail = until(detail_2, timeout=20)
    assert detail.verdict == "mismatch"
    assert {(d.path, d.kind.value) for d in detail.differences} == {
        ("$.name", "removed"), ("$.title", "added"),
    }  # fmt: skip
    assert (detail.method, detail.query, detail.monolith_status) == ("GET", "page=1", 200)
    until(lambda: samples(evidence, "product-list") and samples(evidence, "categories"))
    [categories, *_] = samples(evidence, "categories")
    assert [(d.path, d.monolith + 1 == d.service) for d in categories.differences] == [
        ("$.count", True)
    ]
    assert (categories.verdict, categories.noise) == ("mismatch", ())  # asked twice: no noise
    # the reversed list is no difference under the route's rule (results unordered by id)
    assert {s.verdict for s in samples(evidence, "product-list")} == {"match"}


def test_the_request_is_kept_redacted(engine: tuple[str, str]) -> None:
    base_url, evidence = engine
    secret = {"authorization": "Token sesame", "cookie": "sessionid=s3cr3t"}
    httpx.get(base_url + "/api/catalog/products/3/", headers=secret, trust_env=False)

    def detail_3() -> Sample | None:
        return next(
            (s for s in samples(evidence, "product-detail") if s.path.endswith("/3/")), None
        )

    kept = dict(until(detail_3, timeout=20).headers)
    assert (kept["authorization"], kept["cookie"]) == ("[redacted]", "[redacted]")


def test_a_write_is_not_compared(engine: tuple[str, str]) -> None:
    base_url, evidence = engine
    before = len(samples(evidence, "categories"))
    posted = httpx.post(base_url + "/api/catalog/categories/", json={"name": "x"}, trust_env=False)
    assert posted.status_code in (401, 403)  # the monolith refuses an anonymous write
    httpx.get(base_url + "/api/catalog/categories/", trust_env=False)  # compared after it
    until(lambda: len(samples(evidence, "categories")) == before + 1, timeout=20)
    assert {s.method for s in samples(evidence, "categories")} == {"GET"}


def test_a_route_sampled_at_zero_keeps_nothing(engine: tuple[str, str]) -> None:
    base_url, evidence = engine
    before = len(samples(evidence, "categories"))
    assert httpx.get(base_url + "/api/reviews/", trust_env=False).status_code == 200
    httpx.get(base_url + "/api/catalog/categories/", trust_env=False)  # compared after it
    until(lambda: len(samples(evidence, "categories")) == before + 1, timeout=20)
    assert samples(evidence, "reviews") == []
