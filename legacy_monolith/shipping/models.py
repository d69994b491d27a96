from django.db import models

from legacy_monolith.common.models import TimeStamped


class Carrier(TimeStamped):
    code = models.CharField(max_length=10, unique=True)
    name = models.CharField(max_length=100)
    base_rate = models.DecimalField(max_digits=8, decimal_places=2)
    per_kg_rate = models.DecimalField(max_digits=8, decimal_places=2)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return self.code


class Shipment(TimeStamped):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled"
        DISPATCHED = "dispatched"
        DELIVERED = "delivered"
        CANCELLED = "cancelled"

    order = models.OneToOneField("orders.Order", on_delete=models.CASCADE, related_name="shipment")
    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="shipments")
    # Shipping ships from a warehouse: a cross-app FK into inventory.
    warehouse = models.ForeignKey(
        "inventory.Warehouse", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SCHEDULED)
    tracking_number = models.CharField(max_length=30, unique=True)
    weight_kg = models.FloatField(default=0)
    cost = models.DecimalField(max_digits=8, decimal_places=2)
    scheduled_for = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
