from django.db import IntegrityError, transaction
from django.db.models import F
from django.shortcuts import get_object_or_404
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from legacy_monolith.common.helpers import cart_for, customer_for
from legacy_monolith.orders import services
from legacy_monolith.orders.models import Cart, CartItem, Order
from legacy_monolith.orders.serializers import (
    AddCartItemSerializer,
    CartItemSerializer,
    CartSerializer,
    CheckoutSerializer,
    OrderSerializer,
)
from legacy_monolith.outbox.recorder import changes


def _cart_of(request) -> Cart:
    cart = cart_for(customer_for(request.user))
    return Cart.objects.prefetch_related("items__product").get(pk=cart.pk)


class CartView(APIView):
    def get(self, request):
        return Response(CartSerializer(_cart_of(request)).data)


class CartItemsView(APIView):
    def post(self, request):
        serializer = AddCartItemSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        product = serializer.validated_data["product"]
        quantity = serializer.validated_data["quantity"]
        cart = cart_for(customer_for(request.user))
        try:
            with transaction.atomic():
                item, created = CartItem.objects.get_or_create(
                    cart=cart, product=product, defaults={"quantity": quantity}
                )
                if not created:
                    CartItem.objects.filter(pk=item.pk).update(quantity=F("quantity") + quantity)
                    item.refresh_from_db()
        except IntegrityError:  # two tabs adding the same product at once
            item = CartItem.objects.get(cart=cart, product=product)
        return Response(CartItemSerializer(item).data, status=status.HTTP_201_CREATED)


class CartItemDetailView(
    mixins.UpdateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    serializer_class = CartItemSerializer
    http_method_names = ["patch", "delete", "options"]

    def get_queryset(self):
        return CartItem.objects.filter(cart__customer__user=self.request.user).select_related(
            "product"
        )


class CartClearView(APIView):
    def post(self, request):
        cart = _cart_of(request)
        cart.items.all().delete()
        return Response(CartSerializer(_cart_of(request)).data)


class CheckoutView(APIView):
    def post(self, request):
        serializer = CheckoutSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with changes(request):  # the order events keep the request's trace headers
            order = services.checkout(
                request.user,
                address_id=serializer.validated_data["address"],
                payment_method=serializer.validated_data["payment_method"],
            )
        order = get_object_or_404(_orders(), pk=order.pk)
        return Response(OrderSerializer(order).data, status=status.HTTP_201_CREATED)


def _orders():
    return Order.objects.select_related("shipment").prefetch_related("lines", "events", "payments")


class OrderViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = OrderSerializer
    filterset_fields = ["status"]
    ordering_fields = ["id", "created_at", "total"]
    search_fields = ["lines__product_name"]

    def get_queryset(self):
        if self.request.user.is_staff:
            return _orders()
        return _orders().filter(customer__user=self.request.user)

    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        with changes(request):
            order = services.cancel(self.get_object())
        return Response(OrderSerializer(get_object_or_404(_orders(), pk=order.pk)).data)
