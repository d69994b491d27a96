from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from legacy_monolith.common.helpers import customer_for
from legacy_monolith.common.permissions import IsStaff, IsStaffOrReadOnly
from legacy_monolith.inventory import services
from legacy_monolith.inventory.models import Reservation, StockItem, Warehouse
from legacy_monolith.inventory.serializers import (
    AdjustSerializer,
    ReservationSerializer,
    ReserveSerializer,
    StockItemSerializer,
    WarehouseSerializer,
)


class WarehouseViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Warehouse.objects.all()
    serializer_class = WarehouseSerializer
    permission_classes = [permissions.IsAuthenticated, IsStaffOrReadOnly]
    http_method_names = ["get", "post", "patch", "head", "options"]
    filterset_fields = ["is_active", "country"]
    ordering_fields = ["priority", "code", "id"]


class StockItemViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = StockItem.objects.select_related("warehouse", "product")
    serializer_class = StockItemSerializer
    filterset_fields = ["product", "warehouse"]
    ordering_fields = ["id", "quantity", "reserved"]

    @action(detail=True, methods=["post"], permission_classes=[IsStaff])
    def adjust(self, request, pk=None):
        item = self.get_object()
        serializer = AdjustSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = services.adjust(item, user=request.user, **serializer.validated_data)
        return Response(StockItemSerializer(item).data)


class ReservationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ReservationSerializer
    filterset_fields = ["status", "product"]
    ordering_fields = ["id", "created_at"]

    def get_queryset(self):
        queryset = Reservation.objects.select_related("stock_item__warehouse")
        if self.request.user.is_staff:
            return queryset
        return queryset.filter(customer__user=self.request.user)

    def create(self, request):
        serializer = ReserveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reservation = services.reserve(
            serializer.validated_data["product"].pk,
            serializer.validated_data["quantity"],
            customer=customer_for(request.user),
        )
        return Response(ReservationSerializer(reservation).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        reservation = services.release(self.get_object())
        return Response(ReservationSerializer(reservation).data)
