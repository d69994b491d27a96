from rest_framework import serializers

from legacy_monolith.notifications.models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    template = serializers.CharField(source="template.code", read_only=True, default=None)
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

    def get_is_read(self, notification) -> bool:
        return notification.read_at is not None
