from rest_framework import serializers

from legacy_monolith.catalog.models import Category, PriceHistory, Product, Tag
from legacy_monolith.common.utils import money


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "slug", "parent", "description", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]

    def validate_parent(self, value):
        if value is not None and self.instance is not None and value.pk == self.instance.pk:
            raise serializers.ValidationError("A category cannot be its own parent.")
        return value


class ProductSerializer(serializers.ModelSerializer):
    category_name = serializers.CharField(source="category.name", read_only=True)
    # Tag names collected into a set: the order of this list is not guaranteed.
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

    def get_tags(self, product) -> list[str]:
        return list({tag.name for tag in product.tags.all()})

    def validate_price(self, value):
        if value <= 0:
            raise serializers.ValidationError("The price must be greater than zero.")
        return money(value)

    def validate_weight_kg(self, value):
        if value < 0:
            raise serializers.ValidationError("The weight cannot be negative.")
        return value

    def _save_tags(self, product, names):
        if names is not None:
            product.tags.set([Tag.objects.get_or_create(name=n)[0] for n in names])

    def create(self, validated_data):
        names = validated_data.pop("tag_names", None)
        product = super().create(validated_data)
        self._save_tags(product, names)
        return product

    def update(self, instance, validated_data):
        names = validated_data.pop("tag_names", None)
        product = super().update(instance, validated_data)
        self._save_tags(product, names)
        return product


class PriceHistorySerializer(serializers.ModelSerializer):
    class Meta:
        model = PriceHistory
        fields = ["id", "price", "changed_at", "reason"]
