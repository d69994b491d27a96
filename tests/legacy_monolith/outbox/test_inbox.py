"""``POST /internal/events/``: the monolith applies the catalog service's events."""

from __future__ import annotations

import copy
import uuid
from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from legacy_monolith.catalog.models import Category, PriceHistory, Product
from legacy_monolith.customers.models import Customer
from legacy_monolith.outbox.models import EntityVersion, Inbox, Outbox
from legacy_monolith.outbox.payloads import product_state, review_state
from legacy_monolith.reviews.models import Review
from tests.legacy_monolith.conftest import assert_error
from tests.legacy_monolith.outbox.conftest import event, recorded

TOKEN = "events-test-token"


@pytest.fixture
def deliverer(db, monkeypatch) -> APIClient:
    monkeypatch.setenv("EVENTS_TOKEN", TOKEN)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    return client


def deliver(client: APIClient, *events: Any) -> list[dict[str, Any]]:
    response = client.post("/internal/events/", {"events": list(events)}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["results"]


def outcomes(results: list[dict[str, Any]]) -> list[str]:
    return [result["outcome"] for result in results]


def product_3(**changes: Any) -> dict[str, Any]:
    """Product 3's state as the service would send it, with some changes."""
    state = copy.deepcopy(product_state(3))
    assert state is not None
    return {**state, **changes}


def test_applies_a_product_with_tags_and_its_price_history(deliverer):
    history = [
        {"id": 9001, "price": "19.90", "changed_at": "2026-12-01T10:00:00Z", "reason": "sale"},
        {"id": 9000, "price": "25.00", "changed_at": "2026-11-01T10:00:00Z", "reason": "created"},
    ]
    payload = product_3(price="19.9", tags=["sale", "kitchen"], price_history=history)
    sent = event("product.upserted", payload, version=5)

    assert deliver(deliverer, sent) == [{"id": sent["id"], "outcome": "applied"}]

    product = Product.objects.get(pk=3)
    assert product.price == Decimal("19.90")
    assert sorted(product.tags.values_list("name", flat=True)) == ["kitchen", "sale"]
    assert list(PriceHistory.objects.filter(product=product).values_list("id", "reason")) == [
        (9001, "sale"),
        (9000, "created"),
    ]
    assert product.updated_at.isoformat() == payload["updated_at"].replace("Z", "+00:00")
    stored = EntityVersion.objects.get(aggregatetype="product", aggregateid="3")
    assert (stored.version, stored.origin) == (5, "catalog")
    assert Inbox.objects.filter(consumer="monolith", event_id=sent["id"]).exists()
    assert Outbox.objects.count() == 0  # applying never publishes back (no echo)


def test_applies_new_categories_products_and_reviews_with_the_services_ids(deliverer):
    stamp = "2026-12-01T11:00:00Z"
    category = {
        "id": 700, "name": "From the service", "slug": "from-the-service", "parent_id": None,
        "description": "", "created_at": stamp, "updated_at": stamp,
    }  # fmt: skip
    product = {
        **product_3(), "id": 800, "sku": "SVC-800", "category_id": 700, "tags": [],
        "price_history": [{"id": 9100, "price": "5.00", "changed_at": stamp, "reason": "created"}],
    }  # fmt: skip
    author = Customer.objects.get(user__username="customer0001")
    voter = Customer.objects.get(user__username="customer0002")
    review = {
        "id": 900, "product_id": 800, "author_id": author.pk,
        "author": "customer0001", "rating": 4, "title": "Nice", "body": "", "helpful_count": 1,
        "verified_purchase": False, "created_at": stamp, "updated_at": stamp,
        "votes": [{"voter_id": voter.pk, "created_at": stamp}],
    }  # fmt: skip
    results = deliver(
        deliverer,
        event("category.upserted", category),
        event("product.upserted", product),
        event("review.upserted", review),
    )
    assert outcomes(results) == ["applied"] * 3
    assert Category.objects.get(pk=700).slug == "from-the-service"
    assert Product.objects.get(pk=800).category_id == 700
    applied = review_state(900)
    assert applied is not None
    assert applied["author"] == "customer0001" and applied["votes"][0]["voter_id"] == voter.pk

    results = deliver(
        deliverer,
        event("review.deleted", {"id": 900, "product_id": 800}, version=2),
        event("product.deleted", {"id": 800}, version=2),
        event("category.deleted", {"id": 700}, version=2),
    )
    assert outcomes(results) == ["applied"] * 3
    assert not Review.objects.filter(pk=900).exists()
    assert not Product.objects.filter(pk=800).exists()
    assert not Category.objects.filter(pk=700).exists()
    tombstone = EntityVersion.objects.get(aggregatetype="product", aggregateid="800")
    assert tombstone.version == 2  # a late older upsert stays stale
    assert outcomes(deliver(deliverer, event("product.upserted", product))) == ["stale"]
    assert Outbox.objects.count() == 0


def test_a_deleted_product_that_orders_still_name_is_kept_deactivated(deliverer):
    assert outcomes(deliver(deliverer, event("product.deleted", {"id": 6}))) == ["applied"]
    assert Product.objects.get(pk=6).is_active is False


def test_duplicate_stale_and_ignored(deliverer):
    newer = event("product.upserted", product_3(name="Newer"), version=3)
    older = event("product.upserted", product_3(name="Older"), version=2)
    tie_lost = event("product.upserted", product_3(name="Tie"), version=3, origin="aaa")
    own = event("product.upserted", product_3(name="Own"), version=9, origin="monolith")

    results = deliver(deliverer, newer, newer, older, tie_lost, own)

    assert outcomes(results) == ["applied", "duplicate", "stale", "stale", "ignored"]
    assert [r["id"] for r in results] == [e["id"] for e in (newer, newer, older, tie_lost, own)]
    assert Product.objects.get(pk=3).name == "Newer"


def test_a_local_write_after_an_applied_event_takes_the_next_version(deliverer, staff):
    deliver(deliverer, event("product.upserted", product_3(), version=7))
    staff.patch("/api/catalog/products/3/", {"name": "Ours again"}, format="json")
    assert recorded() == [("product.upserted", "3", 8)]
    stored = EntityVersion.objects.get(aggregatetype="product", aggregateid="3")
    assert (stored.version, stored.origin) == (8, "monolith")


@pytest.mark.parametrize(
    ("breakage", "reason"),
    [
        ({"type": "product.exploded"}, "type: unknown event type 'product.exploded'"),
        ({"payload": {"id": 3}}, "payload.sku: missing"),
        ({"id": "not-a-uuid"}, "id: not a UUID"),
        ({"version": 0}, "version: not a positive integer"),
        ({"aggregatetype": "review"}, "aggregatetype: 'review' does not match type"),
    ],
)
def test_poison_is_rejected_with_its_reason_and_the_rest_still_applies(deliverer, breakage, reason):
    poison = {**event("product.upserted", product_3(name="Poisoned")), **breakage}
    good = event("product.upserted", product_3(name="Healthy"), version=2)

    results = deliver(deliverer, poison, good)

    assert results[0]["outcome"] == "rejected"
    assert results[0]["reason"].startswith(reason)
    assert results[1] == {"id": good["id"], "outcome": "applied"}
    assert Product.objects.get(pk=3).name == "Healthy"


def test_a_bad_decimal_names_the_field(deliverer):
    history = [{"id": 1, "price": "cheap", "changed_at": "2026-12-01T10:00:00Z", "reason": ""}]
    results = deliver(
        deliverer,
        event("product.upserted", product_3(price="12,50")),
        event("product.upserted", product_3(price_history=history)),
        "not an event",
    )
    assert [r.get("reason") for r in results] == [
        "payload.price: not a decimal",
        "payload.price_history[0].price: not a decimal",
        "not an object",
    ]
    assert Inbox.objects.count() == 0


def test_a_missing_reference_asks_for_a_later_delivery(deliverer):
    first = event("product.upserted", product_3(name="First"), version=2)
    orphan = event("product.upserted", {**product_3(), "id": 801, "category_id": 4040})
    response = deliverer.post("/internal/events/", {"events": [first, orphan]}, format="json")
    error = assert_error(response, 409, "conflict")
    assert "payload.category_id: category 4040" in error["message"]
    assert Product.objects.get(pk=3).name == "First"  # the events before it are done
    assert not Product.objects.filter(pk=801).exists()
    assert outcomes(deliver(deliverer, first)) == ["duplicate"]


def test_the_events_token_is_required(db, monkeypatch):
    sent = {"events": [event("product.upserted", product_3(name="Forged"))]}
    client = APIClient()
    monkeypatch.delenv("EVENTS_TOKEN", raising=False)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    error = assert_error(client.post("/internal/events/", sent, format="json"), 401,
                         "authentication_failed")  # fmt: skip
    assert "EVENTS_TOKEN is not set" in error["message"]

    monkeypatch.setenv("EVENTS_TOKEN", TOKEN)
    for header in ("Bearer wrong-token", f"Token {TOKEN}", "Bearer "):
        client.credentials(HTTP_AUTHORIZATION=header)
        response = client.post("/internal/events/", sent, format="json")
        assert_error(response, 401, "authentication_failed")
    client.credentials()
    response = client.post("/internal/events/", sent, format="json")
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert Product.objects.get(pk=3).name != "Forged"


def test_malformed_bodies_answer_400_in_the_envelope(deliverer):
    broken = deliverer.post("/internal/events/", '{"events": [', content_type="application/json")
    assert_error(broken, 400, "parse_error")
    bodies: list[Any] = [{"event": []}, [], {"events": {"id": str(uuid.uuid4())}}]
    for body in bodies:
        response = deliverer.post("/internal/events/", body, format="json")
        assert_error(response, 400, "validation_error", field="events")
    assert deliver(deliverer) == []


def test_a_review_whose_author_the_service_does_not_know_keeps_the_monoliths(deliverer):
    """The service copied reviews from the monolith's API, which shows the author's username
    only: a staff edit there sends ``author_id: null``, and the monolith keeps its author (or
    finds a new review's author by username)."""
    existing = review_state(1)
    assert existing is not None
    edited = {**existing, "author_id": None, "title": "Edited by staff"}
    stamp = "2026-12-01T11:00:00Z"
    new = {
        **existing, "id": 950, "author_id": None, "author": "customer0002",
        "created_at": stamp, "updated_at": stamp, "votes": [],
    }  # fmt: skip
    stranger = {**new, "id": 951, "author": "nobody-here"}

    assert outcomes(deliver(deliverer, event("review.upserted", edited, version=9))) == ["applied"]
    assert Review.objects.get(pk=1).author_id == existing["author_id"]
    assert Review.objects.get(pk=1).title == "Edited by staff"
    if Review.objects.filter(product_id=new["product_id"], author__user__username="customer0002"):
        Review.objects.filter(
            product_id=new["product_id"], author__user__username="customer0002"
        ).delete()  # one review per product and author
    assert outcomes(deliver(deliverer, event("review.upserted", new))) == ["applied"]
    assert Review.objects.get(pk=950).author.user.username == "customer0002"

    response = deliverer.post(
        "/internal/events/", {"events": [event("review.upserted", stranger)]}, format="json"
    )
    assert (
        "payload.author: no customer 'nobody-here'"
        in assert_error(response, 409, "conflict")["message"]
    )
