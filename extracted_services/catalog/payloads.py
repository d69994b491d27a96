"""The catalog's event payloads (DESIGN §4): each entity's full state, database-level fields,
decimals as strings and datetimes as ISO 8601 UTC with ``Z`` (``wire.iso``, ``wire.money``).
"""

from __future__ import annotations

from typing import Any

from extracted_services.catalog.models import Category, Product, Review
from extracted_services.catalog.wire import iso, money


def category_payload(category: Category) -> dict[str, Any]:
    return {
        "id": category.id,
        "name": category.name,
        "slug": category.slug,
        "parent_id": category.parent_id,
        "description": category.description,
        "created_at": iso(category.created_at),
        "updated_at": iso(category.updated_at),
    }


def product_payload(product: Product) -> dict[str, Any]:
    """The product with its tags (sorted) and every price history row, newest first."""
    return {
        "id": product.id,
        "sku": product.sku,
        "name": product.name,
        "description": product.description,
        "category_id": product.category_id,
        "tags": sorted(product.tags),
        "price": money(product.price),
        "weight_kg": product.weight_kg,
        "is_active": product.is_active,
        "rating_avg": product.rating_avg,
        "rating_count": product.rating_count,
        "created_at": iso(product.created_at),
        "updated_at": iso(product.updated_at),
        "price_history": [
            {
                "id": row.id,
                "price": money(row.price),
                "changed_at": iso(row.changed_at),
                "reason": row.reason,
            }
            for row in product.price_history.order_by("-changed_at", "-id")
        ],
    }


def review_payload(review: Review) -> dict[str, Any]:
    """The review with its helpful votes (who, when)."""
    return {
        "id": review.id,
        "product_id": review.product_id,
        "author_id": review.author_id,
        "author": review.author,
        "rating": review.rating,
        "title": review.title,
        "body": review.body,
        "helpful_count": review.helpful_count,
        "verified_purchase": review.verified_purchase,
        "created_at": iso(review.created_at),
        "updated_at": iso(review.updated_at),
        "votes": [
            {"voter_id": vote.voter_id, "created_at": iso(vote.created_at)}
            for vote in review.votes.order_by("voter_id")
        ],
    }
