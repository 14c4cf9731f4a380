"""Output shapes of the inbox API (messages are written by services, never through the API)."""

from rest_framework import serializers

from ..models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    is_read = serializers.BooleanField(read_only=True)
    link = serializers.CharField(read_only=True)

    class Meta:
        model = Notification
        fields = [
            "id",
            "template_code",
            "subject",
            "body",
            "link",
            "emergency",
            "created_at",
            "read_at",
            "is_read",
        ]
        read_only_fields = fields


class UnreadCountSerializer(serializers.Serializer):
    unread = serializers.IntegerField()


class ReadAllSerializer(serializers.Serializer):
    marked = serializers.IntegerField()
