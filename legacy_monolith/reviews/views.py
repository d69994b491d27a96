from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from rest_framework import permissions, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from legacy_monolith.common.exceptions import Conflict
from legacy_monolith.common.helpers import customer_for
from legacy_monolith.orders.models import OrderLine
from legacy_monolith.outbox.mixins import RecordedWrites
from legacy_monolith.outbox.recorder import changes
from legacy_monolith.reviews.models import Review, ReviewVote
from legacy_monolith.reviews.serializers import ReviewSerializer


class IsAuthorOrStaff(permissions.BasePermission):
    message = "Only the author or staff may change a review."

    def has_object_permission(self, request, view, obj):
        if request.method in permissions.SAFE_METHODS:
            return True
        return request.user.is_staff or obj.author.user_id == request.user.id


class ReviewViewSet(RecordedWrites, viewsets.ModelViewSet):
    queryset = Review.objects.select_related("author__user")
    serializer_class = ReviewSerializer
    permission_classes = [permissions.IsAuthenticatedOrReadOnly, IsAuthorOrStaff]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    filterset_fields = ["product", "rating"]
    ordering_fields = ["id", "created_at", "rating", "helpful_count"]
    search_fields = ["title", "body"]

    def perform_create(self, serializer):
        customer = customer_for(self.request.user)
        product = serializer.validated_data["product"]
        # Reviews peek into orders to mark a "verified purchase".
        bought = OrderLine.objects.filter(
            order__customer=customer,
            product=product,
            order__status__in=["paid", "shipped", "delivered"],
        ).exists()
        try:
            with changes(self.request):
                serializer.save(author=customer, verified_purchase=bought)
        except IntegrityError as exc:
            raise ValidationError({"product": ["You already reviewed this product."]}) from exc

    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def helpful(self, request, pk=None):
        review = self.get_object()
        voter = customer_for(request.user)
        if review.author_id == voter.pk:
            raise Conflict("You cannot vote for your own review.")
        with changes(request):  # the vote, the count and the review's event: one transaction
            try:
                with transaction.atomic():
                    ReviewVote.objects.create(review=review, voter=voter, created_at=timezone.now())
            except IntegrityError as exc:
                raise Conflict("You already found this review helpful.") from exc
            Review.objects.filter(pk=review.pk).update(helpful_count=F("helpful_count") + 1)
        review.refresh_from_db()
        return Response(self.get_serializer(review).data)
