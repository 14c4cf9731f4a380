"""Audit API shapes (read-only)."""

from rest_framework import serializers

from cases.models import CaseEvent

from ..models import ChainDigest


class AuditEventSerializer(serializers.ModelSerializer):
    tracking_number = serializers.CharField(source="case.tracking_number")
    actor = serializers.CharField(source="actor.username", allow_null=True, default=None)
    department = serializers.CharField(source="department.name", allow_null=True, default=None)

    class Meta:
        model = CaseEvent
        fields = [
            "id",
            "tracking_number",
            "sequence",
            "kind",
            "actor",
            "department",
            "from_status",
            "to_status",
            "reason",
            "payload",
            "is_public",
            "created_at",
            "prev_hash",
            "hash",
        ]


class ChainDigestSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChainDigest
        fields = ["cutoff", "created_at", "cases", "events", "digest", "previous"]


class HistoryRowSerializer(serializers.Serializer):
    model = serializers.CharField()
    model_label = serializers.CharField()
    object_id = serializers.IntegerField()
    change = serializers.CharField()
    at = serializers.DateTimeField()
    user = serializers.CharField()
    path = serializers.CharField()
    data = serializers.DictField()
