"""Keep Product.rating_avg / rating_count in step with reviews (writes into the catalog)."""

from django.db.models import Avg, Count
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from legacy_monolith.catalog.models import Product
from legacy_monolith.reviews.models import Review


def recompute_rating(product_id: int) -> None:
    stats = Review.objects.filter(product_id=product_id).aggregate(avg=Avg("rating"), n=Count("id"))
    avg = round(float(stats["avg"]), 3) if stats["avg"] is not None else None
    Product.objects.filter(pk=product_id).update(rating_avg=avg, rating_count=stats["n"])


@receiver(post_save, sender=Review)
def review_saved(sender, instance, **kwargs):
    recompute_rating(instance.product_id)


@receiver(post_delete, sender=Review)
def review_deleted(sender, instance, **kwargs):
    recompute_rating(instance.product_id)
