from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from legacy_monolith.common.permissions import IsStaff
from legacy_monolith.outbox.recorder import changes
from legacy_monolith.payments import services
from legacy_monolith.payments.models import Payment
from legacy_monolith.payments.serializers import (
    PaymentSerializer,
    RefundRequestSerializer,
    RefundSerializer,
)


class PaymentViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = PaymentSerializer
    filterset_fields = ["status", "method", "order"]
    ordering_fields = ["id", "created_at", "amount"]

    def get_queryset(self):
        queryset = Payment.objects.select_related("order").prefetch_related("refunds")
        if self.request.user.is_staff:
            return queryset
        return queryset.filter(order__customer__user=self.request.user)

    @action(detail=True, methods=["post"], permission_classes=[IsStaff])
    def refund(self, request, pk=None):
        payment = self.get_object()
        serializer = RefundRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with changes(request):
            refund = services.refund(payment, **serializer.validated_data)
        return Response(RefundSerializer(refund).data, status=status.HTTP_201_CREATED)
