"""The catalog's migration, end to end, as a workshop walks it: `strangler up` with a real
NATS JetStream broker (its own nats-server), bounded shop traffic through the proxy, and the
catalog's routes walked from the monolith through shadow and canary to the service and
back. At every step a customer still checks out; the data goes both ways through the
outbox, the relay, the broker and the inboxes; killing the service, the relay, the
deliverer or the broker loses nothing; forged tokens are refused at the edge and at the
service alike; `strangler reconcile` finds no drift at the end.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.extracted_services.identity.forgeries import (
    REFUSED,
    SERVICE_REFUSED,
    Forger,
    current_key,
)
from tests.strangler_proxy.events.brokers import NatsServer, running_nats
from tests.strangler_proxy.stack.test_up import STRANGLER, Stack, bring_up, stop_for_sure

#: the catalog's routes that move (product-availability reads the stock, which stays)
ROUTES = (
    "category-list", "category-detail", "product-list", "product-detail", "product-prices",
    "review-list", "review-detail", "review-helpful",
)  # fmt: skip
#: the routes the shadow step gathers enough evidence on for the promotion gate (200 samples)
GATED = ("product-list", "product-detail")
SERVED_BY = "X-Strangler-Served-By"
SWITCH = "NOTIFICATIONS_BACKEND"
NOTIFICATION_ROUTES = ("notification-list", "notification-detail", "notification-read")


def until(condition: Callable[[], object], what: str, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        assert time.monotonic() < deadline, f"not in {timeout} s: {what}"
        time.sleep(0.1)
    return found


class Walk:
    """One `strangler up` and what a workshop does with it."""

    def __init__(self, stack: Stack, broker: NatsServer) -> None:
        self.stack = stack
        self.broker = broker
        self.proxy = httpx.Client(base_url=stack.ports.proxy_url, trust_env=False, timeout=20)
        self.monolith = f"http://127.0.0.1:{stack.ports.monolith}"
        self.catalog = f"http://127.0.0.1:{stack.ports.catalog}"
        self.staff = self.login("staff", "staff-demo-pass")
        self.customer = self.newcomer("walker")

    def newcomer(self, username: str) -> dict[str, str]:
        """A customer of its own (no reviews yet), registered through the proxy, with an
        address to ship to."""
        joined = self.proxy.post(
            "/api/auth/register/",
            json={"username": username, "password": "walk-the-fig-9", "email": f"{username}@x.test",
                  "first_name": "Walk", "last_name": "Er"},
        )  # fmt: skip
        assert joined.status_code == 201, joined.text
        headers = {"Authorization": f"Token {joined.json()['token']}"}
        address = {"label": "home", "line1": "1 Fig Street", "city": "Seoul", "postcode": "04524",
                   "country": "KR"}  # fmt: skip
        made = self.proxy.post("/api/customers/addresses/", json=address, headers=headers)
        assert made.status_code == 201, made.text
        return headers

    def login(self, username: str, password: str) -> dict[str, str]:
        answer = self.proxy.post(
            "/api/auth/token/", json={"username": username, "password": password}
        )
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Token {answer.json()['token']}"}

    def strangler(self, *args: str) -> subprocess.CompletedProcess[str]:
        done = self.stack.strangler(*args)
        assert done.returncode == 0, f"strangler {' '.join(args)}:\n{done.stdout}{done.stderr}"
        return done

    def flip(self, mode: str, *more: str, routes: tuple[str, ...] = ROUTES) -> None:
        for route in routes:
            gate = () if mode in ("monolith", "shadow") or route in GATED else ("--force",)
            reason = f"workshop: {route} to {mode}" + (" (no read evidence)" if gate else "")
            self.strangler("routes", "set", route, mode, *more, *gate, "--reason", reason)

    def checkout(self, product: int, customer: dict[str, str] | None = None) -> dict[str, Any]:
        """The newcomer (or ``customer``) buys one ``product`` through the proxy: the order."""
        headers = customer or self.customer
        assert self.proxy.post("/api/orders/cart/clear/", headers=headers).status_code in (200, 204)
        added = self.proxy.post(
            "/api/orders/cart/items/", json={"product": product, "quantity": 1}, headers=headers
        )
        assert added.status_code == 201, added.text
        address = self.proxy.get("/api/customers/addresses/", headers=headers).json()["results"][0]
        order = self.proxy.post(
            "/api/orders/checkout/",
            json={"address": address["id"], "payment_method": "card"},
            headers=headers,
        )
        assert order.status_code == 201, order.text
        return dict(order.json())

    def product_in_stock(self) -> int:
        for product in self.proxy.get("/api/catalog/products/?page_size=50").json()["results"]:
            stock = httpx.get(
                f"{self.monolith}/api/catalog/products/{product['id']}/availability/",
                trust_env=False,
            ).json()
            if stock["available"] > 10:
                return int(product["id"])
        raise AssertionError("no product in stock")

    def price_at(self, base: str, product: int) -> Decimal:
        answer = httpx.get(f"{base}/api/catalog/products/{product}/", trust_env=False)
        assert answer.status_code == 200, answer.text
        return Decimal(answer.json()["price"])

    def quiet(self) -> None:
        """Every event published and applied: no backlog, no lag, no dead letters."""
        var = self.stack.var_dir
        sources = (
            f"monolith=sqlite:///{var / 'monolith.sqlite3'}",
            f"catalog=sqlite:///{var / 'catalog' / 'catalog.sqlite3'}",
        )

        def settled() -> bool:
            status = self.stack.strangler(
                "events", "status", "--json", "--broker", self.broker.url,
                *(x for source in sources for x in ("--source", source)),
                "--dead-letters", f"sqlite:///{var / 'dead-letters.sqlite3'}",
            )  # fmt: skip
            return status.returncode == 0 and _settled(json.loads(status.stdout))

        until(settled, "the events settled (strangler events status)", timeout=60)

    def pid(self, name: str) -> int:
        return self.stack.pids[name]


def _settled(status: dict[str, Any]) -> bool:
    backlog = all(b["unpublished"] == 0 and not b["error"] for b in status["backlog"])
    lag = all(s["lag"] == 0 and s["dead_letters"] == 0 for s in status["subscribers"])
    return backlog and lag and len(status["subscribers"]) == 3


@contextlib.contextmanager
def switched_on() -> Iterator[None]:
    """The monolith's notifications switch on ``events`` (branch by abstraction): it writes
    no notification itself; the order events it always records feed the service."""
    before = os.environ.get(SWITCH)
    os.environ[SWITCH] = "events"
    try:
        yield
    finally:
        if before is None:
            del os.environ[SWITCH]
        else:
            os.environ[SWITCH] = before


@pytest.fixture(scope="module")
def walk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Walk]:
    folder = tmp_path_factory.mktemp("migration")
    with running_nats(folder / "nats") as broker, switched_on():
        stack = bring_up(folder / "var", "--broker", broker.url)
        try:
            yield Walk(stack, broker)
        finally:
            stop_for_sure(stack)


@pytest.fixture(scope="module")
def traffic(walk: Walk) -> Iterator[subprocess.Popen[str]]:
    """Bounded shop traffic through the proxy while the routes move (browse, search,
    review, cart, checkout, cancel): 2 requests a second until the moves are done (a minute
    at most)."""
    report = walk.stack.var_dir / "traffic.json"
    running = subprocess.Popen(
        [str(STRANGLER), "traffic", "--target", walk.stack.ports.proxy_url, "--duration", "60",
         "--rate", "2", "--users", "5", "--json", str(report)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    yield running
    if running.poll() is None:
        running.send_signal(signal.SIGINT)
    running.wait(60)


@pytest.mark.slow
def test_the_catalog_moves_to_its_service_and_back(walk: Walk, traffic: Any) -> None:
    product = walk.product_in_stock()

    # 1. Everything on the monolith: a review written there shows up through the service.
    assert walk.checkout(product)["status"]
    review = walk.proxy.post(
        "/api/reviews/",
        json={"product": product, "rating": 4, "title": "Written to the monolith", "body": ""},
        headers=walk.customer,
    )
    assert review.status_code == 201 and review.headers[SERVED_BY] == "monolith", review.text
    at_service = f"{walk.catalog}/api/reviews/{review.json()['id']}/"
    until(
        lambda: httpx.get(at_service, trust_env=False).status_code == 200,
        "the review at the service",
    )

    # 2. Shadow: the service answers every read too, off the request path; they match.
    walk.flip("shadow")
    for _ in range(205):
        for path in ("/api/catalog/products/", f"/api/catalog/products/{product}/"):
            assert walk.proxy.get(path).headers[SERVED_BY] == "monolith"
    assert walk.checkout(product)["status"]
    evidence = f"sqlite:///{walk.stack.var_dir / 'evidence.sqlite3'}"

    def sampled() -> list[dict[str, Any]]:
        found = walk.strangler("diffs", "summary", "--json", "--evidence", evidence)
        routes = {e["route"]: e for e in json.loads(found.stdout)}
        ready = [routes[r] for r in GATED if routes.get(r, {}).get("samples", 0) >= 200]
        return ready if len(ready) == len(GATED) else []

    try:
        for route in until(sampled, "200 samples each"):
            assert route["mismatch"] == 0, route  # answers match after noise
    finally:
        print(walk.stack.strangler("diffs", "summary", "--evidence", evidence).stdout)

    # 3. Canary, half the clients (the gate lets the sampled routes through), then service.
    walk.flip("canary", "--percent", "50")
    assert walk.checkout(product)["status"]
    walk.flip("service")
    listed = walk.proxy.get("/api/catalog/products/")
    assert listed.status_code == 200 and listed.headers[SERVED_BY] == "catalog"
    assert walk.checkout(product)["status"]

    # 4. Ownership moved: a price changed through the service reaches the monolith's checkout.
    new_price = walk.price_at(walk.monolith, product) + Decimal("1.11")
    changed = walk.proxy.patch(
        f"/api/catalog/products/{product}/", json={"price": str(new_price)}, headers=walk.staff
    )
    assert changed.status_code == 200 and changed.headers[SERVED_BY] == "catalog", changed.text
    until(lambda: walk.price_at(walk.monolith, product) == new_price, "the price at the monolith")
    lines = walk.checkout(product)["lines"]
    assert [Decimal(line["unit_price"]) for line in lines] == [new_price]

    # 5. Identity: forged and stale tokens, at the edge and at the service alike.
    keys = walk.stack.var_dir / "jwt"
    subject = {"sub": "1", "username": "staff", "customer_id": None, "is_staff": True}
    forger = Forger(current_key(keys), "legacy-monolith", "shop", "catalog", subject)
    for row in REFUSED:  # a client's Bearer is exchanged at the edge: for a shop token
        token = {"Authorization": f"Bearer {row.make(forger)}"}
        at_edge = walk.proxy.post("/api/catalog/categories/", json={}, headers=token)
        assert at_edge.status_code == 401, (row.name, at_edge.text)
    for row in SERVICE_REFUSED:  # straight to the service: a catalog token
        token = {"Authorization": f"Bearer {row.make(forger.for_audience('catalog', 'shop'))}"}
        direct = httpx.get(f"{walk.catalog}/api/catalog/products/", headers=token, trust_env=False)
        assert direct.status_code == 401, (row.name, direct.text)
        assert direct.json()["error"]["code"] == "authentication_failed"

    # The traffic ran through the moves without an error (5xx or no answer). Stopped now
    # that they are done (Ctrl-C: it writes its summary so far), rather than waited for.
    if traffic.poll() is None:
        traffic.send_signal(signal.SIGINT)
    traffic.wait(60)
    summary = json.loads((walk.stack.var_dir / "traffic.json").read_text())
    assert summary["answered"] > 0 and summary["errors"] == 0, json.dumps(summary, indent=1)

    # 6. The service dies: its reads fall back to the monolith, and past the rollback
    #    budget (5% fallbacks over 20 requests) the proxy flips the route back itself.
    os.killpg(walk.pid("catalog"), signal.SIGKILL)
    for _ in range(25):
        fallback = walk.proxy.get(f"/api/catalog/products/{product}/")
        assert fallback.status_code == 200 and fallback.headers[SERVED_BY] == "monolith"

    def rolled_back() -> bool:
        found = walk.strangler("routes", "history", "product-detail", "--json").stdout
        last = json.dumps(json.loads(found)["history"][0])
        return "automatic rollback" in last and '"monolith"' in last

    def catalog_healthy() -> bool:
        services = json.loads(walk.strangler("services", "list", "--json").stdout)
        [catalog] = [s for s in services if s["name"] == "catalog"]
        instances = [i for w in catalog["health"] for i in w["instances"]]
        return all(i["healthy"] and i["last_check_error"] is None for i in instances)

    until(rolled_back, "the automatic rollback of product-detail")
    until(catalog_healthy, "the catalog restarted by strangler up and healthy", timeout=60)

    # 7. And back: every route on the monolith again; checkout as ever.
    walk.flip("monolith")
    assert walk.proxy.get("/api/catalog/products/").headers[SERVED_BY] == "monolith"
    assert walk.checkout(product)["status"]
    walk.quiet()
    same = walk.stack.strangler("reconcile", "catalog", "--var-dir", str(walk.stack.var_dir))
    assert same.returncode == 0, same.stdout + same.stderr


@pytest.mark.slow
def test_killing_the_relay_the_deliverer_or_the_broker_loses_no_event(walk: Walk) -> None:
    """Forty price changes at the monolith while the relay, then the deliverer (both
    restarted by `strangler up`), then the broker (restarted on its store) are killed with
    SIGKILL: every change reaches the service exactly once."""
    product = walk.product_in_stock()
    url = f"{walk.monolith}/api/catalog/products/{product}/"
    start = walk.price_at(walk.monolith, product)
    kills = {10: lambda: os.killpg(walk.pid("relay"), signal.SIGKILL),
             20: lambda: os.killpg(walk.pid("deliverer"), signal.SIGKILL),
             30: walk.broker.kill}  # fmt: skip
    for n in range(1, 41):
        answer = httpx.patch(
            url, json={"price": str(start + n)}, headers=walk.staff, trust_env=False
        )
        assert answer.status_code == 200, answer.text
        if n in kills:
            kills[n]()
        if n == 35:
            walk.broker.start()
    until(lambda: walk.price_at(walk.catalog, product) == start + 40, "the last price", timeout=90)
    walk.quiet()
    history = httpx.get(f"{walk.catalog}/api/catalog/products/{product}/prices/?page_size=100")
    prices = [Decimal(row["price"]) for row in history.json()["results"]]
    assert [p for p in prices if p > start] == [start + n for n in range(40, 0, -1)]
    same = walk.stack.strangler("reconcile", "catalog", "--var-dir", str(walk.stack.var_dir))
    assert same.returncode == 0, same.stdout + same.stderr


@pytest.mark.slow
def test_notifications_come_from_the_events_once_the_switch_is_on(walk: Walk) -> None:
    customer = walk.newcomer("notified")
    number = walk.checkout(walk.product_in_stock(), customer)["number"]

    # While its routes point at the monolith, its endpoints still answer (it wrote none).
    at_monolith = walk.proxy.get("/api/notifications/", headers=customer)
    assert at_monolith.status_code == 200 and at_monolith.headers[SERVED_BY] == "monolith"
    assert at_monolith.json()["count"] == 0

    walk.flip("service", routes=NOTIFICATION_ROUTES)

    def subjects() -> list[str]:
        answer = walk.proxy.get("/api/notifications/", headers=customer)
        assert answer.status_code == 200 and answer.headers[SERVED_BY] == "notifications"
        return [n["subject"] for n in answer.json()["results"]]

    # order placed and payment receipt, worded by the shop's templates (copied by backfill)
    found = until(lambda: len(subjects()) == 2 and subjects(), "the order's notifications")
    assert all(number in subject for subject in found), found
    someone_else = walk.newcomer("curious")
    first = walk.proxy.get("/api/notifications/", headers=customer).json()["results"][0]
    other = walk.proxy.get(f"/api/notifications/{first['id']}/", headers=someone_else)
    assert other.status_code == 404  # owner-only, as at the monolith
    # The proxy takes a flip at its next look at the store (every 0.5 s): the list above may
    # be live before the read route is. A read of no notification (404 on either side,
    # nothing changed) tells which side the route is at (`strangler up` runs one worker).
    nothing = "/api/notifications/0/read/"
    until(
        lambda: walk.proxy.post(nothing, headers=customer).headers[SERVED_BY] == "notifications",
        "the read route at the service",
    )
    read = walk.proxy.post(f"/api/notifications/{first['id']}/read/", headers=customer)
    assert read.status_code == 200 and read.json()["read_at"], read.text
