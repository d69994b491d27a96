from django.db import models

from legacy_monolith.common.models import TimeStamped


class NotificationTemplate(TimeStamped):
    code = models.CharField(max_length=50, unique=True)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    channel = models.CharField(max_length=10, default="email")

    def render(self, **context) -> tuple[str, str]:
        return self.subject.format(**context), self.body.format(**context)


class Notification(TimeStamped):
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="notifications"
    )
    template = models.ForeignKey(
        NotificationTemplate, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Knows which order it is about: a cross-app FK back into orders.
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(max_length=10, default="email")
    subject = models.CharField(max_length=200)
    body = models.TextField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
