from django.utils import timezone
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from legacy_monolith.notifications.models import Notification
from legacy_monolith.notifications.serializers import NotificationSerializer


class NotificationViewSet(viewsets.ReadOnlyModelViewSet):
    """Own notifications only (also for staff: these are personal)."""

    serializer_class = NotificationSerializer
    filterset_fields = ["channel", "order"]
    ordering_fields = ["id", "created_at"]

    def get_queryset(self):
        return Notification.objects.filter(customer__user=self.request.user).select_related(
            "template"
        )

    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = self.get_object()
        if notification.read_at is None:
            notification.read_at = timezone.now()
            notification.save(update_fields=["read_at"])
        return Response(self.get_serializer(notification).data)
