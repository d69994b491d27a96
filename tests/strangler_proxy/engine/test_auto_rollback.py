"""Automatic rollback: a service that starts failing while it serves a canary is taken out of
the traffic by the proxy itself, once, and the audit log says who and why. Meanwhile the
proxy's metrics say each watched route's budget (Prometheus's alerts compare with it)."""

from __future__ import annotations

from pathlib import Path

import httpx

from strangler_proxy.routing import Mode
from strangler_proxy.store import open_store
from tests.strangler_proxy.proxy_stack import proxy, route, seed, standin, until

RULES = "[global]\nrollback = { min_requests = 10, max_fallback_rate = 0.2 }\n"


def test_a_failing_canary_is_rolled_back_once_by_the_proxy(tmp_path: Path) -> None:
    (tmp_path / "rules.toml").write_text(RULES)
    store_url = f"sqlite:///{tmp_path / 'flags.sqlite3'}"
    with standin("monolith", tmp_path) as monolith, standin("catalog", tmp_path) as catalog:
        store = open_store(store_url, create=True)
        seed(
            store,
            {"catalog": [catalog.url]},
            [route("products", "/products/{rest:path}", Mode.CANARY, "catalog", percent=100)],
        )
        (tmp_path / "admin.token").write_text("t" * 43)
        args = ("--workers", "2", "--rules", str(tmp_path / "rules.toml"),
                "--health-interval", "3600", "--admin-listen", "127.0.0.1:0",
                "--admin-token-file", str(tmp_path / "admin.token"))  # fmt: skip
        with proxy(monolith.url, store_url, tmp_path, *args) as px:
            ok = httpx.get(px.url + "/products/1", trust_env=False)
            assert ok.headers["x-strangler-served-by"] == "catalog"

            def budget() -> list[str]:
                text = httpx.get(px.admin_url + "/metrics", trust_env=False,
                                 headers={"Authorization": "Bearer " + "t" * 43}).text  # fmt: skip
                return [x for x in text.splitlines() if x.startswith("strangler_rollback_budget{")]

            exported = until(budget, timeout=10)  # each worker's check, once a second
            assert (
                'strangler_rollback_budget{route="products",budget="min_requests"} 10' in exported
            )
            expected = 'strangler_rollback_budget{route="products",budget="max_fallback_rate"} 0.2'
            assert expected in exported and len(exported) == 6, exported
            httpx.post(catalog.url + "/_control/behaviour/fail", trust_env=False)

            def rolled_back() -> bool:
                answer = httpx.get(px.url + "/products/1", trust_env=False)
                assert answer.status_code == 200  # the monolith answers the failed ones
                return store.get_route("products").mode is Mode.MONOLITH

            until(rolled_back, timeout=20)

            def served_by() -> str:
                return httpx.get(px.url + "/products/1", trust_env=False).headers[
                    "x-strangler-served-by"
                ]

            until(lambda: served_by() == "monolith", timeout=5)  # both workers polled the store
            until(lambda: not budget(), timeout=10)  # not watched any more: no budget
        records = [r for r in store.history("products", limit=10) if r.action == "set"]
        store.close()
    [rollback] = records  # two workers saw it; one decision, one audit row
    assert rollback.actor == "strangler proxy (automatic rollback)"
    assert rollback.reason.startswith("fallback rate ")
    assert rollback.reason.endswith("the budget is 20.0%")
    assert (rollback.before or {})["mode"] == "canary"
    assert (rollback.after or {})["mode"] == "monolith"
