"""The catalog's own tables: what its read endpoints serve, copied from the monolith by id.

Ids are the monolith's (the backfill upserts by id), so links between rows stay as the
monolith made them. References to rows that may arrive later or not at all (a category's
parent, a review's product) carry no database constraint: the copy can be made in any order
and resumed anywhere. Reviews keep their author's username (the customers stay in the
monolith); helpful votes are counted in ``helpful_count`` as the monolith serves them.
"""

from django.db import models


class Category(models.Model):
    id = models.BigIntegerField(primary_key=True)
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
    id = models.BigIntegerField(primary_key=True)
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
    id = models.BigIntegerField(primary_key=True)
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
    id = models.BigIntegerField(primary_key=True)
    product = models.ForeignKey(
        Product, on_delete=models.DO_NOTHING, db_constraint=False, related_name="reviews"
    )
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


class ActiveProduct(Product):
    """The storefront's view: active products only (the monolith's proxy model, same name,
    so a missing one answers "No ActiveProduct matches the given query." as there)."""

    class ActiveManager(models.Manager["ActiveProduct"]):
        def get_queryset(self) -> "models.QuerySet[ActiveProduct]":
            return super().get_queryset().filter(is_active=True)

    objects = ActiveManager()

    class Meta:
        proxy = True
