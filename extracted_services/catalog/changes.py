"""The catalog's writes, each with the events it records (DESIGN §4), in the caller's
transaction: what the monolith's views, serializers and signals do together.

- a product's price set or changed adds a price history row (``created`` /
  ``price change``), as the monolith's ``catalog/signals.py``;
- a review saved or deleted recomputes its product's rating (``reviews/signals.py``), so the
  review's event is followed by its product's ``product.upserted``;
- deleting a category leaves its children without a parent (``SET_NULL``) and is refused
  while products use it; deleting a product takes its price history and reviews along and is
  refused while it appears on orders (the ``Purchase`` projection knows).
"""

from __future__ import annotations

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, F
from django.utils import timezone
from rest_framework import serializers

from extracted_services.catalog.errors import Conflict
from extracted_services.catalog.models import Category, Product, Purchase, Review, ReviewVote
from extracted_services.catalog.outbox import record
from extracted_services.catalog.payloads import category_payload, product_payload, review_payload

#: Order statuses that make a review a "verified purchase" (the monolith's rule).
BOUGHT = ("paid", "shipped", "delivered")


def written_by(review: Review, customer_id: int | None, username: str) -> bool:
    """Whether the caller wrote the review. A review the backfill copied has no author id
    (the monolith's API shows the username only); the username, unique in the monolith,
    stands in for it until the review's next event brings the id."""
    if review.author_id is not None:
        return review.author_id == customer_id
    return review.author == username


def save_category(serializer: serializers.ModelSerializer) -> Category:
    now = timezone.now()
    extra = {"updated_at": now} if serializer.instance else {"created_at": now, "updated_at": now}
    category = serializer.save(**extra)
    record("category", category.pk, "category.upserted", category_payload(category))
    return category


def delete_category(category: Category) -> None:
    if Product.objects.filter(category_id=category.pk).exists():
        raise Conflict(f"Category {category.name!r} still has products; move or delete them first.")
    Category.objects.filter(parent_id=category.pk).update(parent=None)
    record("category", category.pk, "category.deleted", {"id": category.pk})
    category.delete()


def save_product(serializer: serializers.ModelSerializer) -> Product:
    now = timezone.now()
    before: Decimal | None = serializer.instance.price if serializer.instance else None
    if serializer.instance:
        product = serializer.save(updated_at=now)
    else:
        product = serializer.save(created_at=now, updated_at=now)
    if before is None or before != product.price:
        reason = "created" if before is None else "price change"
        product.price_history.create(price=product.price, changed_at=now, reason=reason)
    record("product", product.pk, "product.upserted", product_payload(product))
    return product


def delete_product(product: Product) -> None:
    if Purchase.objects.filter(product_id=product.pk).exists():
        raise Conflict(
            f"Product {product.sku} appears on orders; deactivate it instead "
            "(PATCH is_active=false)."
        )
    Review.objects.filter(product_id=product.pk).delete()
    record("product", product.pk, "product.deleted", {"id": product.pk})
    product.delete()


def refresh_rating(product_id: int) -> None:
    """The product's rating from its reviews (no ``updated_at`` change, as the monolith's
    queryset update), and its event."""
    stats = Review.objects.filter(product_id=product_id).aggregate(avg=Avg("rating"), n=Count("id"))
    avg = round(float(stats["avg"]), 3) if stats["avg"] is not None else None
    Product.objects.filter(pk=product_id).update(rating_avg=avg, rating_count=stats["n"])
    product = Product.objects.get(pk=product_id)
    record("product", product_id, "product.upserted", product_payload(product))


def create_review(
    serializer: serializers.ModelSerializer, customer_id: int, username: str
) -> Review:
    product = serializer.validated_data["product"]
    copied = Review.objects.filter(product_id=product.pk, author_id=None, author=username)
    if copied.exists():  # the unique constraint cannot see a copied review's author
        raise serializers.ValidationError({"product": ["You already reviewed this product."]})
    bought = Purchase.objects.filter(
        customer_id=customer_id, product_id=product.pk, status__in=BOUGHT
    ).exists()
    now = timezone.now()
    try:
        with transaction.atomic():
            review = serializer.save(
                author_id=customer_id,
                author=username,
                verified_purchase=bought,
                created_at=now,
                updated_at=now,
            )
    except IntegrityError as exc:  # one_review_per_product
        raise serializers.ValidationError(
            {"product": ["You already reviewed this product."]}
        ) from exc
    record("review", review.pk, "review.upserted", review_payload(review))
    refresh_rating(review.product_id)
    return review


def update_review(
    serializer: serializers.ModelSerializer, customer_id: int | None, username: str
) -> Review:
    extra: dict[str, object] = {"updated_at": timezone.now()}
    copied = serializer.instance
    if copied.author_id is None and customer_id is not None and copied.author == username:
        extra["author_id"] = customer_id  # a backfilled review learns its author's id
    review = serializer.save(**extra)
    record("review", review.pk, "review.upserted", review_payload(review))
    refresh_rating(review.product_id)
    return review


def delete_review(review: Review) -> None:
    product_id, review_id = review.product_id, review.pk
    review.delete()
    record("review", review_id, "review.deleted", {"id": review_id, "product_id": product_id})
    refresh_rating(product_id)


def vote_helpful(review: Review, voter_id: int, username: str) -> Review:
    if written_by(review, voter_id, username):
        raise Conflict("You cannot vote for your own review.")
    try:
        with transaction.atomic():
            ReviewVote.objects.create(review=review, voter_id=voter_id, created_at=timezone.now())
    except IntegrityError as exc:  # one_vote_per_review
        raise Conflict("You already found this review helpful.") from exc
    Review.objects.filter(pk=review.pk).update(helpful_count=F("helpful_count") + 1)
    review.refresh_from_db()
    record("review", review.pk, "review.upserted", review_payload(review))
    return review
