"""Keep Product.rating_avg / rating_count in step with reviews (writes into the catalog),
and report every review change (and the product's new rating) to the outbox."""

from django.db.models import Avg, Count
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from legacy_monolith.catalog.models import Product
from legacy_monolith.outbox.recorder import entity_changed, entity_deleted, require_transaction
from legacy_monolith.reviews.models import Review, ReviewVote


def recompute_rating(product_id: int) -> None:
    stats = Review.objects.filter(product_id=product_id).aggregate(avg=Avg("rating"), n=Count("id"))
    avg = round(float(stats["avg"]), 3) if stats["avg"] is not None else None
    Product.objects.filter(pk=product_id).update(rating_avg=avg, rating_count=stats["n"])
    # .update() sends no signal: the product's new rating is an event of its own
    entity_changed("product", product_id)


@receiver(post_save, sender=Review)
def review_saved(sender, instance, raw=False, **kwargs):
    if raw:
        return
    entity_changed("review", instance.pk)
    recompute_rating(instance.product_id)


@receiver(post_delete, sender=Review)
def review_deleted(sender, instance, **kwargs):
    entity_deleted("review", instance.pk, {"id": instance.pk, "product_id": instance.product_id})
    recompute_rating(instance.product_id)


@receiver(pre_save, sender=Review)
@receiver(pre_save, sender=ReviewVote)
def refuse_unrecordable_write(sender, instance, raw=False, **kwargs):
    if not raw:
        require_transaction(f"saving {sender.__name__} {instance.pk or '(new)'}")


@receiver(post_save, sender=ReviewVote)
@receiver(post_delete, sender=ReviewVote)
def vote_written(sender, instance, raw=False, **kwargs):
    if not raw:
        entity_changed("review", instance.review_id)
