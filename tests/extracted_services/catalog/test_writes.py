"""The catalog's writes answer as the monolith's: each request goes to a fresh monolith and to
the service backfilled from it, by the same user (DRF token there, the monolith's JWT for the
catalog here), and both answers must be equal after noise (new ids, timestamps). Each write
records exactly its events in the service's outbox, one version above the stored one."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import monolith_env, prepare_monolith_db, start_monolith
from tests.extracted_services.catalog.events import (
    OutboxRow,
    deliver,
    last_seq,
    monolith_events,
    monolith_seq,
    outbox,
    payload_of,
    version_of,
)
from tests.extracted_services.catalog.service import backfill, start_catalog
from tests.extracted_services.catalog.tokens import STAFF, Caller, customer, log_in
from tests.extracted_services.catalog.twins import Twins


@pytest.fixture(scope="module")
def twins(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Twins]:
    monolith_var = tmp_path_factory.mktemp("shop")
    env = monolith_env(monolith_var)
    prepare_monolith_db(env)
    monolith = start_monolith(monolith_var, env)
    try:
        service_var = tmp_path_factory.mktemp("catalog")
        service = start_catalog(service_var, monolith.base_url)
        try:
            staff = log_in(monolith.base_url, STAFF)
            done = backfill(service_var, monolith.base_url, staff.drf_token)
            assert done.returncode == 0, done.stderr
            yield Twins(monolith, monolith_var, service, service_var)
        finally:
            service.stop()
    finally:
        monolith.stop()


@pytest.fixture(scope="module")
def staff(twins: Twins) -> Caller:
    return log_in(twins.monolith.base_url, STAFF)


@pytest.fixture(scope="module")
def alice(twins: Twins) -> Caller:
    return log_in(twins.monolith.base_url, customer(1))


@pytest.fixture(scope="module")
def bob(twins: Twins) -> Caller:
    return log_in(twins.monolith.base_url, customer(2))


class Recorded:
    """The outbox rows the service writes from here on."""

    def __init__(self, var_dir: Path) -> None:
        self.var_dir = var_dir
        self.mark = last_seq(var_dir)

    def take(self) -> list[OutboxRow]:
        rows = outbox(self.var_dir, after=self.mark)
        self.mark = last_seq(self.var_dir)
        return rows


def test_staff_writes_categories_as_the_monolith(twins: Twins, staff: Caller) -> None:
    recorded = Recorded(twins.service_var)
    body = {"name": "Garden", "slug": "garden", "description": "Outdoors", "parent": 1}
    m, s = twins.same("POST", "/api/catalog/categories/", staff, body)
    assert m.status_code == 201
    mid, sid = m.json()["id"], s.json()["id"]
    path, service_path = f"/api/catalog/categories/{mid}/", f"/api/catalog/categories/{sid}/"
    assert recorded.take() == [OutboxRow("category", str(sid), "category.upserted", 1)]

    twins.same("PATCH", path, staff, {"description": "Sheds"}, service_path)
    twins.same("PATCH", path, staff, {"parent": mid}, service_path, {"parent": sid})
    twins.same("POST", "/api/catalog/categories/", staff, body)  # name and slug taken
    twins.same("PUT", path, staff, {"name": "Yard"}, service_path)  # slug missing
    assert recorded.take() == [OutboxRow("category", str(sid), "category.upserted", 2)]
    assert payload_of(twins.service_var, "category", sid)["description"] == "Sheds"

    m, _ = twins.same("DELETE", "/api/catalog/categories/1/", staff)  # still has products
    assert m.status_code == 409
    twins.same("DELETE", path, staff, service_path=service_path)
    twins.same("GET", path, service_path=service_path)
    assert recorded.take() == [OutboxRow("category", str(sid), "category.deleted", 3)]


def test_staff_writes_products_and_their_price_history(twins: Twins, staff: Caller) -> None:
    recorded = Recorded(twins.service_var)
    body = {
        "sku": "GRD-001",
        "name": "Rake",
        "category": 1,
        "price": "19.90",
        "tag_names": ["tools", "garden", "tools"],
        "weight_kg": 1.2,
    }
    m, s = twins.same("POST", "/api/catalog/products/", staff, body)
    assert m.status_code == 201
    sid = s.json()["id"]
    path = f"/api/catalog/products/{m.json()['id']}/"
    service_path = f"/api/catalog/products/{sid}/"
    assert recorded.take() == [OutboxRow("product", str(sid), "product.upserted", 1)]
    created = payload_of(twins.service_var, "product", sid)
    assert (created["price"], created["tags"]) == ("19.90", ["garden", "tools"])
    assert [(h["price"], h["reason"]) for h in created["price_history"]] == [("19.90", "created")]

    twins.same("PATCH", path, staff, {"price": "17.50"}, service_path)
    twins.same("PATCH", path, staff, {"name": "Garden rake"}, service_path)  # no new price row
    twins.same("GET", f"{path}prices/", staff, service_path=f"{service_path}prices/")
    assert recorded.take() == [
        OutboxRow("product", str(sid), "product.upserted", 2),
        OutboxRow("product", str(sid), "product.upserted", 3),
    ]
    history = payload_of(twins.service_var, "product", sid)["price_history"]
    assert [(h["price"], h["reason"]) for h in history] == [
        ("17.50", "price change"),
        ("19.90", "created"),
    ]

    for bad in (
        {"price": "0"},
        {"price": "1.234"},
        {"weight_kg": -1},
        {"category": 99999},
        {"sku": "GRD-001"},
        {"tag_names": ["x" * 41]},
    ):
        twins.same("POST", "/api/catalog/products/", staff, {**body, **bad})
    twins.same("PUT", path, staff, {"name": "Rake"}, service_path)
    twins.same("PATCH", path, staff, {"is_active": False}, service_path)
    twins.same("GET", path, None, service_path=service_path)  # the storefront: 404
    twins.same("GET", path, staff, service_path=service_path)  # staff see it
    twins.same("DELETE", path, staff, service_path=service_path)
    twins.same("GET", path, staff, service_path=service_path)
    assert recorded.take() == [
        OutboxRow("product", str(sid), "product.upserted", 4),
        OutboxRow("product", str(sid), "product.deleted", 5),
    ]


def test_refused_writes_answer_as_the_monolith(twins: Twins, alice: Caller) -> None:
    recorded = Recorded(twins.service_var)
    m, s = twins.same("POST", "/api/catalog/categories/", None, {"name": "Anon", "slug": "anon"})
    assert (m.status_code, s.json()["error"]["code"]) == (401, "not_authenticated")
    m, _ = twins.same("PATCH", "/api/catalog/products/1/", alice, {"price": "1.00"})
    assert m.status_code == 403
    twins.same("DELETE", "/api/catalog/categories/1/", alice)
    twins.same("POST", "/api/reviews/", None, {"product": 1, "rating": 5, "title": "Anon"})
    twins.same("POST", "/api/reviews/1/helpful/", None)
    forged = httpx.post(
        f"{twins.service.base_url}/api/catalog/categories/",
        json={"name": "Forged", "slug": "forged"},
        headers={"Authorization": f"Bearer {alice.jwt}x"},
    )
    assert forged.status_code == 401
    assert forged.json()["error"]["code"] == "authentication_failed"
    assert recorded.take() == []


def unreviewed_product(twins: Twins, who: Caller) -> int:
    """An active product ``who`` has not reviewed yet."""
    base = twins.monolith.base_url
    reviewed = {
        r["product"]
        for r in httpx.get(f"{base}/api/reviews/?page_size=100").json()["results"]
        if r["author"] == who.username
    }
    products = httpx.get(f"{base}/api/catalog/products/?page_size=100").json()["results"]
    return next(int(p["id"]) for p in products if p["id"] not in reviewed)


def test_reviews_and_votes_answer_as_the_monolith(
    twins: Twins, staff: Caller, alice: Caller, bob: Caller
) -> None:
    recorded = Recorded(twins.service_var)
    product = unreviewed_product(twins, alice)
    v = version_of(twins.service_var, "product", product)  # other tests may have changed it
    body = {"product": product, "rating": 4, "title": "Sturdy", "body": "Does the job."}
    m, s = twins.same("POST", "/api/reviews/", alice, body)
    assert (m.status_code, s.json()["author"]) == (201, alice.username)
    sid = s.json()["id"]
    path, service_path = f"/api/reviews/{m.json()['id']}/", f"/api/reviews/{sid}/"
    twins.same("GET", f"/api/catalog/products/{product}/")  # its rating, recomputed
    assert recorded.take() == [
        OutboxRow("review", str(sid), "review.upserted", 1),
        OutboxRow("product", str(product), "product.upserted", v + 1),
    ]

    m, _ = twins.same("POST", "/api/reviews/", alice, body)  # one per product
    assert m.json()["error"]["fields"] == {"product": ["You already reviewed this product."]}
    twins.same("POST", "/api/reviews/", alice, {**body, "product": 1, "rating": 6})
    m, _ = twins.same("PATCH", path, bob, {"rating": 1}, service_path)  # not the author
    assert m.status_code == 403
    other = 2 if product == 1 else 1
    m, _ = twins.same("PATCH", path, alice, {"product": other}, service_path)  # cannot move
    assert m.status_code == 400
    twins.same("PUT", path, alice, body, service_path)  # 405, as the monolith
    twins.same("PATCH", path, alice, {"rating": 2}, service_path)
    twins.same("GET", f"/api/catalog/products/{product}/")
    assert recorded.take() == [
        OutboxRow("review", str(sid), "review.upserted", 2),
        OutboxRow("product", str(product), "product.upserted", v + 2),
    ]

    m, _ = twins.same("POST", f"{path}helpful/", alice, service_path=f"{service_path}helpful/")
    assert m.json()["error"]["message"] == "You cannot vote for your own review."
    m, s = twins.same("POST", f"{path}helpful/", bob, service_path=f"{service_path}helpful/")
    assert (m.status_code, s.json()["helpful_count"]) == (200, 1)
    m, _ = twins.same("POST", f"{path}helpful/", bob, service_path=f"{service_path}helpful/")
    assert (m.status_code, m.json()["error"]["code"]) == (409, "conflict")
    assert recorded.take() == [OutboxRow("review", str(sid), "review.upserted", 3)]
    votes = payload_of(twins.service_var, "review", sid)["votes"]
    assert [v["voter_id"] for v in votes] == [bob_customer_id(twins, bob)]

    twins.same("DELETE", path, staff, service_path=service_path)
    twins.same("GET", f"/api/catalog/products/{product}/")
    assert recorded.take() == [
        OutboxRow("review", str(sid), "review.deleted", 4),
        OutboxRow("product", str(product), "product.upserted", v + 3),
    ]


def bob_customer_id(twins: Twins, bob: Caller) -> int:
    me = httpx.get(f"{twins.monolith.base_url}/api/customers/me/", headers=bob.monolith)
    return int(me.json()["id"])


def test_a_purchase_from_the_monolith_makes_a_verified_review(
    twins: Twins, staff: Caller, bob: Caller
) -> None:
    """Bob buys at the monolith; its order.placed event, delivered, makes the service mark
    his review verified and refuse to delete the product, as the monolith does."""
    base, headers = twins.monolith.base_url, bob.monolith
    product = unreviewed_product(twins, bob)
    mark = monolith_seq(twins.monolith_var)
    address = httpx.get(f"{base}/api/customers/me/", headers=headers).json()["addresses"][0]
    added = httpx.post(
        f"{base}/api/orders/cart/items/", json={"product": product, "quantity": 1}, headers=headers
    )
    assert added.status_code == 201, added.text
    placed = httpx.post(
        f"{base}/api/orders/checkout/",
        json={"address": address["id"], "payment_method": "card"},
        headers=headers,
    )
    assert placed.status_code == 201, placed.text
    order_events = monolith_events(twins.monolith_var, mark, aggregatetype="order")
    answer = deliver(twins.service.base_url, order_events).json()["results"]
    assert {r["outcome"] for r in answer} <= {"applied", "ignored"}

    m, s = twins.same(
        "POST", "/api/reviews/", bob, {"product": product, "rating": 5, "title": "Bought it"}
    )
    assert s.json()["verified_purchase"] is True
    m, _ = twins.same("DELETE", f"/api/catalog/products/{product}/", staff)  # on an order
    assert m.status_code == 409


def test_the_monolith_catalog_events_bring_the_service_level(twins: Twins, staff: Caller) -> None:
    """Entities made and changed at the monolith reach the service through the events it
    recorded (ids as the monolith's), with nothing recorded back (no echo)."""
    recorded = Recorded(twins.service_var)
    base, headers = twins.monolith.base_url, staff.monolith
    mark = monolith_seq(twins.monolith_var)
    made = httpx.post(
        f"{base}/api/catalog/categories/",
        json={"name": "Imported", "slug": "imported"},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    body = {"sku": "IMP-1", "name": "Import", "category": made.json()["id"], "price": "3.00"}
    product = httpx.post(f"{base}/api/catalog/products/", json=body, headers=headers).json()
    path = f"/api/catalog/products/{product['id']}/"
    changed = httpx.patch(f"{base}{path}", json={"price": "42.00"}, headers=headers)
    assert changed.status_code == 200, changed.text
    events = monolith_events(twins.monolith_var, mark)
    assert [e["type"] for e in events] == [
        "category.upserted",
        "product.upserted",
        "product.upserted",
    ]
    answer = deliver(twins.service.base_url, events).json()["results"]
    assert [r["outcome"] for r in answer] == ["applied"] * 3
    assert comparable_exactly(twins, path, staff)
    assert comparable_exactly(twins, f"{path}prices/", staff)
    assert recorded.take() == []


def comparable_exactly(twins: Twins, path: str, caller: Caller) -> bool:
    """The same answer on both sides, ids and timestamps included (they travelled); tags
    as a set."""
    m = httpx.get(f"{twins.monolith.base_url}{path}", headers=caller.monolith).json()
    s = httpx.get(f"{twins.service.base_url}{path}", headers=caller.service).json()
    return bool(tags_sorted(s) == tags_sorted(m))


def tags_sorted(body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "tags": sorted(body["tags"])} if "tags" in body else body


def test_a_backfilled_review_is_still_its_authors(twins: Twins, bob: Caller) -> None:
    """The backfill copies reviews without their author's customer id (the API shows the
    username): the author may still change it, not review its product twice, nor vote for
    it, exactly as at the monolith."""
    seeded = httpx.get(f"{twins.monolith.base_url}/api/reviews/?ordering=id").json()["results"][0]
    author = log_in(twins.monolith.base_url, (seeded["author"], "shop-demo-pass"))
    path = f"/api/reviews/{seeded['id']}/"
    m, _ = twins.same("PATCH", path, author, {"title": "Still mine"})
    assert m.status_code == 200
    me = httpx.get(f"{twins.monolith.base_url}/api/customers/me/", headers=author.monolith)
    assert payload_of(twins.service_var, "review", seeded["id"])["author_id"] == me.json()["id"]
    m, _ = twins.same(
        "POST",
        "/api/reviews/",
        author,
        {"product": seeded["product"], "rating": 5, "title": "Again"},
    )
    assert m.status_code == 400
    m, _ = twins.same("POST", f"{path}helpful/", author)
    assert m.json()["error"]["message"] == "You cannot vote for your own review."
    if bob.username != seeded["author"]:
        m, _ = twins.same("PATCH", path, bob, {"title": "Not mine"})
        assert m.status_code == 403


def test_an_event_carries_its_requests_trace_headers(twins: Twins, staff: Caller) -> None:
    trace = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    made = httpx.post(
        f"{twins.service.base_url}/api/catalog/categories/",
        json={"name": "Traced", "slug": "traced"},
        headers={**staff.service, "traceparent": trace, "X-Request-ID": "req-42"},
    )
    assert made.status_code == 201, made.text
    with sqlite3.connect(twins.service_var / "catalog.sqlite3") as db:
        (headers,) = db.execute("SELECT headers FROM outbox ORDER BY seq DESC LIMIT 1").fetchone()
    assert json.loads(headers) == {"traceparent": trace, "x-request-id": "req-42"}
