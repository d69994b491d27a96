"""``/api/notifications/``: the monolith's paths, fields, filters, ordering and pagination.

Own notifications only, also for staff (they are personal): the caller's ``customer_id``
comes from the JWT (``identity.BearerAuthentication``); another customer's id answers 404,
an anonymous caller 401, as the monolith answers.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from extracted_services.notifications.models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "template",
            "order",
            "channel",
            "subject",
            "body",
            "is_read",
            "read_at",
            "created_at",
        ]

    def get_is_read(self, notification: Notification) -> bool:
        return notification.read_at is not None


class NotificationViewSet(viewsets.ReadOnlyModelViewSet):
    """Own notifications only (also for staff: these are personal)."""

    serializer_class = NotificationSerializer
    filterset_fields = ["channel", "order"]
    ordering_fields = ["id", "created_at"]

    def get_queryset(self) -> QuerySet[Notification]:
        customer_id = getattr(self.request.user, "customer_id", None)
        if customer_id is None:
            return Notification.objects.none()
        return Notification.objects.filter(customer_id=customer_id)

    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: Any = None) -> Response:
        notification = self.get_object()
        if notification.read_at is None:
            notification.read_at = timezone.now()
            notification.updated_at = notification.read_at
            notification.save(update_fields=["read_at", "updated_at"])
        return Response(self.get_serializer(notification).data)
