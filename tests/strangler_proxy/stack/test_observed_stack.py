"""`strangler up --prometheus` with a broker, as one module-scoped stack everything here shares
(its own nats-server, every port free): Prometheus scrapes every process, and its recording
rules give each route's figures once traffic flows; one request through the proxy to a
service that publishes an event is one trace across every process it touched.

The fixture ``observed`` is the stack (its URLs, var dir, admin token, a `strangler` against
it) for any test of the whole observed stack; keep each test's changes to routes of its own.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from strangler_proxy.evidence.rollback import Budget
from strangler_proxy.stack.prometheus import DEBIAN_BINARY
from strangler_proxy.stack.prometheus_rules import COMPARED, MISMATCH_RATIO, recording_rules
from strangler_proxy.telemetry.traces import Waterfall, find_trace
from tests.strangler_proxy.events.brokers import running_nats
from tests.strangler_proxy.stack.test_up import Stack, bring_up, staff_headers, stop_for_sure

PROMETHEUS = shutil.which("prometheus") or (str(DEBIAN_BINARY) if DEBIAN_BINARY.exists() else None)
JOBS = {"monolith", "catalog", "notifications", "relay", "deliverer", "proxy", "prometheus"}
#: The shadow comparisons' figures are read on a shadowed route (every request compared); a
#: canary compares a tenth of its monolith side, too few for a quick test.
SHADOWED = {COMPARED: "category-list", MISMATCH_RATIO: "category-list"}


@dataclass(frozen=True)
class ObservedStack:
    """A running `strangler up --prometheus --broker nats://...`."""

    stack: Stack
    broker_url: str

    @property
    def var_dir(self) -> Path:
        return self.stack.var_dir

    @property
    def proxy_url(self) -> str:
        return self.stack.ports.proxy_url

    @property
    def admin_url(self) -> str:
        return self.stack.ports.admin_url

    @property
    def catalog_url(self) -> str:
        return f"http://127.0.0.1:{self.stack.ports.catalog}"

    @property
    def prometheus_url(self) -> str:
        return f"http://127.0.0.1:{self.stack.ports.prometheus}"

    @property
    def traces_dir(self) -> Path:
        return self.var_dir / "traces"

    def admin_token(self) -> str:
        return self.stack.token()

    def prometheus(self, path: str, **params: str) -> Any:
        """``data`` of a Prometheus API answer (``/api/v1/...``)."""
        answer = httpx.get(f"{self.prometheus_url}{path}", params=params, trust_env=False)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["status"] == "success", body
        return body["data"]

    def troubles(self) -> str:
        """What Prometheus says is wrong: targets not up, rules failing (for a failure's text)."""
        targets = self.prometheus("/api/v1/targets", state="active")["activeTargets"]
        down = {t["labels"]["job"]: t["lastError"] for t in targets if t["health"] != "up"}
        groups = self.prometheus("/api/v1/rules")["groups"]
        failing = {
            rule["name"]: rule.get("lastError", "")
            for group in groups
            for rule in group["rules"]
            if rule["health"] != "ok"
        }
        return f"targets not up {down}, rules not ok {failing}"

    def query(self, expr: str) -> list[dict[str, Any]]:
        return list(self.prometheus("/api/v1/query", query=expr)["result"])


@pytest.fixture(scope="module")
def observed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ObservedStack]:
    if PROMETHEUS is None:
        pytest.skip("prometheus is not installed (`make prometheus`: Debian's package, as root)")
    folder = tmp_path_factory.mktemp("observed")
    with running_nats(folder / "nats") as broker:
        stack = bring_up(folder / "var", "--broker", broker.url, "--prometheus")
        try:
            yield ObservedStack(stack, broker.url)
        finally:
            stop_for_sure(stack)


def eventually(check: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    """``check()``'s first truthy answer, asked every 0.5 s; the last answer if none in time."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"{what} not in {timeout} s; last: {found!r}"
        time.sleep(0.5)


def _db(service: str) -> Callable[[dict[str, Any]], bool]:
    return lambda row: row["service"] == service and "db.system" in row["attributes"]


def _named(service: str, suffix: str) -> Callable[[dict[str, Any]], bool]:
    return lambda row: row["service"] == service and row["name"].endswith(suffix)


#: The spans a price change through the proxy to the catalog makes, by hop (waterfall rows).
HOPS: dict[str, Callable[[dict[str, Any]], bool]] = {
    "proxy": lambda row: row["service"] == "strangler-proxy",
    "catalog": lambda row: row["service"] == "catalog" and row["kind"] == "server",
    "catalog's database": _db("catalog"),
    "relay's publish": _named("strangler-relay", " publish"),
    "deliverer's process": _named("strangler-deliverer", " process"),
    "monolith's apply": _named("legacy-monolith", " apply"),
    "monolith's database": _db("legacy-monolith"),
}


class Partial(dict[str, Any]):
    """A check's answer so far: false, so ``eventually`` asks again, and what it lacks is in
    the failure's message if time runs out."""

    def __init__(self, found: dict[str, Any], lacking: str) -> None:
        super().__init__(found)
        self.lacking = lacking

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"{self.lacking}; so far {dict(self)!r}"


class Traffic:
    """GETs through the proxy from a thread until stopped: the canary route (each request a
    new anonymous client, so both sides answer), the shadowed one and one at the monolith."""

    def __init__(self, proxy_url: str) -> None:
        self.paths = ["/api/catalog/products/", "/api/catalog/categories/", "/health/"]
        self.proxy_url = proxy_url
        self.statuses: dict[int | str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Traffic:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        while not self._stop.is_set():
            for path in self.paths:
                try:
                    got = httpx.get(self.proxy_url + path, trust_env=False, timeout=10)
                    status: int | str = got.status_code
                except httpx.HTTPError as error:  # counted, and the traffic goes on
                    status = f"{path}: {error!r}"
                self.statuses[status] = self.statuses.get(status, 0) + 1
            self._stop.wait(0.05)


@pytest.mark.slow
def test_prometheus_scrapes_every_process_and_the_rules_give_each_routes_figures(
    observed: ObservedStack,
) -> None:
    text = observed.stack.out.text
    assert f"prometheus  {observed.prometheus_url} " in text or observed.prometheus_url in text
    canary = ("product-list", "canary", "--percent", "50", "--force")
    for flip in (canary, ("category-list", "shadow")):
        flipped = observed.stack.strangler("routes", "set", *flip, "--reason", "observed")
        assert flipped.returncode == 0, flipped.stderr

    def targets() -> dict[str, str]:
        active = observed.prometheus("/api/v1/targets", state="active")["activeTargets"]
        health = {t["labels"]["job"]: t["health"] for t in active}
        return health if set(health.values()) == {"up"} else Partial(health, "not all up")

    with Traffic(observed.proxy_url) as traffic:
        assert set(eventually(targets, "every target up")) == JOBS

        def figures() -> dict[str, float]:
            found = {}
            for rule in recording_rules():
                record = rule["record"]
                route = SHADOWED.get(record, "product-list")
                for sample in observed.query(f'{record}{{route="{route}"}}'):
                    side = sample["metric"].get("served_by", "")
                    found[f"{record} {side}"] = float(sample["value"][1])
            missing = {r["record"] for r in recording_rules()} - {k.split()[0] for k in found}
            if not missing:
                return found
            return Partial(found, f"none yet from {sorted(missing)}; {observed.troubles()}; "
                                  f"traffic {traffic.statuses}")  # fmt: skip

        found = eventually(figures, "a value from every recording rule", 60)
    assert set(traffic.statuses) == {200}, traffic.statuses
    sides = {key.split()[1] for key in found if key.startswith("route_served_by:")}
    assert sides == {"catalog", "monolith"}, found
    assert found["route_served_by:strangler_requests:rate1m catalog"] > 0
    assert found["route_served_by:strangler_requests_5xx:ratio_rate1m catalog"] == 0
    assert found["route:strangler_fallbacks:ratio_rate1m "] == 0
    assert 0 < found["route_served_by:strangler_request_duration_seconds:p99_1m catalog"] < 10
    assert found["route:strangler_request_duration_seconds:p99_ratio_service_monolith_1m "] > 0
    assert found[f"{COMPARED} "] > 0 and found[f"{MISMATCH_RATIO} "] == 0, "the same answers"

    groups = observed.prometheus("/api/v1/rules")["groups"]
    rules = [rule for group in groups for rule in group["rules"]]
    assert len(rules) == 14 and {rule["health"] for rule in rules} == {"ok"}, rules
    bounds = observed.query('strangler_rollback_budget{route="product-list"}')
    assert {b["metric"]["budget"] for b in bounds} == {f.name for f in fields(Budget)}, (
        "the alerts' bounds: the canary's budget, as the proxy's rollback holds it"
    )
    apps = observed.query('sum by (job) (http_server_requests_total{job=~"catalog|monolith"})')
    assert {sample["metric"]["job"] for sample in apps} == {"catalog", "monolith"}, (
        "the Django apps' own metrics, behind their token"
    )


@pytest.mark.slow
def test_one_request_to_a_service_that_publishes_is_one_trace_across_every_hop(
    observed: ObservedStack,
) -> None:
    """A price changed through the proxy at the catalog service: the proxy's span, the
    service's (Django, its database), the relay's publish, the deliverer's process and the
    monolith's apply (and its database) are one trace, found by the request's id in the span
    files and through the admin API the dashboard reads."""
    flipped = observed.stack.strangler(
        "routes", "set", "product-detail", "service", "--reason", "trace it", "--force"
    )
    assert flipped.returncode == 0, flipped.stderr
    staff = staff_headers(observed.stack)
    product = httpx.get(f"{observed.catalog_url}/api/catalog/products/", trust_env=False)
    first = product.json()["results"][0]
    price = Decimal(first["price"]) + Decimal("0.25")

    def changed() -> str | None:
        """The request's id once the catalog answered it (until the proxy's poller holds
        the flip, the monolith answers, and publishes: each try has its own id)."""
        request_id = f"trace-walk-{time.monotonic_ns()}"
        answer = httpx.patch(
            f"{observed.proxy_url}/api/catalog/products/{first['id']}/",
            json={"price": str(price)},
            headers={**staff, "X-Request-ID": request_id},
            trust_env=False,
        )
        assert answer.status_code == 200, answer.text
        return request_id if answer.headers["x-strangler-served-by"] == "catalog" else None

    request_id = eventually(changed, "the catalog serving product-detail", 10)

    def one_trace() -> Waterfall | Partial:
        """The trace once a span of every hop is in the files (each process exports in its
        own batches: a parent's span often lands after its children's)."""
        found = find_trace(observed.traces_dir, request_id)
        rows = found.as_json()["rows"] if found is not None else []
        missing = [hop for hop, seen in HOPS.items() if not any(seen(row) for row in rows)]
        return found if found is not None and not missing else Partial({}, f"no {missing}")

    trace = eventually(one_trace, "the spans of every hop in one trace", 30)
    rows = trace.as_json()["rows"]
    by_service: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_service.setdefault(row["service"], []).append(row)
    proxy = by_service["strangler-proxy"][0]
    assert proxy["depth"] == 0 and proxy["attributes"]["strangler.served_by"] == "catalog"
    assert proxy["attributes"]["strangler.route"] == "product-detail"
    spans = {row["span_id"]: row for row in rows}

    def parent_service(row: dict[str, Any]) -> str:
        return str(spans[row["parent_id"]]["service"])

    def db_spans(service: str) -> list[dict[str, Any]]:
        return [r for r in by_service[service] if "db.system" in r["attributes"]]

    catalog_server = next(r for r in by_service["catalog"] if r["kind"] == "server")
    assert parent_service(catalog_server) == "strangler-proxy"
    assert db_spans("catalog") and db_spans("legacy-monolith")
    publish = next(r for r in by_service["strangler-relay"] if r["name"].endswith(" publish"))
    assert parent_service(publish) == "catalog"
    process = next(r for r in by_service["strangler-deliverer"] if r["name"].endswith(" process"))
    assert process["parent_id"] == publish["span_id"]
    applied = [r for r in by_service["legacy-monolith"] if r["name"].endswith(" apply")]
    assert applied and {parent_service(r) for r in applied} == {"strangler-deliverer"}

    # the dashboard's lookup: the admin API finds the same trace by the request id
    looked = httpx.get(
        f"{observed.admin_url}/traces/{request_id}",
        headers={"Authorization": f"Bearer {observed.admin_token()}"},
        trust_env=False,
    )
    assert looked.status_code == 200, looked.text
    assert looked.json()["trace_id"] == trace.trace_id
