"""Serializers of the staff cases API: the request schema of each command, one output serializer per shape.

Commands' input serializers are drawn from each command's declared input (``command_input_serializer``)
and only document the request: the workflow validates the input once (``cases.commands``: types,
required fields, bounds, choices; then what needs the case — which departments and categories are valid
for it, whether the state allows the command, whether the user may run it) and answers with the same
field-error shape. Ids of departments, categories, windows and attachments are plain
integers: a village clerk routes to county departments they cannot list, so the workflow, not a
scoped queryset, says which ones are valid.

Output: list rows mask the requester's phone and id numbers (``138****8000``); the detail shows them
whole, and only staff who may see the case ever reach it. The query code (查询码) appears only in the
intake answer and the receipt; the tracking number (受理编号) is the case's public reference and is shown
everywhere.
"""

from __future__ import annotations

import functools
from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from routing.models import Department, Region, ServiceWindow
from windowsvc.api import schema

from .. import workflow
from ..choices import CaseStatus, Channel, Light, RequesterKind
from ..commands import EXPECTED_VERSION, Input, Kind
from ..models import (
    Assignment,
    Case,
    CaseAttachment,
    CaseEvent,
    CaseTimer,
    Category,
    Extension,
    Reason,
    RefusalReview,
    Requester,
)

User = get_user_model()


# --- References (small nested shapes) ---------------------------------------------------------------


class RegionRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["id", "code", "name", "tier"]
        read_only_fields = fields


class DepartmentRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "code", "name"]
        read_only_fields = fields


class WindowRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = ServiceWindow
        fields = ["id", "code", "name"]
        read_only_fields = fields


class CategoryRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "code", "name"]
        read_only_fields = fields


class UserRefSerializer(serializers.ModelSerializer):
    full_name = serializers.CharField(source="get_full_name", read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "full_name"]
        read_only_fields = fields


# --- Requesters -------------------------------------------------------------------------------------


class RequesterMaskedSerializer(serializers.ModelSerializer):
    """A requester as list rows show it: phone and id numbers masked, no address."""

    phone = serializers.CharField(source="masked_phone", read_only=True)
    id_number = serializers.CharField(source="masked_id_number", read_only=True)
    credit_code = serializers.CharField(source="masked_credit_code", read_only=True)

    class Meta:
        model = Requester
        fields = ["kind", "name", "contact_name", "phone", "id_number", "credit_code"]
        read_only_fields = fields


class RequesterSerializer(serializers.ModelSerializer):
    """The whole requester: only on the detail of a case the user may see."""

    # Decrypted on read; "" when there is none (the column's NULL).
    id_number = serializers.CharField(read_only=True)
    credit_code = serializers.CharField(read_only=True)

    class Meta:
        model = Requester
        fields = ["kind", "name", "contact_name", "phone", "id_number", "credit_code", "address"]
        read_only_fields = fields


class RequesterInputSerializer(serializers.Serializer):
    """Who brought the matter; a person gives an id number (optional), an enterprise its credit code.

    Schema only: the workflow normalises and validates the requester once (``cases.workflow._requester``,
    the model's validators), and its errors come back as ``requester.<field>``."""

    kind = serializers.ChoiceField(choices=RequesterKind.choices)
    name = serializers.CharField(max_length=100)
    contact_name = serializers.CharField(max_length=50, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=24, help_text=_("手机或固定电话"))
    id_number = serializers.CharField(max_length=18, required=False, allow_blank=True)
    credit_code = serializers.CharField(
        max_length=18, required=False, allow_blank=True, help_text=_("企业必填：统一社会信用代码")
    )
    address = serializers.CharField(max_length=200, required=False, allow_blank=True)


# --- Cases ------------------------------------------------------------------------------------------


class CaseListSerializer(serializers.ModelSerializer):
    """A row of the case list: what a queue shows, personal data masked; no query code."""

    status_display = serializers.CharField(source="get_status_display", read_only=True)
    category = CategoryRefSerializer(read_only=True, allow_null=True)
    region = RegionRefSerializer(read_only=True)
    window = WindowRefSerializer(read_only=True)
    lead_department = DepartmentRefSerializer(read_only=True, allow_null=True)
    requester = RequesterMaskedSerializer(read_only=True)
    # Deadlines (docs/DEADLINES.md): the light is derived from the stored times when read.
    light = serializers.ChoiceField(
        choices=Light.choices,
        source="deadline_light",
        read_only=True,
        allow_null=True,
        help_text=_("绿灯/黄灯/红灯；无计时（未受理完成、已办结或已说明答复）时为空"),
    )

    class Meta:
        model = Case
        fields = [
            "id",
            "tracking_number",
            "title",
            "status",
            "status_display",
            "channel",
            "category",
            "matter_kind",
            "complexity",
            "handling_mode",
            "green_channel",
            "region",
            "window",
            "lead_department",
            "requester",
            "needs_review",
            "return_count",
            "transfer_count",
            "reopen_count",
            "taken_in_at",
            "updated_at",
            "version",
            "light",
            "reply_due_at",
            "due_at",
            "deadline_provisional",
        ]
        read_only_fields = fields


class AssignmentSerializer(serializers.ModelSerializer):
    """One department's part in a case (主办 / 协办), current or past."""

    department = DepartmentRefSerializer(read_only=True)
    accepted_by = UserRefSerializer(read_only=True, allow_null=True)
    light = serializers.ChoiceField(
        choices=Light.choices, source="deadline_light", read_only=True, allow_null=True
    )

    class Meta:
        model = Assignment
        fields = [
            "id",
            "department",
            "role",
            "status",
            "is_current",
            "can_return",
            "origin",
            "created_at",
            "accepted_at",
            "accepted_by",
            "ended_at",
            "returned_reason",
            "accept_due_at",
            "due_at",
            "light",
        ]
        read_only_fields = fields


class ReasonSerializer(serializers.ModelSerializer):
    """One active reason of a configurable list (``reason_code`` of not-accept, reply and suspend)."""

    purpose_display = serializers.CharField(source="get_purpose_display", read_only=True)

    class Meta:
        model = Reason
        fields = ["id", "code", "label", "purpose", "purpose_display"]
        read_only_fields = fields


class ReasonRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Reason
        fields = ["code", "label"]
        read_only_fields = fields


class CaseTimerSerializer(serializers.ModelSerializer):
    """A running deadline of the case other than the completion clock (the sweep watches it)."""

    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    alarm_level_display = serializers.CharField(source="get_alarm_level_display", read_only=True)

    class Meta:
        model = CaseTimer
        fields = ["kind", "kind_display", "due_at", "alarm_level", "alarm_level_display"]
        read_only_fields = fields


class CaseReviewSerializer(serializers.ModelSerializer):
    """One 否定答复审核 of the case, pending or decided."""

    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    reason = ReasonRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = RefusalReview
        fields = [
            "id",
            "kind",
            "kind_display",
            "status",
            "status_display",
            "reason",
            "due_at",
            "decided_at",
            "instruction",
        ]
        read_only_fields = fields


class CaseDetailSerializer(CaseListSerializer):
    """One case for staff who may see it: the requester whole, the content, every assignment, the running
    deadlines (``timers``) and the reviews of its "no"s (``reviews``). ``timers`` and ``reviews`` read
    ``running_timers`` / ``review_rows`` when the view set them (one query each), else the relations."""

    requester = RequesterSerializer(read_only=True)
    clerk = UserRefSerializer(read_only=True, allow_null=True)
    taken_in_by = serializers.CharField(read_only=True)
    assignments = AssignmentSerializer(many=True, read_only=True)
    is_follow_up = serializers.BooleanField(read_only=True)
    deadline_in_force = serializers.DateTimeField(read_only=True, allow_null=True)
    timers = serializers.SerializerMethodField()
    reviews = serializers.SerializerMethodField()

    def get_timers(self, case) -> list[dict]:
        rows = getattr(case, "running_timers", None)
        if rows is None:
            rows = case.timers.filter(stopped_at__isnull=True).order_by("due_at", "pk")
        return CaseTimerSerializer(rows, many=True).data

    def get_reviews(self, case) -> list[dict]:
        rows = getattr(case, "review_rows", None)
        if rows is None:
            rows = case.reviews.select_related("reason").order_by("created_at", "pk")
        return CaseReviewSerializer(rows, many=True).data

    class Meta(CaseListSerializer.Meta):
        fields = [
            *CaseListSerializer.Meta.fields,
            "description",
            "expectation",
            "clerk",
            "taken_in_by",
            "assignments",
            "resolution_summary",
            "callback_satisfaction",
            "callback_comment",
            "callback_at",
            "first_contacted_at",
            "replied_at",
            "suspended_at",
            "resolved_at",
            "closed_at",
            "first_contact_due_at",
            "yellow_at",
            "reasoned_reply_due_at",
            "reasoned_reply_at",
            "extension_days",
            "supervision_due_at",
            "bulletin_at",
            "follow_up_due_at",
            "suspended_until",
            "withdrawn_at",
            "is_follow_up",
            "deadline_in_force",
            "timers",
            "reviews",
        ]
        read_only_fields = fields


class QueueCaseSerializer(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    requester = RequesterMaskedSerializer(read_only=True)

    class Meta:
        model = Case
        fields = [
            "id",
            "tracking_number",
            "title",
            "status",
            "status_display",
            "handling_mode",
            "green_channel",
            "requester",
            "taken_in_at",
        ]
        read_only_fields = fields


class AssignmentQueueSerializer(serializers.ModelSerializer):
    """A row of a department's work queue: the assignment and the case it belongs to."""

    department = DepartmentRefSerializer(read_only=True)
    case = QueueCaseSerializer(read_only=True)

    class Meta:
        model = Assignment
        fields = [
            "id",
            "case",
            "department",
            "role",
            "status",
            "can_return",
            "origin",
            "created_at",
            "accepted_at",
            "ended_at",
            "returned_reason",
        ]
        read_only_fields = fields


class QueueQuerySerializer(serializers.Serializer):
    """Query parameters of ``/assignments/``."""

    QUEUES = (
        ("to_sign", _("待签收")),
        ("in_progress", _("办理中")),
        ("returned", _("已退回")),
    )

    queue = serializers.ChoiceField(
        choices=QUEUES, required=False, help_text=_("不填则为全部待办（待签收和办理中）")
    )
    department = serializers.IntegerField(min_value=1, required=False, help_text=_("只看某一个所在部门"))


class CaseEventSerializer(serializers.ModelSerializer):
    """One entry of a case's timeline: who did what, from which status to which."""

    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    actor = UserRefSerializer(read_only=True, allow_null=True)
    department = DepartmentRefSerializer(read_only=True, allow_null=True)
    payload = serializers.DictField(read_only=True)

    class Meta:
        model = CaseEvent
        fields = [
            "id",
            "sequence",
            "kind",
            "kind_display",
            "actor",
            "department",
            "from_status",
            "to_status",
            "reason",
            "payload",
            "is_public",
            "created_at",
        ]
        read_only_fields = fields


class AttachmentSerializer(serializers.ModelSerializer):
    uploaded_by = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = CaseAttachment
        fields = ["id", "original_name", "content_type", "size", "sha256", "uploaded_by", "created_at"]
        read_only_fields = fields


class AttachmentUploadSerializer(serializers.Serializer):
    """multipart/form-data: ``file`` (type and size are checked by the service)."""

    file = serializers.FileField()


class ReceiptSerializer(serializers.Serializer):
    """The receipt (回执) data: the intake answer, and ``/cases/{id}/receipt/`` for a reprint.

    ``status`` is the status the intake left the case in (a replayed intake answers exactly like the
    first one did).
    """

    id = serializers.IntegerField()
    tracking_number = serializers.CharField()
    query_code = serializers.CharField(help_text=_("查询码：反映人凭受理编号和查询码查询办理进度"))
    status = serializers.ChoiceField(choices=CaseStatus.choices)
    status_display = serializers.CharField()
    channel = serializers.ChoiceField(choices=Channel.choices)
    title = serializers.CharField()
    taken_in_at = serializers.DateTimeField()
    window = WindowRefSerializer()
    region = RegionRefSerializer()
    requester = RequesterMaskedSerializer()


def receipt_data(case: Case, snapshot: dict | None = None) -> dict:
    """The receipt of ``case``; ``snapshot`` (the stored first answer of an intake) fixes the status."""
    status = (snapshot or {}).get("status") or case.status
    return {
        "id": case.pk,
        "tracking_number": case.tracking_number,
        "query_code": case.query_code,
        "status": status,
        "status_display": CaseStatus(status).label,
        "channel": case.channel,
        "title": case.title,
        "taken_in_at": case.taken_in_at,
        "window": case.window,
        "region": case.region,
        "requester": case.requester,
    }


class AllowedCommandSerializer(serializers.Serializer):
    name = serializers.CharField(help_text=_("命令名（与事件类型相同）"))
    label = serializers.CharField()
    path = serializers.CharField(help_text=_("接口路径中的命令段，如 not-accept"))


class AllowedCommandsSerializer(serializers.Serializer):
    """What the current user may do on the case now (the buttons a page shows)."""

    case = serializers.IntegerField()
    status = serializers.ChoiceField(choices=CaseStatus.choices)
    version = serializers.IntegerField()
    allowed_commands = serializers.ListField(child=serializers.CharField())
    commands = AllowedCommandSerializer(many=True)


class CommandResultSerializer(serializers.Serializer):
    """The answer to an accepted command: the event it wrote and what the user may do next."""

    case = serializers.IntegerField()
    status = serializers.ChoiceField(choices=CaseStatus.choices)
    version = serializers.IntegerField()
    event = CaseEventSerializer()
    allowed_commands = serializers.ListField(child=serializers.CharField())


# --- Error shapes (for the schema) ------------------------------------------------------------------


class TransitionErrorSerializer(schema.TransitionErrorSerializer):
    """409: the command is not allowed in the case's current state (or was overtaken by another)."""

    current_status = serializers.ChoiceField(choices=CaseStatus.choices)


# --- Intake -----------------------------------------------------------------------------------------


# --- Commands ---------------------------------------------------------------------------------------


def _schema_field(spec: Input) -> serializers.Field:
    """The request-schema field of one declared input (documentation: nothing is validated with it)."""
    common: dict[str, Any] = {"required": spec.required, "help_text": spec.help or None}
    if not spec.required:
        common["allow_null"] = True
    match spec.kind:
        case Kind.TEXT:
            return serializers.CharField(allow_blank=not spec.required, max_length=spec.max_length, **common)
        case Kind.BOOL:
            return serializers.BooleanField(**common)
        case Kind.INT:
            return serializers.IntegerField(min_value=spec.min_value, max_value=spec.max_value, **common)
        case Kind.ID:
            return serializers.IntegerField(min_value=1, **common)
        case Kind.IDS:
            return serializers.ListField(child=serializers.IntegerField(min_value=1), **common)
        case Kind.CHOICE:
            # The whole enum (one schema component per enum); a narrower set is said in the help text.
            if spec.allowed is not None:
                common["help_text"] = _("仅限：%(values)s") % {"values": "、".join(spec.allowed)}
            return serializers.ChoiceField(
                choices=spec.choices.choices, allow_blank=not spec.required, **common
            )
        case Kind.WHEN:
            return serializers.CharField(**common)  # a date or an aware datetime
        case Kind.DATETIME:
            return serializers.DateTimeField(**common)
    return _NESTED[spec.name](**common)


# Declared inputs that are objects, and their schema.
_NESTED: dict[str, type[serializers.Serializer]] = {"requester": RequesterInputSerializer}


@functools.cache
def command_input_serializer(command: str) -> type[serializers.Serializer]:
    """The API's request schema of a command, drawn from its declared input (``workflow.RULES``) plus
    ``expected_version``. Shape and documentation only: the endpoint hands the body to the service, whose
    workflow validates it once (``cases.commands``)."""
    rule = workflow.RULES[command]
    fields = {spec.name: _schema_field(spec) for spec in (*rule.inputs, EXPECTED_VERSION)}
    fields["expected_version"].help_text = _("读取时的案件版本；案件已变化则拒绝（409）")
    name = "".join(part.title() for part in command.split("_")) + "Input"
    return type(name, (serializers.Serializer,), {**fields, "__doc__": f"{rule.command.label}（{command}）"})


# --- Extension requests (延期申请) -----------------------------------------------------------------


class ExtensionCaseSerializer(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Case
        fields = ["id", "tracking_number", "title", "status", "status_display"]
        read_only_fields = fields


class ExtensionSerializer(serializers.ModelSerializer):
    """One extension request and, once decided, its decision. A supervisor decides it with
    ``POST /api/v1/cases/{case id}/extension-decide/`` (``extension``: this id)."""

    case = ExtensionCaseSerializer(read_only=True)
    department = DepartmentRefSerializer(read_only=True, allow_null=True)
    requested_by = UserRefSerializer(read_only=True, allow_null=True)
    requested_at = serializers.DateTimeField(source="created_at", read_only=True)
    decided_by = UserRefSerializer(read_only=True, allow_null=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Extension
        fields = [
            "id",
            "case",
            "department",
            "applies_to_case",
            "days",
            "reason",
            "status",
            "status_display",
            "due_before",
            "due_after",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "decision_note",
        ]
        read_only_fields = fields


def nest_errors(errors: dict[str, list[str]]) -> dict:
    """``{"requester.phone": [...]}`` (service errors) → ``{"requester": {"phone": [...]}}`` (serializer shape)."""
    nested: dict = {}
    for key, messages in errors.items():
        head, dot, rest = key.partition(".")
        if dot:
            nested.setdefault(head, {})[rest] = messages
        else:
            nested[key] = messages
    return nested


class CategorySerializer(serializers.ModelSerializer):
    """A matter category (事项类别) for the intake form's search."""

    county = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Category
        fields = ["id", "code", "name", "parent", "county", "is_active"]
        read_only_fields = fields


# --- Refusal reviews (否定答复报告) --------------------------------------------------------------------


class RefusalReviewSerializer(serializers.ModelSerializer):
    """One "no" in the supervisors' review queue and, once decided, its decision. A supervisor decides it
    with ``POST /api/v1/cases/{case id}/review/`` (``decision``: confirm or overturn)."""

    case = ExtensionCaseSerializer(read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    reason = ReasonRefSerializer(read_only=True, allow_null=True)
    department = DepartmentRefSerializer(read_only=True, allow_null=True)
    requested_by = UserRefSerializer(read_only=True, allow_null=True)
    requested_at = serializers.DateTimeField(source="created_at", read_only=True)
    decided_by = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = RefusalReview
        fields = [
            "id",
            "case",
            "kind",
            "kind_display",
            "status",
            "status_display",
            "reason",
            "explanation",
            "basis",
            "department",
            "requested_by",
            "requested_at",
            "from_status",
            "due_at",
            "decided_by",
            "decided_at",
            "instruction",
        ]
        read_only_fields = fields
