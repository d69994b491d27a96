from django.db.models import ProtectedError
from rest_framework import permissions, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from legacy_monolith.catalog.filters import ProductFilter
from legacy_monolith.catalog.models import ActiveProduct, Category, Product
from legacy_monolith.catalog.serializers import (
    CategorySerializer,
    PriceHistorySerializer,
    ProductSerializer,
)
from legacy_monolith.common.exceptions import Conflict
from legacy_monolith.common.permissions import IsStaffOrReadOnly

# The catalog reaches straight into inventory to answer "is it in stock?".
from legacy_monolith.inventory.services import availability_of
from legacy_monolith.outbox.mixins import RecordedWrites


class CategoryViewSet(RecordedWrites, viewsets.ModelViewSet):
    queryset = Category.objects.all()
    serializer_class = CategorySerializer
    permission_classes = [IsStaffOrReadOnly]
    search_fields = ["name", "description"]
    ordering_fields = ["name", "id", "created_at"]
    filterset_fields = ["parent"]

    def perform_destroy(self, instance):
        try:
            super().perform_destroy(instance)
        except ProtectedError as exc:
            raise Conflict(
                f"Category {instance.name!r} still has products; move or delete them first."
            ) from exc


class ProductViewSet(RecordedWrites, viewsets.ModelViewSet):
    serializer_class = ProductSerializer
    permission_classes = [IsStaffOrReadOnly]
    filterset_class = ProductFilter
    search_fields = ["name", "sku", "description"]
    ordering_fields = ["price", "name", "created_at", "rating_avg", "id"]
    ordering = ["id"]

    def get_queryset(self):
        # Staff see everything; the storefront only the active products (proxy model).
        model = Product if self.request.user.is_staff else ActiveProduct
        return model.objects.select_related("category").prefetch_related("tags")

    def perform_destroy(self, instance):
        try:
            super().perform_destroy(instance)
        except ProtectedError as exc:
            raise Conflict(
                f"Product {instance.sku} appears on orders; deactivate it instead "
                "(PATCH is_active=false)."
            ) from exc

    @action(detail=True, methods=["get"])
    def prices(self, request, pk=None):
        product = self.get_object()
        page = self.paginate_queryset(product.price_history.all())
        return self.get_paginated_response(PriceHistorySerializer(page, many=True).data)

    @action(detail=True, methods=["get"], permission_classes=[permissions.AllowAny])
    def availability(self, request, pk=None):
        return Response(availability_of(self.get_object()))
