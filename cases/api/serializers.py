"""Serializers of the staff cases API: one input serializer per command, one output serializer per shape.

Input serializers check shape only (types, lengths, choices, and the phone / id number / credit code
formats of a requester); the workflow decides everything else — which departments and categories are
valid for the case, whether the state allows the command, whether the user may run it — and answers
with the same field-error shape. Ids of departments, categories, windows and attachments are plain
integers: a village clerk routes to county departments they cannot list, so the workflow, not a
scoped queryset, says which ones are valid.

Output: list rows mask the requester's phone and id numbers (``138****8000``); the detail shows them
whole, and only staff who may see the case ever reach it. The query code (查询码) appears only in the
intake answer and the receipt; the tracking number (受理编号) is the case's public reference and is shown
everywhere.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from routing.models import Department, Region, ServiceWindow
from windowsvc.personal import normalize_credit_code, normalize_id_number, normalize_phone

from ..choices import (
    CaseStatus,
    Channel,
    Complexity,
    HandlingMode,
    Light,
    MatterKind,
    RequesterKind,
    ReviewDecision,
    Satisfaction,
)
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
from ..validators import (
    validate_credit_code,
    validate_id_number,
    validate_phone,
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

    class Meta:
        model = Requester
        fields = ["kind", "name", "contact_name", "phone", "id_number", "credit_code", "address"]
        read_only_fields = fields


class RequesterInputSerializer(serializers.Serializer):
    """Who brought the matter; a person gives an id number (optional), an enterprise its credit code."""

    kind = serializers.ChoiceField(choices=RequesterKind.choices)
    name = serializers.CharField(max_length=100)
    contact_name = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=24, validators=[validate_phone])
    id_number = serializers.CharField(
        max_length=18, required=False, allow_blank=True, default="", validators=[validate_id_number]
    )
    credit_code = serializers.CharField(
        max_length=18, required=False, allow_blank=True, default="", validators=[validate_credit_code]
    )
    address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    # Stored forms (no spaces, no +86, upper case): the same person typed twice is the same input.
    def validate_phone(self, value: str) -> str:
        return normalize_phone(value)

    def validate_id_number(self, value: str) -> str:
        return normalize_id_number(value)

    def validate_credit_code(self, value: str) -> str:
        return normalize_credit_code(value)

    def validate(self, attrs):
        errors: dict[str, list[str]] = {}
        if attrs["kind"] == RequesterKind.ENTERPRISE:
            if not attrs.get("credit_code"):
                errors["credit_code"] = [_("企业须填写统一社会信用代码。")]
            if attrs.get("id_number"):
                errors["id_number"] = [_("企业请填写统一社会信用代码，无需身份证号码。")]
        elif attrs.get("credit_code"):
            errors["credit_code"] = [_("个人无需填写统一社会信用代码。")]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


# --- Cases ------------------------------------------------------------------------------------------


class CaseListSerializer(serializers.ModelSerializer):
    """A row of the case list: what a queue shows, personal data masked; no query code."""

    status_display = serializers.CharField(source="get_status_display", read_only=True)
    category = CategoryRefSerializer(read_only=True)
    region = RegionRefSerializer(read_only=True)
    window = WindowRefSerializer(read_only=True)
    lead_department = DepartmentRefSerializer(read_only=True)
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
    accepted_by = UserRefSerializer(read_only=True)
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
    clerk = UserRefSerializer(read_only=True)
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
    actor = UserRefSerializer(read_only=True)
    department = DepartmentRefSerializer(read_only=True)
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
    uploaded_by = UserRefSerializer(read_only=True)

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


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class TransitionErrorSerializer(serializers.Serializer):
    """409: the command is not allowed in the case's current state (or was overtaken by another)."""

    detail = serializers.CharField()
    current_status = serializers.ChoiceField(choices=CaseStatus.choices)
    allowed_commands = serializers.ListField(child=serializers.CharField())


# --- Intake -----------------------------------------------------------------------------------------


class CaseIntakeInputSerializer(serializers.Serializer):
    """受理登记. Classification is optional: all four fields → the case waits for routing, else for
    classification; an immediate (即办) case with ``resolution_summary`` is resolved at the window."""

    window = serializers.IntegerField(min_value=1, help_text=_("受理窗口 id（须为本人所在窗口）"))
    channel = serializers.ChoiceField(choices=Channel.choices)
    requester = RequesterInputSerializer()
    title = serializers.CharField(max_length=200)
    description = serializers.CharField()
    expectation = serializers.CharField(required=False, allow_blank=True, default="")
    category = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)
    matter_kind = serializers.ChoiceField(
        choices=MatterKind.choices, required=False, allow_blank=True, default=""
    )
    complexity = serializers.ChoiceField(
        choices=Complexity.choices, required=False, allow_blank=True, default=""
    )
    handling_mode = serializers.ChoiceField(
        choices=HandlingMode.choices, required=False, allow_blank=True, default=""
    )
    green_channel = serializers.BooleanField(required=False, default=False)
    resolution_summary = serializers.CharField(required=False, allow_blank=True, default="")


# --- Commands ---------------------------------------------------------------------------------------


class CommandInputSerializer(serializers.Serializer):
    """Base of every command's input: ``expected_version`` refuses the command (409) when the case changed
    since the client read it (optional)."""

    expected_version = serializers.IntegerField(min_value=0, required=False)


def _ids(**kwargs):
    return serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list, **kwargs
    )


class NotAcceptInputSerializer(CommandInputSerializer):
    reason = serializers.CharField(help_text=_("不予受理的理由"))
    guidance = serializers.CharField(help_text=_("一次性告知的救济途径"))
    reason_code = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=_("理由选项代码（/api/v1/reasons/），默认“其他”"),
    )


class WithdrawInputSerializer(CommandInputSerializer):
    reason = serializers.CharField()
    requester_confirmed = serializers.BooleanField(
        required=False, default=False, help_text=_("超过办理时限后撤回：反映人已确认")
    )


class SuspendInputSerializer(CommandInputSerializer):
    """挂起: a reason from the suspension list and, optionally, how many working days."""

    reason = serializers.CharField()
    reason_code = serializers.CharField(help_text=_("挂起理由代码（/api/v1/reasons/?purpose=suspension）"))
    days = serializers.IntegerField(min_value=1, max_value=60, required=False, allow_null=True, default=None)


class ReviewInputSerializer(CommandInputSerializer):
    """否定答复审核 by a supervisor."""

    decision = serializers.ChoiceField(choices=ReviewDecision.choices)
    instruction = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=_("督办意见（纠正时必填）")
    )
    follow_up_due_at = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=_("纠正不能办理时的预计办结日期")
    )


class ClassifyInputSerializer(CommandInputSerializer):
    category = serializers.IntegerField(min_value=1)
    matter_kind = serializers.ChoiceField(choices=MatterKind.choices)
    complexity = serializers.ChoiceField(choices=Complexity.choices)
    handling_mode = serializers.ChoiceField(choices=HandlingMode.choices)
    green_channel = serializers.BooleanField(required=False, default=False)


class ReclassifyInputSerializer(CommandInputSerializer):
    reason = serializers.CharField()
    category = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)
    matter_kind = serializers.ChoiceField(
        choices=MatterKind.choices, required=False, allow_blank=True, default=""
    )
    complexity = serializers.ChoiceField(
        choices=Complexity.choices, required=False, allow_blank=True, default=""
    )
    handling_mode = serializers.ChoiceField(
        choices=HandlingMode.choices, required=False, allow_blank=True, default=""
    )
    green_channel = serializers.BooleanField(required=False, allow_null=True, default=None)


class AssignInputSerializer(CommandInputSerializer):
    lead_department = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        default=None,
        help_text=_("主办部门；不填则用事项类别的默认主办部门"),
    )
    assisting_departments = _ids(help_text=_("协办部门"))
    note = serializers.CharField(required=False, allow_blank=True, default="")


class AcceptInputSerializer(CommandInputSerializer):
    assignment = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        default=None,
        help_text=_("承办单；本部门只有一张待签收时可不填"),
    )


class ReturnInputSerializer(CommandInputSerializer):
    reason = serializers.CharField()
    assignment = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)


class MoveInputSerializer(CommandInputSerializer):
    """转办 / 上报 / 下派: the department that takes the case over."""

    department = serializers.IntegerField(min_value=1)
    reason = serializers.CharField()


class CoordinateInputSerializer(CommandInputSerializer):
    lead_department = serializers.IntegerField(min_value=1)
    decisions = serializers.CharField(help_text=_("协调会决定"))
    assisting_departments = _ids()
    participants = _ids(help_text=_("其他参会部门"))
    held_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    # Only 协调办 / 特事特办 are accepted (the workflow answers a field error for the others).
    handling_mode = serializers.ChoiceField(
        choices=HandlingMode.choices, required=False, allow_blank=True, default=""
    )


class ReassignInputSerializer(CommandInputSerializer):
    lead_department = serializers.IntegerField(min_value=1)
    reason = serializers.CharField()


class NoteInputSerializer(CommandInputSerializer):
    text = serializers.CharField()
    contacted_requester = serializers.BooleanField(required=False, default=False)


class ReasonInputSerializer(CommandInputSerializer):
    """挂起 / 恢复: the reason."""

    reason = serializers.CharField()


class SuperviseInputSerializer(CommandInputSerializer):
    """督办: the reason and, optionally, the order's own limit in working days (default: the setting)."""

    reason = serializers.CharField()
    days = serializers.IntegerField(min_value=1, max_value=30, required=False)


class ReplyInputSerializer(CommandInputSerializer):
    answer = serializers.CharField()
    can_be_done = serializers.BooleanField(
        required=False, default=True, help_text=_("否：暂不能办理的答复（须说明理由）")
    )
    follow_up_due_at = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=_("暂不能办结时的预计办结日期（YYYY-MM-DD）")
    )
    cannot_be_done = serializers.BooleanField(
        required=False, default=False, help_text=_("是：不能办理（须选择理由并写明依据，报督办审核）")
    )
    reason_code = serializers.CharField(required=False, allow_blank=True, default="")
    basis = serializers.CharField(required=False, allow_blank=True, default="", help_text=_("法律或政策依据"))


class ResolveInputSerializer(CommandInputSerializer):
    summary = serializers.CharField()
    evidence = _ids(help_text=_("证明材料（本案附件 id）"))


class CallbackInputSerializer(CommandInputSerializer):
    satisfaction = serializers.ChoiceField(choices=Satisfaction.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="", help_text=_("不满意时必填"))


class ReopenInputSerializer(CommandInputSerializer):
    reason = serializers.CharField()
    lead_department = serializers.IntegerField(
        min_value=1, required=False, allow_null=True, default=None, help_text=_("仅督办人员可改派")
    )


class CloseInputSerializer(CommandInputSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    override = serializers.BooleanField(required=False, default=False, help_text=_("督办销号（须写明理由）"))


class ExtensionRequestInputSerializer(CommandInputSerializer):
    """延期申请 (before the deadline): more working days with a reason."""

    days = serializers.IntegerField(min_value=1, help_text=_("申请延长的工作日数"))
    reason = serializers.CharField()
    assignment = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        default=None,
        help_text=_("申请部门的承办单；本部门只有一张时可不填"),
    )


class ExtensionDecideInputSerializer(CommandInputSerializer):
    """延期审批 by a supervisor."""

    approve = serializers.BooleanField(help_text=_("是：批准；否：不批准（须写明理由）"))
    note = serializers.CharField(required=False, allow_blank=True, default="", help_text=_("审批意见"))
    extension = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        default=None,
        help_text=_("延期申请；只有一件待审批时可不填"),
    )


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
    department = DepartmentRefSerializer(read_only=True)
    requested_by = UserRefSerializer(read_only=True)
    requested_at = serializers.DateTimeField(source="created_at", read_only=True)
    decided_by = UserRefSerializer(read_only=True)
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
