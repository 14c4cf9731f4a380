"""Serializers of the practice API: one output shape per read, one input serializer per command. They shape
and check types; the services decide (status, deadline, department and region are read-only)."""

from rest_framework import serializers

from windowsvc.api import schema

from .. import conf
from ..choices import ItemStatus, Measure
from ..models import PracticeItem, PracticeItemEvent, RecurringProblem


class RecurringProblemSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region.code", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    category = serializers.CharField(source="category.name", read_only=True, default=None, allow_null=True)
    department = serializers.CharField(
        source="department.name", read_only=True, default=None, allow_null=True
    )
    terms = serializers.ListField(source="term_list", child=serializers.CharField(), read_only=True)

    class Meta:
        model = RecurringProblem
        fields = [
            "id",
            "kind",
            "title",
            "region",
            "region_name",
            "category",
            "department",
            "terms",
            "case_count",
            "window_count",
            "first_case_at",
            "last_case_at",
            "first_seen_at",
            "last_seen_at",
        ]
        read_only_fields = fields


class ProblemCaseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    tracking_number = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
    taken_in_at = serializers.DateTimeField()


class RecurringProblemDetailSerializer(RecurringProblemSerializer):
    cases = serializers.SerializerMethodField()

    class Meta(RecurringProblemSerializer.Meta):
        fields = [*RecurringProblemSerializer.Meta.fields, "cases"]
        read_only_fields = fields

    def get_cases(self, problem) -> list[dict]:
        return ProblemCaseSerializer(self.context.get("cases", []), many=True).data


class PracticeItemEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", read_only=True, default=None, allow_null=True)

    class Meta:
        model = PracticeItemEvent
        fields = ["sequence", "kind", "actor", "from_status", "to_status", "text", "created_at"]
        read_only_fields = fields


class PracticeItemSerializer(serializers.ModelSerializer):
    number = serializers.CharField(read_only=True)
    responsible_department = serializers.CharField(source="responsible_department.name", read_only=True)
    region = serializers.CharField(source="region.code", read_only=True)
    light = serializers.CharField(read_only=True, allow_null=True)
    has_evidence_file = serializers.SerializerMethodField()

    class Meta:
        model = PracticeItem
        fields = [
            "id",
            "number",
            "title",
            "measure",
            "description",
            "source_problem",
            "responsible_department",
            "region",
            "status",
            "days",
            "due_at",
            "yellow_at",
            "light",
            "started_at",
            "submitted_at",
            "done_at",
            "cancelled_at",
            "evidence_text",
            "has_evidence_file",
            "version",
            "created_at",
        ]
        read_only_fields = fields

    def get_has_evidence_file(self, item) -> bool:
        return bool(item.evidence_file)


class EffectSerializer(serializers.Serializer):
    days = serializers.IntegerField()
    before = serializers.IntegerField()
    since = serializers.IntegerField()


class PracticeItemDetailSerializer(PracticeItemSerializer):
    events = PracticeItemEventSerializer(many=True, read_only=True)
    allowed_commands = serializers.SerializerMethodField()
    effect = serializers.SerializerMethodField()

    class Meta(PracticeItemSerializer.Meta):
        fields = [*PracticeItemSerializer.Meta.fields, "events", "allowed_commands", "effect"]
        read_only_fields = fields

    def get_allowed_commands(self, item) -> list[str]:
        return self.context.get("allowed", [])

    def get_effect(self, item) -> dict | None:
        effect = self.context.get("effect")
        return EffectSerializer(effect).data if effect else None


class ItemCreateSerializer(serializers.Serializer):
    problem = serializers.IntegerField()
    measure = serializers.ChoiceField(choices=Measure.choices)
    description = serializers.CharField()
    department = serializers.IntegerField()
    title = serializers.CharField(required=False, allow_blank=True, max_length=200)
    days = serializers.IntegerField(required=False, min_value=1)

    def validate_days(self, value):
        if value > conf.item_max_days():
            raise serializers.ValidationError(f"<= {conf.item_max_days()}")
        return value


class ProgressSerializer(serializers.Serializer):
    text = serializers.CharField()


class SubmitSerializer(serializers.Serializer):
    evidence = serializers.CharField()
    file = serializers.FileField(required=False)


class AcceptSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ItemReasonSerializer(serializers.Serializer):
    """Input of reject and cancel: why."""

    reason = serializers.CharField()


COMMAND_SERIALIZERS = {
    "progress": ProgressSerializer,
    "submit": SubmitSerializer,
    "accept": AcceptSerializer,
    "reject": ItemReasonSerializer,
    "cancel": ItemReasonSerializer,
}


class PracticeItemTransitionErrorSerializer(schema.TransitionErrorSerializer):
    """409: the command is not allowed in the item's current state."""

    current_status = serializers.ChoiceField(choices=ItemStatus.choices)
