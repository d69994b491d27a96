"""Every write path of the catalog records its event, in the transaction of the change."""

from __future__ import annotations

from decimal import Decimal

import pytest

from legacy_monolith.catalog.models import PriceHistory, Product
from legacy_monolith.outbox import recorder
from legacy_monolith.outbox.models import EntityVersion, Outbox
from legacy_monolith.reviews.models import Review
from tests.legacy_monolith.conftest import assert_error
from tests.legacy_monolith.outbox.conftest import payload_of, recorded


def new_product(staff, sku: str = "EVT-1", **fields):
    body = {"sku": sku, "name": "Event kettle", "category": 1, "price": "20.00", **fields}
    response = staff.post("/api/catalog/products/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_the_seeded_shop_recorded_nothing(db):
    """seed_shop writes with bulk_create: its rows reach the services by backfill."""
    assert Outbox.objects.count() == 0
    assert EntityVersion.objects.count() == 0


def test_a_price_change_writes_product_history_and_event_together(staff):
    before = Product.objects.get(pk=3)
    history = PriceHistory.objects.filter(product_id=3).count()

    response = staff.patch("/api/catalog/products/3/", {"price": "77.70"}, format="json")

    assert response.status_code == 200, response.content
    assert recorded() == [("product.upserted", "3", 1)]
    payload = payload_of("product.upserted", 3)
    assert payload["price"] == "77.70"
    assert payload["price_history"][0]["price"] == "77.70"
    assert payload["price_history"][0]["reason"] == "price change"
    assert len(payload["price_history"]) == history + 1
    assert payload["updated_at"].endswith("Z")
    assert payload["tags"] == sorted(payload["tags"])
    assert Product.objects.get(pk=3).price == Decimal("77.70") != before.price


def test_a_failing_write_after_the_recorder_leaves_neither_change_nor_event(staff, monkeypatch):
    real_record = recorder.record

    def record_then_fail(*args, **kwargs):
        real_record(*args, **kwargs)
        raise RuntimeError("the disk filled up right after the outbox row")

    monkeypatch.setattr(recorder, "record", record_then_fail)
    price = Product.objects.get(pk=3).price
    history = PriceHistory.objects.filter(product_id=3).count()

    response = staff.patch("/api/catalog/products/3/", {"price": "88.80"}, format="json")

    assert_error(response, 500, "server_error")
    assert Product.objects.get(pk=3).price == price
    assert PriceHistory.objects.filter(product_id=3).count() == history
    assert Outbox.objects.count() == 0
    assert not EntityVersion.objects.filter(aggregatetype="product").exists()


def test_product_create_update_delete(staff):
    product = new_product(staff, tag_names=["zeta", "alpha"])
    pid = product["id"]
    created = payload_of("product.upserted", pid)
    assert created["tags"] == ["alpha", "zeta"]
    assert [row["reason"] for row in created["price_history"]] == ["created"]
    assert created["category_id"] == 1 and created["rating_count"] == 0

    staff.patch(f"/api/catalog/products/{pid}/", {"name": "Renamed kettle"}, format="json")
    staff.patch(f"/api/catalog/products/{pid}/", {"tag_names": ["beta"]}, format="json")
    assert staff.delete(f"/api/catalog/products/{pid}/").status_code == 204

    assert recorded(aggregatetype="product") == [
        ("product.upserted", str(pid), 1),
        ("product.upserted", str(pid), 2),
        ("product.upserted", str(pid), 3),
        ("product.deleted", str(pid), 4),
    ]
    assert payload_of("product.deleted", pid) == {"id": pid}
    assert EntityVersion.objects.get(aggregatetype="product", aggregateid=str(pid)).version == 4


def test_category_create_update_delete_tells_about_the_orphaned_children(staff):
    parent = staff.post(
        "/api/catalog/categories/", {"name": "Evt parent", "slug": "evt-parent"}, format="json"
    ).json()
    child = staff.post(
        "/api/catalog/categories/",
        {"name": "Evt child", "slug": "evt-child", "parent": parent["id"]},
        format="json",
    ).json()
    staff.patch(f"/api/catalog/categories/{parent['id']}/", {"description": "d"}, format="json")
    assert staff.delete(f"/api/catalog/categories/{parent['id']}/").status_code == 204

    p, c = str(parent["id"]), str(child["id"])
    assert recorded() == [
        ("category.upserted", p, 1),
        ("category.upserted", c, 1),
        ("category.upserted", p, 2),
        ("category.deleted", p, 3),
        ("category.upserted", c, 2),  # its parent went away (SET_NULL, no signal of its own)
    ]
    assert payload_of("category.upserted", c)["parent_id"] is None


def test_reviews_record_the_review_and_the_products_new_rating(alice, bob):
    product = Product.objects.exclude(reviews__author__user__username="customer0001").first()
    pid = str(product.pk)
    created = alice.post(
        "/api/reviews/", {"product": product.pk, "rating": 5, "title": "Great"}, format="json"
    )
    assert created.status_code == 201, created.content
    rid = str(created.json()["id"])
    alice.patch(f"/api/reviews/{rid}/", {"rating": 1}, format="json")
    voted = bob.post(f"/api/reviews/{rid}/helpful/")
    assert voted.status_code == 200, voted.content
    assert alice.delete(f"/api/reviews/{rid}/").status_code == 204

    assert recorded() == [
        ("review.upserted", rid, 1),
        ("product.upserted", pid, 1),
        ("review.upserted", rid, 2),
        ("product.upserted", pid, 2),
        ("review.upserted", rid, 3),  # the vote: the review only, the rating is unchanged
        ("review.deleted", rid, 4),
        ("product.upserted", pid, 3),
    ]
    events = {row.aggregateversion: row.payload for row in Outbox.objects.filter(aggregateid=rid)}
    assert events[1]["author"] == "customer0001" and events[1]["rating"] == 5
    assert events[2]["rating"] == 1
    assert events[3]["helpful_count"] == 1
    assert [v["voter_id"] for v in events[3]["votes"]] == [bob_customer_id()]
    assert events[4] == {"id": int(rid), "product_id": product.pk}
    ratings = Outbox.objects.filter(aggregateid=pid).values_list("payload", flat=True)
    assert [p["rating_count"] for p in ratings] == [
        product.rating_count + 1,
        product.rating_count + 1,
        product.rating_count,
    ]


def bob_customer_id() -> int:
    from legacy_monolith.customers.models import Customer

    return Customer.objects.get(user__username="customer0002").pk


def test_refused_writes_record_nothing(bob, staff):
    reviewed = Review.objects.filter(author__user__username="customer0002").first()
    again = bob.post(
        "/api/reviews/", {"product": reviewed.product_id, "rating": 3, "title": "x"}, format="json"
    )
    assert_error(again, 400, "validation_error", field="product")
    assert_error(bob.post(f"/api/reviews/{reviewed.pk}/helpful/"), 409, "conflict")  # own
    assert_error(staff.delete("/api/catalog/categories/1/"), 409, "conflict")  # has products
    assert_error(staff.delete("/api/catalog/products/6/"), 409, "conflict")  # on orders
    assert_error(
        staff.post("/api/catalog/products/", {"sku": "x"}, format="json"), 400, "validation_error"
    )
    assert Outbox.objects.count() == 0


def test_writes_outside_a_unit_of_work_but_in_a_transaction_are_recorded_at_once(db):
    """A shell's queryset delete (Django deletes in a transaction of its own): each signal is
    recorded as it comes, more events than a view's unit of work, each a correct state."""
    Review.objects.filter(pk=3).delete()
    assert recorded() == [
        ("review.upserted", "3", 1),  # its votes went first
        ("review.deleted", "3", 2),
        ("product.upserted", "15", 1),
    ]
    assert payload_of("review.upserted", 3)["votes"] == []


def test_the_recorder_needs_the_callers_transaction(db, monkeypatch):
    monkeypatch.setattr(recorder, "in_transaction", lambda: False)
    with pytest.raises(recorder.NotInTransaction, match=r"outside transaction.atomic\(\)"):
        recorder.record("product", 1, "product.upserted", {"id": 1})
    with pytest.raises(recorder.NotInTransaction, match="saving Product 1"):
        Product.objects.get(pk=1).save()


def test_events_keep_the_requests_trace_headers(staff):
    traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    staff.patch(
        "/api/catalog/products/3/",
        {"name": "Traced"},
        format="json",
        HTTP_TRACEPARENT=traceparent,
        HTTP_X_REQUEST_ID="req-1",
    )
    staff.patch("/api/catalog/products/3/", {"name": "Untraced"}, format="json")
    headers = list(Outbox.objects.order_by("seq").values_list("headers", flat=True))
    assert headers == [{"traceparent": traceparent, "x-request-id": "req-1"}, {}]
