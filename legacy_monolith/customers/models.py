from django.conf import settings
from django.db import models

from legacy_monolith.common.models import TimeStamped


class Customer(TimeStamped):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="customer"
    )
    phone = models.CharField(max_length=30, blank=True)
    newsletter = models.BooleanField(default=False)
    loyalty_points = models.PositiveIntegerField(default=0)
    # Shipping and notifications read this directly instead of asking customers.
    default_address = models.ForeignKey(
        "customers.Address", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.user.username


class Address(TimeStamped):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="addresses")
    label = models.CharField(max_length=50, default="home")
    line1 = models.CharField(max_length=200)
    line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100)
    postcode = models.CharField(max_length=20)
    country = models.CharField(max_length=2, default="DE")

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "addresses"

    def one_line(self) -> str:
        return f"{self.line1}, {self.postcode} {self.city}, {self.country}"
