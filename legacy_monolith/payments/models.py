import uuid

from django.db import models

from legacy_monolith.common.models import TimeStamped


class Payment(TimeStamped):
    class Status(models.TextChoices):
        CAPTURED = "captured"
        REFUNDED = "refunded"
        PARTIALLY_REFUNDED = "partially_refunded"

    class Method(models.TextChoices):
        CARD = "card"
        DECLINED_CARD = "declined-card"
        BANK_TRANSFER = "bank-transfer"

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="payments")
    transaction_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    method = models.CharField(max_length=20, choices=Method.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    refunded_amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.CAPTURED)
    fee_rate = models.FloatField(default=0.029)

    class Meta:
        ordering = ["-id"]


class Refund(TimeStamped):
    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="refunds")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    reason = models.CharField(max_length=200, blank=True)
    reference = models.CharField(max_length=30, unique=True)

    class Meta:
        ordering = ["id"]
