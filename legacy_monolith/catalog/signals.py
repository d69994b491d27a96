"""Record a PriceHistory row whenever a product's price changes, and report every catalog
change to the outbox (``legacy_monolith.outbox.recorder``) inside its transaction."""

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver
from django.utils import timezone

from legacy_monolith.catalog.models import Category, PriceHistory, Product
from legacy_monolith.outbox.recorder import entity_changed, entity_deleted, require_transaction


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


# -- events: every write of a category or product (and its price history, its tags) ------


@receiver(pre_save, sender=Category)
@receiver(pre_save, sender=Product)
@receiver(pre_save, sender=PriceHistory)
def refuse_unrecordable_write(sender, instance, raw=False, **kwargs):
    if not raw:  # loaddata is a restore, like seed_shop: no events
        require_transaction(f"saving {sender.__name__} {instance.pk or '(new)'}")


@receiver(post_save, sender=Category)
def category_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        entity_changed("category", instance.pk)


@receiver(pre_delete, sender=Category)
def remember_children(sender, instance, **kwargs):
    # the children lose their parent through an UPDATE (SET_NULL) that sends no signal
    instance._child_ids = list(instance.children.values_list("pk", flat=True))


@receiver(post_delete, sender=Category)
def category_deleted(sender, instance, **kwargs):
    entity_deleted("category", instance.pk, {"id": instance.pk})
    for child_id in getattr(instance, "_child_ids", ()):
        entity_changed("category", child_id)


@receiver(post_save, sender=Product)
def product_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        entity_changed("product", instance.pk)


@receiver(post_delete, sender=Product)
def product_deleted(sender, instance, **kwargs):
    entity_deleted("product", instance.pk, {"id": instance.pk})


@receiver(post_save, sender=PriceHistory)
@receiver(post_delete, sender=PriceHistory)
def price_history_written(sender, instance, raw=False, **kwargs):
    if not raw:
        entity_changed("product", instance.product_id)


@receiver(m2m_changed, sender=Product.tags.through)
def tags_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        entity_changed("product", instance.pk)
    elif pk_set:  # tag.products.add(...): the products named changed
        for product_id in pk_set:
            entity_changed("product", product_id)
    # tag.products.clear() names no products (Django sends no pk_set): no write path does it
