"""The catalog's own tables: what its read endpoints serve, copied from the monolith by id.

Ids are the monolith's (the backfill and the applied events write them explicitly), so
links between rows stay as the monolith made them; rows the service creates itself take
the next id of the table's sequence. References to rows that may arrive later or not at all
(a category's parent, a review's product) carry no database constraint: the copy can be
made in any order and resumed anywhere. Customers stay in the monolith: a review keeps its
author's customer id and username, a vote its voter's customer id, and ``Purchase`` is the
projection of placed orders ("verified purchase") fed by ``order.placed`` events.

The event tables (DESIGN §1/§2) are ``outbox``, ``inbox`` and ``entity_version``.
"""

import uuid

from django.db import models


class Category(models.Model):
    id = models.BigAutoField(primary_key=True)
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="children",
    )
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"


class Product(models.Model):
    id = models.BigAutoField(primary_key=True)
    sku = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    category = models.ForeignKey(
        Category, on_delete=models.DO_NOTHING, db_constraint=False, related_name="products"
    )
    tags = models.JSONField(default=list)
    price = models.DecimalField(max_digits=10, decimal_places=2)
    weight_kg = models.FloatField(default=0.5)
    is_active = models.BooleanField(default=True)
    rating_avg = models.FloatField(null=True, blank=True)
    rating_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]


class PriceHistory(models.Model):
    id = models.BigAutoField(primary_key=True)
    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, db_constraint=False, related_name="price_history"
    )
    price = models.DecimalField(max_digits=10, decimal_places=2)
    changed_at = models.DateTimeField(db_index=True)
    reason = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name_plural = "price history"


class Review(models.Model):
    id = models.BigAutoField(primary_key=True)
    product = models.ForeignKey(
        Product, on_delete=models.DO_NOTHING, db_constraint=False, related_name="reviews"
    )
    #: the author's customer id in the monolith (null for a backfilled review: the public
    #: API the backfill reads does not say it; the review's events do)
    author_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    author = models.CharField(max_length=150)
    rating = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=120)
    body = models.TextField(blank=True)
    helpful_count = models.PositiveIntegerField(default=0)
    verified_purchase = models.BooleanField(default=False)
    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["product", "author_id"], name="one_review_per_product"),
        ]


class ReviewVote(models.Model):
    """One customer found one review helpful (once)."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="votes")
    voter_id = models.BigIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["review", "voter_id"], name="one_vote_per_review"),
        ]


class Purchase(models.Model):
    """A product on a customer's order, projected from ``order.placed`` (and kept current by
    ``order.status_changed``): what "verified purchase" asks and what a product's delete
    checks, without reading the monolith's orders."""

    order_id = models.BigIntegerField()
    customer_id = models.BigIntegerField(null=True)
    product_id = models.BigIntegerField(db_index=True)
    status = models.CharField(max_length=20)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["order_id", "product_id"], name="one_purchase_per_line"
            ),
        ]
        indexes = [models.Index(fields=["customer_id", "product_id"], name="purchase_by_customer")]


class ActiveProduct(Product):
    """The storefront's view: active products only (the monolith's proxy model, same name,
    so a missing one answers "No ActiveProduct matches the given query." as there)."""

    class ActiveManager(models.Manager["ActiveProduct"]):
        def get_queryset(self) -> "models.QuerySet[ActiveProduct]":
            return super().get_queryset().filter(is_active=True)

    objects = ActiveManager()

    class Meta:
        proxy = True


class Outbox(models.Model):
    """Events this service produced, written in the transaction of the change (DESIGN §1)."""

    seq = models.BigAutoField(primary_key=True)
    event_id = models.UUIDField(db_column="id", unique=True, default=uuid.uuid4)
    aggregatetype = models.CharField(max_length=64)
    aggregateid = models.CharField(max_length=64)
    type = models.CharField(max_length=64)
    aggregateversion = models.IntegerField()
    origin = models.CharField(max_length=32)
    payload = models.JSONField()
    headers = models.JSONField(default=dict)
    timestamp = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "outbox"
        indexes = [models.Index(fields=["published_at", "seq"], name="outbox_unpublished")]


class Inbox(models.Model):
    """Events applied here, by consumer: an existing row means "duplicate" (DESIGN §2)."""

    consumer = models.CharField(max_length=64)
    event_id = models.UUIDField()
    applied_at = models.DateTimeField()

    class Meta:
        db_table = "inbox"
        constraints = [
            models.UniqueConstraint(fields=["consumer", "event_id"], name="inbox_once"),
        ]


class EntityVersion(models.Model):
    """The last version (and its producer) of each entity held here: local writes go one
    above it, applied events must be newer (DESIGN §2). Deletes keep the row (tombstone)."""

    pk = models.CompositePrimaryKey("aggregatetype", "aggregateid")
    aggregatetype = models.CharField(max_length=64)
    aggregateid = models.CharField(max_length=64)
    version = models.IntegerField()
    origin = models.CharField(max_length=32)

    class Meta:
        db_table = "entity_version"
