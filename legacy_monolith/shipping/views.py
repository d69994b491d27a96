from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from legacy_monolith.common.helpers import cart_for, cart_subtotal, cart_weight, customer_for
from legacy_monolith.common.permissions import IsStaff
from legacy_monolith.customers.models import Address
from legacy_monolith.outbox.recorder import changes
from legacy_monolith.shipping import services
from legacy_monolith.shipping.models import Shipment
from legacy_monolith.shipping.serializers import RatesQuerySerializer, ShipmentSerializer


class ShipmentViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ShipmentSerializer
    filterset_fields = ["status", "carrier"]
    ordering_fields = ["id", "created_at", "weight_kg"]

    def get_queryset(self):
        queryset = Shipment.objects.select_related("carrier", "warehouse", "order")
        if self.request.user.is_staff:
            return queryset
        return queryset.filter(order__customer__user=self.request.user)

    # Not named "dispatch": that is APIView.dispatch.
    @action(detail=True, methods=["post"], permission_classes=[IsStaff], url_path="dispatch")
    def dispatch_shipment(self, request, pk=None):
        with changes(request):
            shipment = services.dispatch(self.get_object(), user=request.user)
        return Response(ShipmentSerializer(shipment).data)

    @action(detail=True, methods=["post"], permission_classes=[IsStaff])
    def deliver(self, request, pk=None):
        with changes(request):
            shipment = services.deliver(self.get_object())
        return Response(ShipmentSerializer(shipment).data)


class RatesView(APIView):
    """GET ?address=<id>: what shipping the current cart would cost, per carrier."""

    def get(self, request):
        query = RatesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        customer = customer_for(request.user)
        address = Address.objects.filter(pk=query.validated_data["address"], customer=customer)
        address = address.first()
        if address is None:
            raise NotFound(f"You have no address {query.validated_data['address']}.")
        cart = cart_for(customer)
        weight = cart_weight(cart) or 1.0
        rates = services.quote(address, weight, cart_subtotal(cart))
        return Response({"address": address.pk, "weight_kg": weight, "rates": rates})
