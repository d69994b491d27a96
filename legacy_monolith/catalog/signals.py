"""Record a PriceHistory row whenever a product's price changes."""

from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone

from legacy_monolith.catalog.models import PriceHistory, Product


@receiver(pre_save, sender=Product)
def remember_old_price(sender, instance, **kwargs):
    if instance.pk is None:
        instance._old_price = None
        return
    instance._old_price = (
        Product.objects.filter(pk=instance.pk).values_list("price", flat=True).first()
    )


@receiver(post_save, sender=Product)
def record_price_change(sender, instance, created, **kwargs):
    old = getattr(instance, "_old_price", None)
    if created or (old is not None and old != instance.price):
        PriceHistory.objects.create(
            product=instance,
            price=instance.price,
            changed_at=timezone.now(),
            reason="created" if created else "price change",
        )
