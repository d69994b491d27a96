from rest_framework import serializers

from legacy_monolith.catalog.models import Product
from legacy_monolith.inventory.models import Reservation, StockItem, StockMovement, Warehouse


class WarehouseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Warehouse
        fields = ["id", "code", "name", "city", "country", "is_active", "priority", "created_at"]
        read_only_fields = ["id", "created_at"]


class StockMovementSerializer(serializers.ModelSerializer):
    class Meta:
        model = StockMovement
        fields = ["id", "kind", "delta", "reason", "created_at"]


class StockItemSerializer(serializers.ModelSerializer):
    warehouse_code = serializers.CharField(source="warehouse.code", read_only=True)
    sku = serializers.CharField(source="product.sku", read_only=True)
    available = serializers.IntegerField(read_only=True)

    class Meta:
        model = StockItem
        fields = [
            "id",
            "product",
            "sku",
            "warehouse",
            "warehouse_code",
            "quantity",
            "reserved",
            "available",
            "reorder_level",
            "updated_at",
        ]


class AdjustSerializer(serializers.Serializer):
    delta = serializers.IntegerField()
    reason = serializers.CharField(max_length=200)

    def validate_delta(self, value):
        if value == 0:
            raise serializers.ValidationError("A delta of zero changes nothing.")
        return value


class ReservationSerializer(serializers.ModelSerializer):
    warehouse = serializers.CharField(source="stock_item.warehouse.code", read_only=True)

    class Meta:
        model = Reservation
        fields = [
            "id",
            "product",
            "quantity",
            "status",
            "warehouse",
            "order",
            "expires_at",
            "created_at",
        ]
        read_only_fields = ["id", "status", "warehouse", "order", "expires_at", "created_at"]


class ReserveSerializer(serializers.Serializer):
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.filter(is_active=True))
    quantity = serializers.IntegerField(min_value=1, max_value=100)
