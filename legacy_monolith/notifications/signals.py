"""Notifications listen to the orders app's models: a signal reaching across apps."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from legacy_monolith.notifications.services import notify

#: "paid" has its own payment receipt, sent by orders.services.checkout.
SILENT_STATUSES = {"paid"}


@receiver(post_save, sender="orders.Order")
def order_saved(sender, instance, created, update_fields=None, **kwargs):
    if created:
        notify(instance.customer, "order_placed", order=instance, number=instance.number)
    elif update_fields and "status" in update_fields and instance.status not in SILENT_STATUSES:
        notify(
            instance.customer,
            "order_status",
            order=instance,
            number=instance.number,
            status=instance.status,
        )
