from rest_framework import serializers

from legacy_monolith.shipping.models import Shipment


class ShipmentSerializer(serializers.ModelSerializer):
    carrier = serializers.CharField(source="carrier.code", read_only=True)
    warehouse = serializers.CharField(source="warehouse.code", read_only=True, default=None)
    order_number = serializers.UUIDField(source="order.number", read_only=True)

    class Meta:
        model = Shipment
        fields = [
            "id",
            "order",
            "order_number",
            "carrier",
            "warehouse",
            "status",
            "tracking_number",
            "weight_kg",
            "cost",
            "scheduled_for",
            "dispatched_at",
            "delivered_at",
            "created_at",
        ]


class RatesQuerySerializer(serializers.Serializer):
    address = serializers.IntegerField(
        min_value=1, error_messages={"required": "Give ?address=<id> of one of your addresses."}
    )
