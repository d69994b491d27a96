"""The public endpoints: the monolith's paths, fields, filters, ordering, pagination,
permissions and status codes, reads and writes.

Callers are who their bearer JWT says (``identity.BearerAuthentication``): staff (the
``is_staff`` claim) write categories and products and see inactive products; a customer
(``customer_id``) writes reviews and votes; no token is the anonymous storefront, whose
writes answer 401 as the monolith's. Every write runs in one transaction with the events
it records (``changes``).

``/api/catalog/products/{id}/availability/`` is not served here: it reads inventory, which
stays in the monolith, so the route table keeps that endpoint at the monolith (its own
route, ``product-availability``), and a request that reaches this service anyway answers
404 ``not_found`` in the envelope. Joining stock into the catalog would need either a call
back into the monolith on every request or a stock projection the catalog does not own.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db import transaction
from django.db.models import QuerySet
from rest_framework import permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from extracted_services.catalog import changes
from extracted_services.catalog.models import ActiveProduct, Category, Product, Review
from extracted_services.catalog.serializers import (
    CategorySerializer,
    PriceHistorySerializer,
    ProductSerializer,
    ReviewSerializer,
)


def is_staff(request: Request) -> bool:
    return bool(getattr(request.user, "is_staff", False))


class IsStaffOrReadOnly(permissions.BasePermission):
    """Anyone may read; only staff may write."""

    message = "Only staff may change this."

    def has_permission(self, request: Request, view: Any) -> bool:
        return request.method in permissions.SAFE_METHODS or is_staff(request)


class IsAuthorOrStaff(permissions.BasePermission):
    message = "Only the author or staff may change a review."

    def has_object_permission(self, request: Request, view: Any, obj: Review) -> bool:
        if request.method in permissions.SAFE_METHODS or is_staff(request):
            return True
        user = request.user
        return changes.written_by(obj, getattr(user, "customer_id", None), user.username)


class HasCustomer(permissions.BasePermission):
    """Reviews and votes are a customer's: a token without ``customer_id`` cannot write them
    (the monolith makes a profile on the fly; the service cannot make the monolith's rows)."""

    message = "Only customers may write reviews or votes."

    def has_permission(self, request: Request, view: Any) -> bool:
        return request.method != "POST" or getattr(request.user, "customer_id", None) is not None


class ProductFilter(django_filters.FilterSet):
    min_price = django_filters.NumberFilter(field_name="price", lookup_expr="gte")
    max_price = django_filters.NumberFilter(field_name="price", lookup_expr="lte")

    class Meta:
        model = Product
        fields = ["category", "is_active", "min_price", "max_price"]


class CategoryViewSet(viewsets.ModelViewSet):
    queryset = Category.objects.all()
    serializer_class = CategorySerializer
    permission_classes = [IsStaffOrReadOnly]
    search_fields = ["name", "description"]
    ordering_fields = ["name", "id", "created_at"]
    filterset_fields = ["parent"]

    @transaction.atomic
    def perform_create(self, serializer: serializers.ModelSerializer) -> None:
        changes.save_category(serializer)

    @transaction.atomic
    def perform_update(self, serializer: serializers.ModelSerializer) -> None:
        changes.save_category(serializer)

    @transaction.atomic
    def perform_destroy(self, instance: Category) -> None:
        changes.delete_category(instance)


class ProductViewSet(viewsets.ModelViewSet):
    serializer_class = ProductSerializer
    permission_classes = [IsStaffOrReadOnly]
    filterset_class = ProductFilter
    search_fields = ["name", "sku", "description"]
    ordering_fields = ["price", "name", "created_at", "rating_avg", "id"]
    ordering = ["id"]

    def get_queryset(self) -> QuerySet[Product]:
        # Staff see everything; the storefront only the active products (proxy model).
        model = Product if is_staff(self.request) else ActiveProduct
        return model.objects.select_related("category")

    @transaction.atomic
    def perform_create(self, serializer: serializers.ModelSerializer) -> None:
        changes.save_product(serializer)

    @transaction.atomic
    def perform_update(self, serializer: serializers.ModelSerializer) -> None:
        changes.save_product(serializer)

    @transaction.atomic
    def perform_destroy(self, instance: Product) -> None:
        changes.delete_product(instance)

    @action(detail=True, methods=["get"])
    def prices(self, request: Request, pk: Any = None) -> Response:
        product = self.get_object()
        page = self.paginate_queryset(product.price_history.all())
        return self.get_paginated_response(PriceHistorySerializer(page, many=True).data)


class ReviewViewSet(viewsets.ModelViewSet):
    queryset = Review.objects.all()
    serializer_class = ReviewSerializer
    permission_classes = [permissions.IsAuthenticatedOrReadOnly, HasCustomer, IsAuthorOrStaff]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    filterset_fields = ["product", "rating"]
    ordering_fields = ["id", "created_at", "rating", "helpful_count"]
    search_fields = ["title", "body"]

    @transaction.atomic
    def perform_create(self, serializer: serializers.ModelSerializer) -> None:
        user = self.request.user
        changes.create_review(serializer, user.customer_id, user.username)

    @transaction.atomic
    def perform_update(self, serializer: serializers.ModelSerializer) -> None:
        user = self.request.user
        changes.update_review(serializer, getattr(user, "customer_id", None), user.username)

    @transaction.atomic
    def perform_destroy(self, instance: Review) -> None:
        changes.delete_review(instance)

    @action(
        detail=True,
        methods=["post"],
        permission_classes=[permissions.IsAuthenticated, HasCustomer],
    )
    def helpful(self, request: Request, pk: Any = None) -> Response:
        with transaction.atomic():
            user = request.user
            review = changes.vote_helpful(self.get_object(), user.customer_id, user.username)
        return Response(self.get_serializer(review).data)
