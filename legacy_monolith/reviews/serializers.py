from rest_framework import serializers

from legacy_monolith.catalog.models import Product
from legacy_monolith.reviews.models import Review


class ReviewSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.user.username", read_only=True)
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
        read_only_fields = ["id", "helpful_count", "verified_purchase", "created_at", "updated_at"]

    def validate_rating(self, value):
        if not 1 <= value <= 5:
            raise serializers.ValidationError("Rating must be between 1 and 5.")
        return value

    def validate_product(self, value):
        if self.instance is not None and value.pk != self.instance.product_id:
            raise serializers.ValidationError("A review cannot move to another product.")
        return value
