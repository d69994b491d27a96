"""The data plane's counters and instance health on the admin port, with one worker and
with two (each worker counts its own; the admin sums them)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from strangler_proxy.routing import Mode
from strangler_proxy.store import open_store
from tests.strangler_proxy.proxy_stack import Running, proxy, route, seed, standin, until

TOKEN = "s3cret-for-tests"


@pytest.fixture(scope="module", params=[1, 2], ids=["one-worker", "two-workers"])
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Running, str, Running]]:
    """(proxy, admin URL, service) with /svc/* on "catalog" and /shadowed/* shadowed to it."""
    tmp = tmp_path_factory.mktemp("metrics")
    (tmp / "admin.token").write_text(TOKEN + "\n")
    with standin("monolith", tmp) as monolith, standin("catalog", tmp) as catalog:
        url = f"sqlite:///{tmp / 'flags.sqlite3'}"
        store = open_store(url, create=True)
        routes = [
            route("svc", "/svc/{rest:path}", Mode.SERVICE, "catalog"),
            route("shadowed", "/shadowed/{rest:path}", Mode.SHADOW, "catalog"),
        ]
        seed(store, {"catalog": [catalog.url]}, routes)
        store.close()
        args = (
            "--workers", str(request.param),
            "--admin-listen", "127.0.0.1:0",
            "--admin-token-file", str(tmp / "admin.token"),
        )  # fmt: skip
        with proxy(monolith.url, url, tmp, *args) as px:
            yield px, px.admin_url, catalog


def admin_get(admin: str, path: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    return httpx.get(admin + path, headers=headers, trust_env=False)


def metric(text: str, line_prefix: str) -> float:
    for line in text.splitlines():
        if line.startswith(line_prefix + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_counters_cover_every_request_fallback_and_shadow(
    stack: tuple[Running, str, Running],
) -> None:
    px, admin, catalog = stack
    for _ in range(10):  # a new connection each time: both workers get some
        assert httpx.get(px.url + "/svc/a", trust_env=False).json()["served_by"] == "catalog"
        assert httpx.get(px.url + "/shadowed/b", trust_env=False).json()["served_by"] == "monolith"
        assert httpx.get(px.url + "/elsewhere", trust_env=False).status_code == 200
    httpx.post(catalog.url + "/_control/behaviour/fail", trust_env=False)
    for _ in range(3):
        assert httpx.get(px.url + "/svc/c", trust_env=False).json()["served_by"] == "monolith"
    httpx.post(catalog.url + "/_control/behaviour/ok", trust_env=False)

    def scraped() -> str | None:
        """The scrape once every worker's snapshot (written each second) holds all of it."""
        text = admin_get(admin, "/metrics").text
        if "strangler_shadow_total" not in text:
            return None
        svc = 'strangler_request_duration_seconds_count{route="svc",served_by='
        done = metric(text, svc + '"catalog"}') + metric(text, svc + '"monolith"}') >= 13
        shadowed = 'strangler_requests_total{route="shadowed",served_by="monolith",code="2xx"}'
        return text if done and metric(text, shadowed) >= 10 else None

    text = until(scraped, timeout=5)
    assert (
        metric(text, 'strangler_requests_total{route="svc",served_by="catalog",code="2xx"}') == 10
    )
    assert (
        metric(text, 'strangler_requests_total{route="svc",served_by="monolith",code="2xx"}') == 3
    )
    assert metric(text, 'strangler_fallbacks_total{route="svc",reason="5xx"}') == 3
    assert (
        metric(text, 'strangler_requests_total{route="shadowed",served_by="monolith",code="2xx"}')
        == 10
    )
    assert (
        metric(
            text, 'strangler_requests_total{route="(unmatched)",served_by="monolith",code="2xx"}'
        )
        >= 10
    )
    svc = 'strangler_request_duration_seconds_count{route="svc",served_by='
    assert metric(text, svc + '"catalog"}') == 10
    assert metric(text, svc + '"monolith"}') == 3
    assert metric(text, 'strangler_route_info{route="svc",mode="service",service="catalog"}') == 1
    assert metric(text, 'strangler_route_canary_percent{route="shadowed"}') == 0


def test_the_shadow_copies_are_compared_and_counted(stack: tuple[Running, str, Running]) -> None:
    """Every copy is compared (sample rate 1 by default) and counted by its verdict: the
    stand-ins echo who answered, so the pairs differ."""
    px, admin, _ = stack
    for _ in range(5):
        httpx.get(px.url + "/shadowed/same", trust_env=False)
    text = until(
        lambda: (
            (t := admin_get(admin, "/metrics").text)
            and metric(t, 'strangler_shadow_total{route="shadowed",outcome="mismatch"}') >= 5
            and t
        ),
        timeout=5,
    )
    assert metric(text, 'strangler_shadow_total{route="shadowed",outcome="error"}') == 0


def test_instance_health_is_on_the_admin_port(stack: tuple[Running, str, Running]) -> None:
    _, admin, catalog = stack
    body = until(
        lambda: (
            (r := admin_get(admin, "/services/catalog/health")).status_code == 200
            and r.json().get("health")
            and r.json()
        ),
        timeout=5,
    )
    assert body["name"] == "catalog"
    views = body["health"]
    assert views, body
    for view in views:
        [instance] = view["instances"]
        assert instance["url"] == catalog.url and instance["available"] is True
