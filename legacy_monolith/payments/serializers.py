from rest_framework import serializers

from legacy_monolith.common.serializers import MoneyField
from legacy_monolith.payments.models import Payment, Refund


class RefundSerializer(serializers.ModelSerializer):
    class Meta:
        model = Refund
        fields = ["id", "amount", "reason", "reference", "created_at"]


class PaymentSerializer(serializers.ModelSerializer):
    order_number = serializers.UUIDField(source="order.number", read_only=True)
    refunds = RefundSerializer(many=True, read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "order",
            "order_number",
            "transaction_id",
            "method",
            "amount",
            "refunded_amount",
            "status",
            "fee_rate",
            "refunds",
            "created_at",
        ]


class RefundRequestSerializer(serializers.Serializer):
    amount = MoneyField(required=False)
    reason = serializers.CharField(max_length=200, required=False, default="refund by staff")
