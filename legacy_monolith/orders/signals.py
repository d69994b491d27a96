"""Every status change of an order is an ``order.status_changed`` event, recorded in the
transaction that saves it (checkout, cancel, refund, dispatch, delivery alike)."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from legacy_monolith.orders.models import Order
from legacy_monolith.outbox import payloads
from legacy_monolith.outbox.recorder import record


@receiver(post_save, sender=Order)
def order_status_saved(sender, instance, created, update_fields=None, raw=False, **kwargs):
    if not created and not raw and update_fields and "status" in update_fields:
        payload = payloads.order_status_changed(instance)
        record("order", instance.pk, "order.status_changed", payload)
