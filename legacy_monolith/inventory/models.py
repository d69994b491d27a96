from django.db import models

from legacy_monolith.common.models import TimeStamped


class Warehouse(TimeStamped):
    code = models.CharField(max_length=10, unique=True)
    name = models.CharField(max_length=100)
    city = models.CharField(max_length=100)
    country = models.CharField(max_length=2, default="DE")
    is_active = models.BooleanField(default=True)
    priority = models.PositiveSmallIntegerField(default=10)

    class Meta:
        ordering = ["priority", "code"]

    def __str__(self):
        return self.code


class StockItem(TimeStamped):
    # Cross-app FK into the catalog (by string, like half of this codebase).
    product = models.ForeignKey("catalog.Product", on_delete=models.CASCADE, related_name="stock")
    warehouse = models.ForeignKey(Warehouse, on_delete=models.CASCADE, related_name="stock")
    quantity = models.IntegerField(default=0)
    reserved = models.IntegerField(default=0)
    reorder_level = models.IntegerField(default=5)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "warehouse"], name="one_stock_row_per_place"
            ),
        ]

    @property
    def available(self) -> int:
        return self.quantity - self.reserved


class StockMovement(models.Model):
    class Kind(models.TextChoices):
        RECEIPT = "receipt"
        ADJUSTMENT = "adjustment"
        SHIPMENT = "shipment"
        RETURN = "return"

    stock_item = models.ForeignKey(StockItem, on_delete=models.CASCADE, related_name="movements")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    delta = models.IntegerField()
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(db_index=True)
    created_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]


class Reservation(TimeStamped):
    class Status(models.TextChoices):
        ACTIVE = "active"
        RELEASED = "released"
        FULFILLED = "fulfilled"

    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    stock_item = models.ForeignKey(StockItem, on_delete=models.PROTECT, related_name="reservations")
    quantity = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    # Inventory knows about orders and customers: the coupling runs both ways.
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.CASCADE, related_name="reservations"
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="reservations"
    )
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
