"""The monolith's serializers, field for field: same names, validation and messages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rest_framework import serializers

from extracted_services.catalog.models import Category, PriceHistory, Product, Review


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "slug", "parent", "description", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]

    def validate_parent(self, value: Category | None) -> Category | None:
        if value is not None and self.instance is not None and value.pk == self.instance.pk:
            raise serializers.ValidationError("A category cannot be its own parent.")
        return value


class ProductSerializer(serializers.ModelSerializer):
    category_name = serializers.CharField(source="category.name", read_only=True)
    tags = serializers.SerializerMethodField()
    tag_names = serializers.ListField(
        child=serializers.CharField(max_length=40), write_only=True, required=False
    )

    class Meta:
        model = Product
        fields = [
            "id",
            "sku",
            "name",
            "description",
            "category",
            "category_name",
            "tags",
            "tag_names",
            "price",
            "weight_kg",
            "is_active",
            "rating_avg",
            "rating_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "rating_avg", "rating_count", "created_at", "updated_at"]

    def get_tags(self, product: Product) -> list[str]:
        return list(product.tags)

    def validate_price(self, value: Decimal) -> Decimal:
        if value <= 0:
            raise serializers.ValidationError("The price must be greater than zero.")
        return value.quantize(Decimal("0.01"))

    def validate_weight_kg(self, value: float) -> float:
        if value < 0:
            raise serializers.ValidationError("The weight cannot be negative.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # the monolith keeps tags as a set of Tag rows; here the sorted names are the column
        names = attrs.pop("tag_names", None)
        if names is not None:
            attrs["tags"] = sorted(set(names))
        return attrs


class PriceHistorySerializer(serializers.ModelSerializer):
    class Meta:
        model = PriceHistory
        fields = ["id", "price", "changed_at", "reason"]


class ReviewSerializer(serializers.ModelSerializer):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())

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
        read_only_fields = [
            "id",
            "author",
            "helpful_count",
            "verified_purchase",
            "created_at",
            "updated_at",
        ]

    def validate_rating(self, value: int) -> int:
        if not 1 <= value <= 5:
            raise serializers.ValidationError("Rating must be between 1 and 5.")
        return value

    def validate_product(self, value: Product) -> Product:
        if self.instance is not None and value.pk != self.instance.product_id:
            raise serializers.ValidationError("A review cannot move to another product.")
        return value
