"""``POST /internal/events/``: the monolith's events applied over HTTP, each with its outcome
(applied, duplicate, stale, ignored, rejected with the field at fault), the rest of a batch
applied after a poison event, and nothing ever written to the outbox by applying."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.extracted_services.catalog.conftest import Catalog
from tests.extracted_services.catalog.events import (
    category,
    deliver,
    event,
    last_seq,
    outbox,
    product,
)
from tests.extracted_services.catalog.service import start_catalog


def outcomes(answer: httpx.Response) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [r.get("reason", r["outcome"]) for r in answer.json()["results"]]


def test_a_batch_answers_one_outcome_per_event_in_order(catalog: Catalog) -> None:
    before = last_seq(catalog.var_dir)
    first = category(9001, 1, "Evented")
    renamed = category(9001, 2, "Evented Again")
    late = category(9001, 1, "Too Late")
    own = category(9002, 7, "Echo") | {"origin": "catalog"}
    poison = product(9001, 1, 9001, "abc")
    fine = product(9002, 1, 9001, "12.50")
    placed = event(
        "order",
        9001,
        "order.placed",
        1,
        {"order_id": 9001, "customer_id": 3, "status": "paid", "lines": [{"product_id": 9002}]},
    )
    captured = event("order", 9001, "payment.captured", 2, {"order_id": 9001})
    batch = [first, first, renamed, late, own, poison, fine, placed, captured]

    answer = deliver(catalog.base_url, batch)

    assert outcomes(answer) == [
        "applied",
        "duplicate",
        "applied",
        "stale",
        "ignored",
        "payload.price: not a decimal ('abc')",
        "applied",
        "applied",
        "ignored",
    ]
    assert [r["id"] for r in answer.json()["results"]] == [e["id"] for e in batch]
    shown = httpx.get(f"{catalog.base_url}/api/catalog/categories/9001/").json()
    assert (shown["name"], shown["slug"]) == ("Evented Again", "evented-again")
    assert httpx.get(f"{catalog.base_url}/api/catalog/categories/9002/").status_code == 404
    sold = httpx.get(f"{catalog.base_url}/api/catalog/products/9002/").json()
    assert (sold["price"], sold["category_name"]) == ("12.50", "Evented Again")
    assert sold["tags"] == ["events"]
    prices = httpx.get(f"{catalog.base_url}/api/catalog/products/9002/prices/").json()
    assert [p["price"] for p in prices["results"]] == ["12.50"]
    assert outbox(catalog.var_dir, after=before) == []  # no echo


def test_a_newer_product_replaces_its_price_history(catalog: Catalog) -> None:
    deliver(catalog.base_url, [category(9011, 1, "History"), product(9011, 1, 9011, "5.00")])
    newer = product(9011, 2, 9011, "6.00")
    newer["payload"]["price_history"] = [
        {"id": 90111, "price": "6.00", "changed_at": "2026-12-01T12:00:00Z", "reason": "change"},
        {"id": 90110, "price": "5.00", "changed_at": "2026-12-01T11:02:03Z", "reason": "created"},
    ]
    assert outcomes(deliver(catalog.base_url, [newer])) == ["applied"]
    prices = httpx.get(f"{catalog.base_url}/api/catalog/products/9011/prices/").json()
    assert [(p["id"], p["price"]) for p in prices["results"]] == [(90111, "6.00"), (90110, "5.00")]


def test_a_delete_leaves_a_tombstone_so_a_late_upsert_stays_stale(catalog: Catalog) -> None:
    deliver(catalog.base_url, [category(9021, 1, "Tombstones"), product(9021, 1, 9021, "1.00")])
    gone = event("product", 9021, "product.deleted", 3, {"id": 9021})
    late = product(9021, 2, 9021, "2.00")
    assert outcomes(deliver(catalog.base_url, [gone, late])) == ["applied", "stale"]
    assert httpx.get(f"{catalog.base_url}/api/catalog/products/9021/").status_code == 404


def test_a_review_event_brings_its_votes_and_author(catalog: Catalog) -> None:
    deliver(catalog.base_url, [category(9031, 1, "Reviewed"), product(9031, 1, 9031, "3.00")])
    review = event(
        "review",
        9031,
        "review.upserted",
        1,
        {
            "id": 9031,
            "product_id": 9031,
            "author_id": 4,
            "author": "customer0004",
            "rating": 4,
            "title": "Good",
            "body": "",
            "helpful_count": 1,
            "verified_purchase": True,
            "created_at": "2026-12-01T11:02:03Z",
            "updated_at": "2026-12-01T11:02:03Z",
            "votes": [{"voter_id": 5, "created_at": "2026-12-01T11:03:00Z"}],
        },
    )
    assert outcomes(deliver(catalog.base_url, [review])) == ["applied"]
    shown = httpx.get(f"{catalog.base_url}/api/reviews/9031/").json()
    assert (shown["author"], shown["helpful_count"], shown["verified_purchase"]) == (
        "customer0004",
        1,
        True,
    )
    gone = event("review", 9031, "review.deleted", 2, {"id": 9031, "product_id": 9031})
    assert outcomes(deliver(catalog.base_url, [gone])) == ["applied"]
    assert httpx.get(f"{catalog.base_url}/api/reviews/9031/").status_code == 404


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("not an event", "event: not a JSON object"),
        ({"id": "nope"}, "id: not a UUID ('nope')"),
        (category(9041, 1, "X") | {"version": "1"}, "version: not an integer ('1')"),
        (category(9041, 1, "X") | {"type": "category.renamed"}, "type: 'category.renamed' is"),
        (event("category", 9041, "category.deleted", 1, {}), "payload.id: missing"),
        (event("category", 9041, "category.deleted", 1, {"id": 9042}), "payload.id: 9042 is not"),
        (category(9041, 1, "X", created_at="yesterday"), "payload.created_at: not an ISO 8601"),
        (
            product(9041, 1, 1, "1.00", price_history=[{"id": 1}]),
            "payload.price_history[0].price: missing",
        ),
    ],
)
def test_a_poison_event_is_rejected_with_the_field_at_fault(
    catalog: Catalog, bad: object, reason: str
) -> None:
    results = deliver(catalog.base_url, [bad]).json()["results"]
    assert results[0]["outcome"] == "rejected"
    assert results[0]["reason"].startswith(reason)


def test_the_events_token_is_required(catalog: Catalog) -> None:
    url = f"{catalog.base_url}/internal/events/"
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Token x"}):
        answer = httpx.post(url, json={"events": []}, headers=headers)
        assert answer.status_code == 401
        assert answer.json()["error"]["code"] == "authentication_failed"


def test_a_malformed_body_is_a_400_in_the_envelope(catalog: Catalog) -> None:
    url = f"{catalog.base_url}/internal/events/"
    auth = {"Authorization": "Bearer catalog-test-events-token"}
    broken = httpx.post(url, content=b"{", headers={**auth, "Content-Type": "application/json"})
    assert (broken.status_code, broken.json()["error"]["code"]) == (400, "parse_error")
    wrong = httpx.post(url, json={"events": 3}, headers=auth)
    assert wrong.status_code == 400
    assert wrong.json()["error"]["fields"] == {"events": ["A list of events is required."]}


def test_without_an_events_token_every_call_is_refused(tmp_path: Path) -> None:
    service = start_catalog(tmp_path, events_token=None)
    try:
        answer = deliver(service.base_url, [], token="anything")
        assert answer.status_code == 401
        assert "no EVENTS_TOKEN" in answer.json()["error"]["message"]
    finally:
        service.stop()
