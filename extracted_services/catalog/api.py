"""The read endpoints: the monolith's paths, fields, filters, ordering and pagination.

Writes are not served yet (issue 10's later slices): these are read-only viewsets, so a
POST, PUT, PATCH or DELETE answers 405 ``method_not_allowed`` in the error envelope.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from extracted_services.catalog.models import ActiveProduct, Category, PriceHistory, Review


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "slug", "parent", "description", "created_at", "updated_at"]


class ProductSerializer(serializers.ModelSerializer):
    category_name = serializers.CharField(source="category.name", read_only=True)

    class Meta:
        model = ActiveProduct
        fields = [
            "id",
            "sku",
            "name",
            "description",
            "category",
            "category_name",
            "tags",
            "price",
            "weight_kg",
            "is_active",
            "rating_avg",
            "rating_count",
            "created_at",
            "updated_at",
        ]


class PriceHistorySerializer(serializers.ModelSerializer):
    class Meta:
        model = PriceHistory
        fields = ["id", "price", "changed_at", "reason"]


class ReviewSerializer(serializers.ModelSerializer):
    class Meta:
        model = Review
        fields = [
            "id",
            "product",
            "author",
            "rating",
            "title",
            "body",
            "helpful_count",
            "verified_purchase",
            "created_at",
            "updated_at",
        ]


class ProductFilter(django_filters.FilterSet):
    min_price = django_filters.NumberFilter(field_name="price", lookup_expr="gte")
    max_price = django_filters.NumberFilter(field_name="price", lookup_expr="lte")

    class Meta:
        model = ActiveProduct
        fields = ["category", "is_active", "min_price", "max_price"]


class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Category.objects.all()
    serializer_class = CategorySerializer
    search_fields = ["name", "description"]
    ordering_fields = ["name", "id", "created_at"]
    filterset_fields = ["parent"]


class ProductViewSet(viewsets.ReadOnlyModelViewSet):
    """The storefront's products: active ones only (every caller is anonymous here)."""

    serializer_class = ProductSerializer
    filterset_class = ProductFilter
    search_fields = ["name", "sku", "description"]
    ordering_fields = ["price", "name", "created_at", "rating_avg", "id"]
    ordering = ["id"]

    def get_queryset(self) -> QuerySet[ActiveProduct]:
        return ActiveProduct.objects.select_related("category")

    @action(detail=True, methods=["get"])
    def prices(self, request: Request, pk: Any = None) -> Response:
        product = self.get_object()
        page = self.paginate_queryset(product.price_history.all())
        return self.get_paginated_response(PriceHistorySerializer(page, many=True).data)


class ReviewViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Review.objects.all()
    serializer_class = ReviewSerializer
    filterset_fields = ["product", "rating"]
    ordering_fields = ["id", "created_at", "rating", "helpful_count"]
    search_fields = ["title", "body"]
