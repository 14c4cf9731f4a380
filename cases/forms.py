"""Forms of the staff pages: intake, the case list filters, and one small form per workflow command.

Forms shape and check input; they never decide. Which commands a user may run, which fields a command
requires and every rule about states, roles and departments live in ``cases.workflow``: command forms take
their required fields from ``workflow.RULES`` and hand everything to the service, whose field errors
(``ValidationFailed``) are put back on the form.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from routing.choices import DepartmentRole, StaffRole
from routing.models import Department, Membership, ServiceWindow
from windowsvc.errors import ValidationFailed

from . import selectors, services, workflow
from .choices import (
    COORDINATION_MODES,
    Channel,
    Complexity,
    EventKind,
    HandlingMode,
    MatterKind,
    ReasonPurpose,
    RequesterKind,
    ReviewDecision,
    Satisfaction,
    SweepEventKind,
)
from .commands import Kind
from .models import Case, CaseAttachment, Category, Reason

E = EventKind
BLANK = [("", "---------")]


def new_idempotency_key() -> str:
    """A fresh token per rendered intake form: a double-clicked submit sends it twice, one case is made."""
    return uuid.uuid4().hex


def intake_windows(user):
    """The active windows where ``user`` may take cases in (a clerk's own window, or every window of the
    region of a clerk membership without one); superusers may use any active window."""
    windows = ServiceWindow.objects.visible_to(user).active().select_related("region")
    if user.is_superuser:
        return windows.order_by("region__path", "code")
    clerk = Membership.objects.filter(user_id=user.pk, role=StaffRole.CLERK)
    window_ids = clerk.exclude(window__isnull=True).values("window_id")
    region_ids = clerk.filter(window__isnull=True).values("region_id")
    return windows.filter(Q(pk__in=window_ids) | Q(region_id__in=region_ids)).order_by("region__path", "code")


def apply_service_errors(
    form: forms.Form, exc: ValidationFailed, *, aliases: dict[str, str] | None = None
) -> None:
    """Put a service's field errors on the form (``requester.phone`` → ``phone``), others on top."""
    aliases = aliases or {}
    for key, messages in exc.errors.items():
        name = aliases.get(key, key.removeprefix("requester."))
        target = name if name in form.fields else None
        for message in messages if isinstance(messages, list | tuple) else [messages]:
            form.add_error(target, str(message))


# --- Intake -----------------------------------------------------------------------------------------


class IntakeForm(forms.Form):
    """受理登记. The DOM order of the fields is the tab order: requester, matter, classification, window.

    Classification is optional at intake (complete → the case waits for routing, else for classification);
    the category is typed as its code with a datalist of the window's county categories. The requester's
    phone and numbers are validated once, by the intake service; its errors land on these fields.
    """

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    kind = forms.ChoiceField(
        label=_("反映人类型"),
        choices=RequesterKind.choices,
        initial=RequesterKind.PERSON,
        widget=forms.RadioSelect,
    )
    name = forms.CharField(
        label=_("姓名/名称"),
        max_length=100,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}),
    )
    phone = forms.CharField(
        label=_("联系电话"),
        max_length=24,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    id_number = forms.CharField(
        label=_("居民身份证号码"),
        max_length=18,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "data-kind": RequesterKind.PERSON}),
    )
    credit_code = forms.CharField(
        label=_("统一社会信用代码"),
        max_length=18,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "data-kind": RequesterKind.ENTERPRISE}),
    )
    contact_name = forms.CharField(
        label=_("联系人"),
        max_length=50,
        required=False,
        widget=forms.TextInput(attrs={"data-kind": RequesterKind.ENTERPRISE}),
    )
    address = forms.CharField(label=_("地址"), max_length=200, required=False)

    title = forms.CharField(label=_("事项标题"), max_length=200)
    description = forms.CharField(label=_("反映内容"), widget=forms.Textarea(attrs={"rows": 4}))
    expectation = forms.CharField(label=_("诉求"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    category = forms.CharField(
        label=_("事项类别"),
        required=False,
        max_length=140,
        help_text=_("输入类别代码或名称搜索"),
        widget=forms.TextInput(attrs={"list": "category-options", "autocomplete": "off"}),
    )
    matter_kind = forms.ChoiceField(label=_("事项性质"), choices=BLANK + MatterKind.choices, required=False)
    complexity = forms.ChoiceField(label=_("复杂程度"), choices=BLANK + Complexity.choices, required=False)
    handling_mode = forms.ChoiceField(
        label=_("办理方式"), choices=BLANK + HandlingMode.choices, required=False
    )
    green_channel = forms.BooleanField(label=_("绿色通道"), required=False)
    resolution_summary = forms.CharField(
        label=_("现场办结情况（即办）"),
        required=False,
        help_text=_("即办事项在窗口当场办结时填写"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    window = forms.ModelChoiceField(
        label=_("受理窗口"), queryset=ServiceWindow.objects.none(), empty_label=None
    )
    channel = forms.ChoiceField(label=_("来源渠道"), choices=Channel.choices, initial=Channel.WALK_IN)

    REQUESTER_FIELDS = ("kind", "name", "contact_name", "phone", "id_number", "credit_code", "address")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["window"].queryset = intake_windows(user)
        # The intake service validates (required fields included); the form marks what it will require.
        for name, field in self.fields.items():
            if name != "idempotency_key":
                field.marked_required = field.required
                field.required = False
                if field.marked_required:
                    field.widget.attrs["required"] = True
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", new_idempotency_key())

    def selected_window(self) -> ServiceWindow | None:
        """The chosen window (bound form) or the first usable one: the category search's county."""
        if self.is_bound and "window" in getattr(self, "cleaned_data", {}):
            return self.cleaned_data["window"]
        queryset = self.fields["window"].queryset
        raw = self.data.get(self.add_prefix("window")) if self.is_bound else self.initial.get("window")
        if raw:
            try:
                found = queryset.filter(pk=int(getattr(raw, "pk", raw))).first()
            except (TypeError, ValueError):
                found = None
            if found is not None:
                return found
        return queryset.first()

    def clean_category(self) -> Category | None:
        text = (self.cleaned_data.get("category") or "").strip()
        if not text:
            return None
        code = text.split()[0]
        window = self.selected_window()
        if window is None:
            return None
        matches = selectors.category_search(user=self.user, county_path=window.region.path, text=code)
        category = next((c for c in matches if c.code.upper() == code.upper()), None)
        if category is None:
            raise forms.ValidationError(_("请从列表中选择本县(市、区)的事项类别。"))
        return category

    def requester_data(self) -> dict[str, str]:
        data = {name: self.cleaned_data.get(name) or "" for name in self.REQUESTER_FIELDS}
        # Hidden fields of the other kind may still carry what was typed before the kind was switched.
        if data["kind"] == RequesterKind.ENTERPRISE:
            data["id_number"] = ""
        else:
            data["credit_code"] = ""
            data["contact_name"] = ""
        return data

    def intake_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "window": data.get("window"),
            "channel": data.get("channel") or "",
            "requester": self.requester_data(),
            "title": data.get("title") or "",
            "description": data.get("description") or "",
            "expectation": data.get("expectation") or "",
            "category": data.get("category"),
            "matter_kind": data.get("matter_kind") or "",
            "complexity": data.get("complexity") or "",
            "handling_mode": data.get("handling_mode") or "",
            "green_channel": bool(data.get("green_channel")),
            "resolution_summary": data.get("resolution_summary") or "",
            "idempotency_key": data["idempotency_key"],
        }

    def similar_cases(self, limit: int = 5) -> list[Case]:
        """Open cases of the same requester (same category when one is given): the not-blocking warning."""
        data = getattr(self, "cleaned_data", {})
        requester = self.requester_data() if "kind" in data else {}
        if not any(requester.get(k) for k in ("phone", "id_number", "credit_code")):
            return []
        category = data.get("category")
        return list(
            selectors.requester_open_cases(
                user=self.user,
                phone=requester.get("phone", ""),
                id_number=requester.get("id_number", ""),
                credit_code=requester.get("credit_code", ""),
                category_id=category.pk if category else None,
            )[:limit]
        )


# --- Case list --------------------------------------------------------------------------------------


class RequesterSearchForm(forms.Form):
    """按反映人查找 on the case list: posted, kept in the session, never in a URL (phones and id numbers
    would stay in access logs and browser history). At least one term; each is matched exactly."""

    requester_name = forms.CharField(label=_("反映人姓名/名称"), required=False, max_length=100)
    phone = forms.CharField(label=_("联系电话"), required=False, max_length=24)
    id_number = forms.CharField(label=_("居民身份证号码"), required=False, max_length=32)
    credit_code = forms.CharField(label=_("统一社会信用代码"), required=False, max_length=32)

    SESSION_KEY = "cases.requester_search"

    def clean(self):
        data = super().clean()
        if not any((data.get(k) or "").strip() for k in self.fields):
            raise forms.ValidationError(_("请至少填写一项反映人信息。"))
        return data

    def terms(self) -> dict:
        """The search as the session keeps it: normalised, numbers as blind-index digests and masks only."""
        data = self.cleaned_data
        return selectors.requester_search_terms(
            name=data.get("requester_name") or "",
            phone=data.get("phone") or "",
            id_number=data.get("id_number") or "",
            credit_code=data.get("credit_code") or "",
        )


REQUESTER_TERM_LABELS = {
    "name": _("姓名/名称"),
    "phone": _("电话"),
    "id_number": _("身份证号"),
    "credit_code": _("信用代码"),
}


def requester_terms_masked(terms: dict) -> list[tuple[str, str]]:
    """What the list shows of a stored requester search: each term's label and its mask."""
    return [(str(REQUESTER_TERM_LABELS.get(key, key)), masked) for key, masked in terms.get("shown", [])]


# --- Command forms ----------------------------------------------------------------------------------


class DepartmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Department) -> str:
        return f"{obj.region.name} · {obj.name}"


class DepartmentMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Department) -> str:
        return f"{obj.region.name} · {obj.name}"


def routing_departments(case: Case):
    """Departments a case can be routed to: the active handling departments of its county.

    They are routing targets (reference data), not objects the user reads, so this is not limited to the
    user's own subtree: a village clerk routes to county bureaus. The workflow validates the choice again.
    """
    return (
        Department.objects.active()
        .filter(role=DepartmentRole.HANDLING, region__path__startswith=case.county_path)
        .select_related("region")
        .order_by("region__path", "code")
    )


def _text_field(label, *, rows: int = 3) -> forms.CharField:
    return forms.CharField(label=label, required=False, widget=forms.Textarea(attrs={"rows": rows}))


# Commands that cannot be taken back by the one who sends them: the page asks first.
CONFIRMATIONS = {
    E.RETURN: _("确定退回该案件？退回后由窗口（或协调中心）重新派单。"),
    E.RESOLVE: _("确定办结该案件？办结后将回访反映人。"),
    E.CLOSE: _("确定销号？销号后案件结束，不能再办理。"),
    E.WITHDRAW: _("确定撤回该案件？撤回后案件结束。"),
}


class CommandForm(forms.Form):
    """One workflow command's page input. Subclasses declare fields named like the command's declared
    inputs (``workflow.RULES``) and choose how they are shown (lists scoped to the case, text areas).

    The form shapes and displays; it does not decide: the command's service validates (required fields
    included) and its field errors are put back on the form's fields (``apply_service_errors``). Fields
    the command requires are marked so (and the browser is asked to insist); ``expected_version`` refuses
    the command when the case changed since the page was rendered (409, shown as a message).
    """

    command: str = ""
    # The label of the submit button (defaults to the command's name).
    submit_label: str = ""

    @property
    def confirm_text(self) -> str:
        """The question asked before an irreversible command is sent (static/js/site.js, ``data-confirm``)."""
        return str(CONFIRMATIONS.get(self.command, ""))

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, case: Case, user, **kwargs):
        kwargs.setdefault("prefix", self.command)
        super().__init__(*args, **kwargs)
        self.case = case
        self.user = user
        self.fields["expected_version"].initial = case.version
        inputs = {spec.name: spec for spec in workflow.RULES[self.command].inputs}
        for name, field in self.fields.items():
            spec = inputs.get(name)
            field.required = False
            field.marked_required = spec is not None and spec.required
            if field.marked_required:
                field.widget.attrs["required"] = True
            if spec is not None and spec.kind is Kind.INT:
                bounds = {"min": spec.min_value, "max": spec.max_value}
                field.widget.attrs.update({k: v for k, v in bounds.items() if v is not None})
        self.setup()

    def setup(self) -> None:
        """Fill case-dependent choices and initial values."""

    @property
    def label(self) -> str:
        return workflow.RULES[self.command].command.label

    @property
    def has_visible_fields(self) -> bool:
        return any(not field.is_hidden for field in self)

    def service_kwargs(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "expected_version"}

    def run(self):
        """Call the command's service; raises the service's errors (the view turns them into messages)."""
        version = self.cleaned_data.get("expected_version")
        return services.SERVICES[self.command](
            actor=self.user, case_id=self.case.pk, expected_version=version, **self.service_kwargs()
        )


class ReasonForm(CommandForm):
    reason = _text_field(_("理由"))


class ReasonChoiceField(forms.ModelChoiceField):
    """A reason of a configurable list (``cases.models.Reason``), submitted by its code."""

    def __init__(self, purpose: str, **kwargs):
        kwargs.setdefault("to_field_name", "code")
        super().__init__(queryset=Reason.objects.filter(purpose=purpose, is_active=True), **kwargs)

    def clean(self, value):
        reason = super().clean(value)
        return reason.code if reason is not None else ""


class NotAcceptForm(CommandForm):
    command = E.NOT_ACCEPT
    reason_code = ReasonChoiceField(ReasonPurpose.REFUSAL, label=_("理由类别"), required=False)
    reason = _text_field(_("不予受理理由"))
    guidance = _text_field(_("告知途径（一次性告知）"))


class WithdrawForm(ReasonForm):
    command = E.WITHDRAW
    requester_confirmed = forms.BooleanField(
        label=_("反映人已确认撤回（超过办理时限后须确认）"), required=False
    )


class ClassificationFields(CommandForm):
    category = forms.ModelChoiceField(label=_("事项类别"), queryset=Category.objects.none(), required=False)
    matter_kind = forms.ChoiceField(label=_("事项性质"), choices=BLANK + MatterKind.choices, required=False)
    complexity = forms.ChoiceField(label=_("复杂程度"), choices=BLANK + Complexity.choices, required=False)
    handling_mode = forms.ChoiceField(
        label=_("办理方式"), choices=BLANK + HandlingMode.choices, required=False
    )
    green_channel = forms.BooleanField(label=_("绿色通道"), required=False)

    def setup(self) -> None:
        self.fields["category"].queryset = (
            Category.objects.visible_to(self.user)
            .active()
            .for_region_path(self.case.region_path)
            .order_by("code")
        )
        for name in ("category", "matter_kind", "complexity", "handling_mode", "green_channel"):
            value = getattr(self.case, f"{name}_id" if name == "category" else name)
            if value not in (None, ""):
                self.fields[name].initial = value


class ClassifyForm(ClassificationFields):
    command = E.CLASSIFY


class ReclassifyForm(ClassificationFields):
    command = E.RECLASSIFY
    reason = _text_field(_("调整理由"), rows=2)


class AssignForm(CommandForm):
    command = E.ASSIGN
    lead_department = DepartmentChoiceField(
        label=_("主办部门"),
        queryset=Department.objects.none(),
        required=False,
        help_text=_("留空则派给该类别的默认主办部门"),
    )
    assisting_departments = DepartmentMultipleChoiceField(
        label=_("协办部门"), queryset=Department.objects.none(), required=False
    )
    note = _text_field(_("派单说明"), rows=2)

    def setup(self) -> None:
        departments = routing_departments(self.case)
        self.fields["lead_department"].queryset = departments
        self.fields["assisting_departments"].queryset = departments
        default = selectors.category_default_department(
            category=self.case.category, region_path=self.case.region_path
        )
        if default is not None:
            self.fields["lead_department"].initial = default.pk

    def service_kwargs(self) -> dict[str, Any]:
        kwargs = super().service_kwargs()
        kwargs["assisting_departments"] = list(kwargs.get("assisting_departments") or [])
        return kwargs


class AcceptForm(CommandForm):
    command = E.ACCEPT


class ReturnForm(ReasonForm):
    command = E.RETURN


class MoveForm(CommandForm):
    """转办 / 上报 / 下派: which departments qualify is the workflow's rule; it answers with a field error."""

    department = DepartmentChoiceField(
        label=_("接收部门"), queryset=Department.objects.none(), required=False
    )
    reason = _text_field(_("理由"))

    def setup(self) -> None:
        self.fields["department"].queryset = routing_departments(self.case).exclude(
            pk=self.case.lead_department_id
        )


class TransferForm(MoveForm):
    command = E.TRANSFER


class EscalateForm(MoveForm):
    command = E.ESCALATE


class DelegateForm(MoveForm):
    command = E.DELEGATE


class CoordinateForm(CommandForm):
    command = E.COORDINATE
    lead_department = DepartmentChoiceField(
        label=_("确定的主办部门"), queryset=Department.objects.none(), required=False
    )
    assisting_departments = DepartmentMultipleChoiceField(
        label=_("协办部门"), queryset=Department.objects.none(), required=False
    )
    participants = DepartmentMultipleChoiceField(
        label=_("参会部门"), queryset=Department.objects.none(), required=False
    )
    decisions = _text_field(_("会议决定"))
    handling_mode = forms.ChoiceField(
        label=_("办理方式"),
        choices=BLANK + [(m.value, m.label) for m in COORDINATION_MODES],
        required=False,
    )

    def setup(self) -> None:
        departments = routing_departments(self.case)
        for name in ("lead_department", "assisting_departments", "participants"):
            self.fields[name].queryset = departments

    def service_kwargs(self) -> dict[str, Any]:
        kwargs = super().service_kwargs()
        for name in ("assisting_departments", "participants"):
            kwargs[name] = list(kwargs.get(name) or [])
        return kwargs


class ReassignForm(CommandForm):
    command = E.REASSIGN
    lead_department = DepartmentChoiceField(
        label=_("新的主办部门"), queryset=Department.objects.none(), required=False
    )
    reason = _text_field(_("改派理由"))

    def setup(self) -> None:
        self.fields["lead_department"].queryset = routing_departments(self.case).exclude(
            pk=self.case.lead_department_id
        )


class NoteForm(CommandForm):
    command = E.NOTE
    text = _text_field(_("办理进展"))
    contacted_requester = forms.BooleanField(label=_("已联系反映人"), required=False)


class SuspendForm(CommandForm):
    command = E.SUSPEND
    reason_code = ReasonChoiceField(ReasonPurpose.SUSPENSION, label=_("挂起理由"))
    reason = _text_field(_("说明"))
    days = forms.IntegerField(
        label=_("挂起期限（工作日）"),
        required=False,
        help_text=_("留空按默认期限；超过上限须督办审核"),
    )


class ResumeForm(ReasonForm):
    command = E.RESUME


class ReplyForm(CommandForm):
    """答复. “暂不能办结” needs the new expected date; “不能办理” a reason and its basis (reviewed)."""

    command = E.REPLY
    answer = _text_field(_("答复内容"), rows=4)
    outcome = forms.ChoiceField(
        label=_("能否办理"),
        choices=[
            ("yes", _("可以办理")),
            ("later", _("暂不能办结（告知预计办结日期）")),
            ("no", _("不能办理（说明理由和依据，报督办审核）")),
        ],
        required=False,
        initial="yes",
        widget=forms.RadioSelect,
    )
    follow_up_due_at = forms.DateField(
        label=_("预计办结日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    reason_code = ReasonChoiceField(ReasonPurpose.REFUSAL, label=_("不能办理的理由"), required=False)
    basis = _text_field(_("法律或政策依据"), rows=2)

    def service_kwargs(self) -> dict[str, Any]:
        data = super().service_kwargs()
        outcome = data.pop("outcome") or "yes"
        data["can_be_done"] = outcome == "yes"
        data["cannot_be_done"] = outcome == "no"
        return data


class EvidenceMixin:
    """An ``evidence`` field offering the case's attachments (none: no field)."""

    def setup(self) -> None:
        attachments = self.case.attachments.order_by("id")
        self.fields["evidence"].queryset = attachments
        if not attachments.exists():
            del self.fields["evidence"]

    def service_kwargs(self) -> dict[str, Any]:
        kwargs = super().service_kwargs()
        kwargs["evidence"] = list(kwargs.get("evidence") or [])
        return kwargs


def _evidence_field() -> forms.ModelMultipleChoiceField:
    return forms.ModelMultipleChoiceField(
        label=_("证明材料"),
        queryset=CaseAttachment.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class ResolveForm(EvidenceMixin, CommandForm):
    command = E.RESOLVE
    summary = _text_field(_("办结情况"), rows=4)
    evidence = _evidence_field()


class CallbackForm(CommandForm):
    command = E.CALLBACK
    satisfaction = forms.ChoiceField(
        label=_("满意度"), choices=Satisfaction.choices, widget=forms.RadioSelect, required=False
    )
    comment = _text_field(_("回访意见"), rows=2)


class ReopenForm(CommandForm):
    command = E.REOPEN
    reason = _text_field(_("重办理由"))
    lead_department = DepartmentChoiceField(
        label=_("改派主办部门"),
        queryset=Department.objects.none(),
        required=False,
        help_text=_("仅督办人员可改派；留空则由原主办部门重办"),
    )

    def setup(self) -> None:
        self.fields["lead_department"].queryset = routing_departments(self.case)


class CloseForm(EvidenceMixin, CommandForm):
    command = E.CLOSE
    reason = _text_field(_("销号说明"), rows=2)
    override = forms.BooleanField(label=_("督办销号（未经满意回访）"), required=False)
    evidence = _evidence_field()


class ExtensionRequestForm(CommandForm):
    command = E.EXTENSION_REQUEST
    days = forms.IntegerField(label=_("延长工作日"))
    reason = _text_field(_("申请理由"))


class ExtensionDecideForm(CommandForm):
    command = E.EXTENSION_DECIDE
    approve = forms.TypedChoiceField(
        label=_("审批意见"),
        choices=[("yes", _("批准")), ("no", _("不批准"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    note = _text_field(_("说明"), rows=2)


class UrgeForm(CommandForm):
    """催办 (supervisors): a reminder to the department holding the case."""

    command = SweepEventKind.URGE
    reason = _text_field(_("催办事由"))


class SuperviseForm(CommandForm):
    """督办 (supervisors): a formal order with its own deadline in working days."""

    command = SweepEventKind.SUPERVISE
    reason = _text_field(_("督办事由"))
    days = forms.IntegerField(
        label=_("督办时限（工作日）"),
        required=False,
        help_text=_("留空按默认时限"),
    )


class ReviewForm(CommandForm):
    """否定答复审核 (supervisors): confirm or overturn the pending "no"."""

    command = E.REVIEW
    decision = forms.ChoiceField(
        label=_("审核意见"), choices=ReviewDecision.choices, widget=forms.RadioSelect
    )
    instruction = _text_field(_("督办意见（纠正时必填）"), rows=2)
    follow_up_due_at = forms.DateField(
        label=_("纠正不能办理时的办结日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("留空按办结时限"),
    )


COMMAND_FORMS: dict[str, type[CommandForm]] = {
    form.command: form
    for form in (
        NotAcceptForm,
        WithdrawForm,
        ClassifyForm,
        ReclassifyForm,
        AssignForm,
        AcceptForm,
        ReturnForm,
        TransferForm,
        EscalateForm,
        DelegateForm,
        CoordinateForm,
        ReassignForm,
        NoteForm,
        SuspendForm,
        ResumeForm,
        ReplyForm,
        ResolveForm,
        CallbackForm,
        ReopenForm,
        CloseForm,
        ExtensionRequestForm,
        ExtensionDecideForm,
        ReviewForm,
        UrgeForm,
        SuperviseForm,
    )
}


def command_form(command: str, *, case: Case, user, data=None) -> CommandForm:
    return COMMAND_FORMS[command](data, case=case, user=user)
