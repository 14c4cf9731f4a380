"""Shapes of the library API: one input serializer per command, one output serializer per shape.
Serializers shape and check types; the services decide (status, roles, case state)."""

from __future__ import annotations

from rest_framework import serializers

from routing.models import Department
from windowsvc.api import schema

from ..choices import WriteUpStatus
from ..models import BlockerType, WriteUp, WriteUpEvent, WriteUpReuse


class BlockerTypeSerializer(serializers.ModelSerializer):
    class Meta:
        model = BlockerType
        fields = ["id", "code", "label", "description"]


class WriteUpEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.get_username", default=None, read_only=True, allow_null=True)

    class Meta:
        model = WriteUpEvent
        fields = ["sequence", "kind", "actor", "from_status", "to_status", "note", "created_at"]


class WriteUpListSerializer(serializers.ModelSerializer):
    blocker_type = serializers.SlugRelatedField(slug_field="code", read_only=True)
    category = serializers.CharField(source="category.name", default=None, read_only=True, allow_null=True)
    lead_department = serializers.CharField(
        source="lead_department.name", default=None, read_only=True, allow_null=True
    )
    rank = serializers.FloatField(read_only=True, required=False, default=None, allow_null=True)

    class Meta:
        model = WriteUp
        fields = [
            "id",
            "case",
            "title",
            "status",
            "typical",
            "blocker_type",
            "category",
            "lead_department",
            "year",
            "working_days",
            "published_at",
            "version",
            "rank",
        ]
        read_only_fields = fields


class WriteUpDetailSerializer(WriteUpListSerializer):
    departments = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    enterprise_consent_by = serializers.CharField(
        source="enterprise_consent_by.get_username", default=None, read_only=True, allow_null=True
    )
    events = WriteUpEventSerializer(many=True, read_only=True)
    allowed_commands = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta(WriteUpListSerializer.Meta):
        fields = [
            *WriteUpListSerializer.Meta.fields,
            "problem",
            "blocker_note",
            "solution",
            "basis",
            "lessons",
            "departments",
            "enterprise_consent",
            "enterprise_consent_by",
            "enterprise_consent_at",
            "typical_at",
            "public",
            "events",
            "allowed_commands",
        ]
        read_only_fields = fields


class _Text(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    problem = serializers.CharField()
    blocker_type = serializers.SlugRelatedField(
        slug_field="code", queryset=BlockerType.objects.filter(is_active=True)
    )
    blocker_note = serializers.CharField(required=False, allow_blank=True, default="")
    solution = serializers.CharField()
    basis = serializers.CharField(required=False, allow_blank=True, default="")
    lessons = serializers.CharField(required=False, allow_blank=True, default="")
    departments = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.all(), many=True, required=False, default=None
    )
    enterprise_consent = serializers.BooleanField(required=False, default=False)


class WriteUpCreateSerializer(_Text):
    case = serializers.IntegerField()


class WriteUpEditSerializer(_Text):
    expected_version = serializers.IntegerField(required=False, default=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False


class WriteUpCommandSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")
    expected_version = serializers.IntegerField(required=False, default=None)


class WriteUpCommandResultSerializer(serializers.Serializer):
    writeup = serializers.IntegerField()
    status = serializers.CharField()
    typical = serializers.BooleanField()
    version = serializers.IntegerField()
    event = WriteUpEventSerializer()
    allowed_commands = serializers.ListField(child=serializers.CharField())


class WriteUpReuseInputSerializer(serializers.Serializer):
    case = serializers.IntegerField()
    writeup = serializers.IntegerField(required=False, default=None)
    source_case = serializers.IntegerField(required=False, default=None)


class WriteUpReuseOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = WriteUpReuse
        fields = ["id", "case", "writeup", "source_case", "chosen_by", "chosen_at"]
        read_only_fields = fields


class WriteUpTransitionErrorSerializer(schema.TransitionErrorSerializer):
    """409: the command is not allowed in the write-up's current state (or it changed meanwhile)."""

    current_status = serializers.ChoiceField(choices=WriteUpStatus.choices)
