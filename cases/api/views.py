"""Staff API of the closed loop: ``/api/v1/cases/``, ``/api/v1/assignments/``, ``/api/v1/extensions/``,
``/api/v1/reviews/``, ``/api/v1/reasons/`` and ``/api/v1/categories/``.

Views are thin: reads go through ``cases.selectors`` (built on ``Case.objects.visible_to``), writes through
``cases.services`` (which run ``cases.workflow``), and ``windowsvc/api/exceptions.py`` turns the service
errors into HTTP answers:

- 400 field errors (``{"field": ["…"]}``, requester fields nested under ``requester``), from the input
  serializer or from the workflow's own checks (unknown department, wrong county …) in the same shape;
- 404 ``{"detail": …}`` for a case that does not exist or that the user may not see: one identical body;
- 409 ``{"detail", "current_status", "allowed_commands"}`` for a command the case's current state does not
  allow, or that a guard refuses (nothing left to sign for, a case the coordination centre assigned cannot
  be returned, a stale ``expected_version``, a concurrent command that got there first);
- 403 ``{"detail"}`` when the user sees the case and its state allows the command, but their relation to the
  case does not (a clerk signing for a department, an administrator replying). The workflow checks the
  state before the role, so a command in the wrong state answers 409 to anyone who sees the case;
- 422 ``{"detail"}`` for an ``Idempotency-Key`` reused with a different intake.

A command checks, in this order: the case is visible (404), its state allows the command (409), the input
has the right shape (400); then the workflow, under the row lock, re-checks the state and checks the
user's relation (403), the guards (409) and the input's meaning (400).
"""

from __future__ import annotations

import keyword

from django.conf import settings
from django.db.models import Prefetch, prefetch_related_objects
from django.http import FileResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from windowsvc.api.schema import ErrorSerializer
from windowsvc.api.viewsets import ScopedReadOnlyViewSet
from windowsvc.errors import NotFound, TransitionNotAllowed, ValidationFailed
from windowsvc.paging import CappedPagination

from .. import selectors, services, workflow
from ..choices import AssignmentStatus, EventKind, SweepEventKind
from ..filtersets import (
    CaseFilterSet,
    CategoryFilterSet,
    ExtensionFilterSet,
    ReasonFilterSet,
    RefusalReviewFilterSet,
)
from ..models import Assignment, Category
from . import serializers as s

E = EventKind

# --- Schema pieces ----------------------------------------------------------------------------------

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        "Retry-safe intake. The same key (per user) with the same body returns the first case and the "
        "same answer (201, header `Idempotent-Replayed: true`); with a different body: 422. Concurrent "
        "requests with one key create one case."
    ),
)

FIELD_ERRORS = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="Field errors: `{field: [message]}`; requester fields nested under `requester`.",
    examples=[
        OpenApiExample(
            "field-errors",
            value={
                "requester": {"id_number": ["居民身份证号码校验位不正确。"]},
                "title": ["该字段是必填项。"],
            },
        )
    ],
)
NOT_FOUND = OpenApiResponse(
    ErrorSerializer, description="The case does not exist or is outside the user's scope (same body)."
)
FORBIDDEN = OpenApiResponse(
    ErrorSerializer,
    description="The user sees the case, but their role for this case may not run the command.",
)
CONFLICT = OpenApiResponse(
    s.TransitionErrorSerializer,
    description="Not allowed in the current state (or refused by a guard, or overtaken by a concurrent command).",
    examples=[
        OpenApiExample(
            "wrong-state",
            value={
                "detail": "案件当前状态为“已销号”，不能执行“签收”。",
                "current_status": "closed",
                "allowed_commands": [],
            },
        )
    ],
)
COMMAND_ERRORS = {400: FIELD_ERRORS, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT}

INTAKE_EXAMPLE = OpenApiExample(
    "intake",
    request_only=True,
    value={
        "window": 12,
        "channel": "walk_in",
        "requester": {
            "kind": "person",
            "name": "张三丰",
            "phone": "13800138000",
            "id_number": "33068119900307123X",
            "address": "诸暨市暨阳街道某路1号",
        },
        "title": "营业执照变更多次未办成",
        "description": "申请变更经营范围三次被退回，原因说法不一。",
        "expectation": "一次办好",
        "category": 3,
        "matter_kind": "difficult",
        "complexity": "general",
        "handling_mode": "standard",
    },
)
RECEIPT_EXAMPLE = OpenApiExample(
    "receipt",
    response_only=True,
    status_codes=["201"],
    value={
        "id": 981,
        "tracking_number": "330681001001202603050007",
        "query_code": "K7MQ3XTP",
        "status": "routing",
        "status_display": "待派单",
        "channel": "walk_in",
        "title": "营业执照变更多次未办成",
        "taken_in_at": "2026-03-05T09:41:07+08:00",
        "window": {"id": 12, "code": "W-v1", "name": "城西社区办不成事窗口"},
        "region": {"id": 4, "code": "330681001001", "name": "城西社区", "tier": "village"},
        "requester": {
            "kind": "person",
            "name": "张三丰",
            "contact_name": "",
            "phone": "138****8000",
            "id_number": "3306**********123X",
            "credit_code": "",
        },
    },
)
ASSIGN_EXAMPLES = [
    OpenApiExample(
        "assign",
        request_only=True,
        value={
            "lead_department": 7,
            "assisting_departments": [9],
            "note": "请市场监管局牵头，自然资源局配合",
        },
    ),
    OpenApiExample(
        "assigned",
        response_only=True,
        status_codes=["200"],
        value={
            "case": 981,
            "status": "assigned",
            "version": 3,
            "event": {
                "id": 5120,
                "sequence": 3,
                "kind": "assign",
                "kind_display": "派单",
                "actor": {"id": 31, "username": "v1_clerk", "full_name": ""},
                "department": None,
                "from_status": "routing",
                "to_status": "assigned",
                "reason": "请市场监管局牵头，自然资源局配合",
                "payload": {
                    "lead_department": 7,
                    "assisting_departments": [9],
                    "assignment": 77,
                    "can_return": True,
                },
                "is_public": True,
                "created_at": "2026-03-05T10:02:11+08:00",
            },
            "allowed_commands": ["withdraw", "reclassify", "note"],
        },
    ),
]


def command_path(command: str) -> str:
    """The URL segment of a command: ``not_accept`` → ``not-accept``."""
    return command.replace("_", "-")


def _command_result(event, user) -> dict:
    case = event.case
    return {
        "case": case.pk,
        "status": case.status,
        "version": case.version,
        "event": event,
        "allowed_commands": selectors.case_allowed_commands(user=user, case=case),
    }


def _command(command: EventKind, *, examples=()):
    """One POST endpoint ``/cases/{id}/<command>/`` running the command's service (``services.SERVICES``);
    its request schema is drawn from the command's declared input (``workflow.RULES``)."""
    name = command.value + ("_" if keyword.iskeyword(command.value) else "")
    service = services.SERVICES[command]
    serializer_class = s.command_input_serializer(command)

    def endpoint(self, request, pk=None):
        return self.run_command(request, pk, command)

    endpoint.__name__ = name
    endpoint.__doc__ = service.__doc__
    endpoint = action(
        detail=True,
        methods=["post"],
        url_path=command_path(command.value),
        url_name=command_path(command.value),
        serializer_class=serializer_class,
        filter_backends=[],
        pagination_class=None,
    )(endpoint)
    # After @action, which would otherwise replace the schema kept in the function's kwargs.
    return extend_schema(
        operation_id=f"cases_{command.value}",
        summary=f"{command.label}（{command.value}）",
        request=serializer_class,
        responses={200: s.CommandResultSerializer, **COMMAND_ERRORS},
        examples=list(examples),
    )(endpoint)


# --- Cases ------------------------------------------------------------------------------------------


class CaseViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Cases the user may see; intake; one POST endpoint per workflow command.

    Scoping: every read goes through ``selectors.case_list_visible`` / ``case_get_visible`` (the cases'
    ``visible_to``), so a case outside the user's scope answers exactly like a missing one.
    """

    serializer_class = s.CaseListSerializer
    filterset_class = CaseFilterSet
    # Counted up to 1,000 (``count_capped`` beyond): an exact count of a long history costs more than the
    # page itself, and nobody pages past the first thousand cases; filters narrow the rest.
    pagination_class = CappedPagination
    ordering_fields = ["taken_in_at", "updated_at", "status", "tracking_number", "id"]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return selectors.case_list_visible(user=self.request.user)

    def get_object(self):
        return selectors.case_get_visible(user=self.request.user, case_id=self.kwargs["pk"])

    @extend_schema(
        summary="案件列表",
        description=(
            "Cases the user may see, newest first; personal data masked. `count` is exact up to 1,000; "
            "beyond that `count_capped` is true and only the first 1,000 can be paged through (filter to "
            "narrow, e.g. `taken_in_at_before`)."
        ),
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="案件详情",
        description="One case with the requester's data whole (only staff who may see the case reach it).",
        responses={200: s.CaseDetailSerializer, 404: NOT_FOUND},
    )
    def retrieve(self, request, pk=None):
        case = self.get_object()
        prefetch_related_objects(
            [case],
            Prefetch("assignments", queryset=Assignment.objects.select_related("department", "accepted_by")),
        )
        case.running_timers = selectors.case_running_timers(case=case)
        case.review_rows = selectors.case_reviews(case=case)
        return Response(s.CaseDetailSerializer(case).data)

    @extend_schema(
        summary="受理登记（intake）",
        description=services.case_intake.__doc__,
        request=s.command_input_serializer(E.INTAKE),
        parameters=[IDEMPOTENCY_KEY],
        responses={
            201: s.ReceiptSerializer,
            400: FIELD_ERRORS,
            403: OpenApiResponse(ErrorSerializer, description="The user is not a clerk of that window."),
            422: OpenApiResponse(
                ErrorSerializer, description="Idempotency-Key reused with a different body."
            ),
        },
        examples=[INTAKE_EXAMPLE, RECEIPT_EXAMPLE],
    )
    def create(self, request):
        try:
            result = services.case_intake(
                actor=request.user,
                idempotency_key=request.headers.get("Idempotency-Key"),
                **services.command_arguments(E.INTAKE, request.data),
            )
        except ValidationFailed as exc:
            raise ValidationFailed(s.nest_errors(exc.errors)) from exc
        headers = {"Location": reverse("case-detail", args=[result.case.pk])}
        if result.replayed:
            headers["Idempotent-Replayed"] = "true"
        body = s.ReceiptSerializer(s.receipt_data(result.case, result.snapshot)).data
        return Response(body, status=status.HTTP_201_CREATED, headers=headers)

    @extend_schema(summary="回执", responses={200: s.ReceiptSerializer, 404: NOT_FOUND})
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def receipt(self, request, pk=None):
        """The receipt data again (reprint at the window): tracking number and query code."""
        return Response(s.ReceiptSerializer(s.receipt_data(self.get_object())).data)

    @extend_schema(
        summary="办理记录（时间线）", responses={200: s.CaseEventSerializer(many=True), 404: NOT_FOUND}
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def events(self, request, pk=None):
        """Every event of the case in order: one per accepted command."""
        events = selectors.case_timeline(user=request.user, case_id=pk)
        return Response(s.CaseEventSerializer(events, many=True).data)

    @extend_schema(summary="当前可执行的操作", responses={200: s.AllowedCommandsSerializer, 404: NOT_FOUND})
    @action(
        detail=True,
        methods=["get"],
        url_path="commands",
        url_name="commands",
        filter_backends=[],
        pagination_class=None,
    )
    def allowed(self, request, pk=None):
        """The commands the current user may run on the case now (the buttons a page shows)."""
        case = self.get_object()
        names = selectors.case_allowed_commands(user=request.user, case=case)
        return Response(
            s.AllowedCommandsSerializer(
                {
                    "case": case.pk,
                    "status": case.status,
                    "version": case.version,
                    "allowed_commands": names,
                    "commands": [
                        {
                            "name": name,
                            "label": workflow.RULES[name].command.label,
                            "path": command_path(name),
                        }
                        for name in names
                    ],
                }
            ).data
        )

    @extend_schema(summary="承办单", responses={200: s.AssignmentSerializer(many=True), 404: NOT_FOUND})
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def assignments(self, request, pk=None):
        """The case's assignments (lead and assisting, current and past), oldest first."""
        rows = selectors.case_assignments(user=request.user, case_id=pk)
        return Response(s.AssignmentSerializer(rows, many=True).data)

    @extend_schema(
        methods=["GET"],
        summary="附件列表",
        responses={200: s.AttachmentSerializer(many=True), 404: NOT_FOUND},
    )
    @extend_schema(
        methods=["POST"],
        summary="上传附件",
        request={"multipart/form-data": s.AttachmentUploadSerializer},
        responses={201: s.AttachmentSerializer, 400: FIELD_ERRORS, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        parser_classes=[MultiPartParser, FormParser],
        filter_backends=[],
        pagination_class=None,
    )
    def attachments(self, request, pk=None):
        """GET: the case's files; POST (multipart ``file``): store one (type and size checked)."""
        if request.method == "POST":
            upload = s.AttachmentUploadSerializer(data=request.data)
            upload.is_valid(raise_exception=True)
            attachment = services.case_attachment_add(
                actor=request.user, case_id=pk, file=upload.validated_data["file"]
            )
            return Response(s.AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)
        case = self.get_object()
        rows = case.attachments.select_related("uploaded_by").order_by("id")
        return Response(s.AttachmentSerializer(rows, many=True).data)

    @extend_schema(
        summary="下载附件",
        parameters=[OpenApiParameter("attachment_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        # The file's own type: one of the types an upload may have.
        responses={
            **{(200, kind): OpenApiTypes.BINARY for kind in settings.CASE_ATTACHMENT_CONTENT_TYPES},
            404: NOT_FOUND,
        },
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"attachments/(?P<attachment_id>\d+)",
        url_name="attachment",
        filter_backends=[],
        pagination_class=None,
    )
    def attachment(self, request, pk=None, attachment_id=None):
        """One file of the case, streamed from storage (never a public media URL)."""
        attachment = self.get_object().attachments.filter(pk=attachment_id).first()
        if attachment is None:
            raise NotFound(_("未找到该附件。"))
        return FileResponse(
            attachment.file.open("rb"),
            as_attachment=True,
            filename=attachment.original_name,
            content_type=attachment.content_type,
        )

    def run_command(self, request, pk, command: str) -> Response:
        case = self.get_object()
        if case.status not in workflow.RULES[command].sources:
            # The workflow gives this answer too (under the row lock); giving it before reading the input
            # means a command the state forbids is 409 whatever was sent.
            raise TransitionNotAllowed(
                _("案件当前状态为“%(status)s”，不能执行“%(command)s”。")
                % {"status": case.get_status_display(), "command": workflow.RULES[command].command.label},
                current=case.status,
                allowed=selectors.case_allowed_commands(user=request.user, case=case),
            )
        arguments = services.command_arguments(command, request.data)
        event = services.SERVICES[command](actor=request.user, case_id=case.pk, **arguments)
        return Response(s.CommandResultSerializer(_command_result(event, request.user)).data)

    # One endpoint per command, in loop order (cases.workflow.RULES).
    not_accept = _command(E.NOT_ACCEPT)
    withdraw = _command(E.WITHDRAW)
    classify = _command(E.CLASSIFY)
    reclassify = _command(E.RECLASSIFY)
    assign = _command(E.ASSIGN, examples=ASSIGN_EXAMPLES)
    accept = _command(E.ACCEPT)
    return_ = _command(E.RETURN)
    transfer = _command(E.TRANSFER)
    escalate = _command(E.ESCALATE)
    delegate = _command(E.DELEGATE)
    coordinate = _command(E.COORDINATE)
    reassign = _command(E.REASSIGN)
    note = _command(E.NOTE)
    suspend = _command(E.SUSPEND)
    resume = _command(E.RESUME)
    reply = _command(E.REPLY)
    resolve = _command(E.RESOLVE)
    callback = _command(E.CALLBACK)
    reopen = _command(E.REOPEN)
    close = _command(E.CLOSE)
    extension_request = _command(E.EXTENSION_REQUEST)
    extension_decide = _command(E.EXTENSION_DECIDE)
    # Supervision: 催办 / 督办 by a supervisor (no status change).
    review = _command(E.REVIEW)
    urge = _command(SweepEventKind.URGE)
    supervise = _command(SweepEventKind.SUPERVISE)


# --- Department work queue --------------------------------------------------------------------------

QUEUE_STATUS = {
    "to_sign": AssignmentStatus.PENDING,
    "in_progress": AssignmentStatus.ACCEPTED,
    "returned": AssignmentStatus.RETURNED,
}


class AssignmentQueueViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The work queue of the user's departments (``selectors.department_queue``): to sign for (待签收), in
    progress (办理中), returned (已退回); without ``queue``: everything current (to sign and in progress)."""

    serializer_class = s.AssignmentQueueSerializer
    filter_backends = []  # the queue's own parameters (QueueQuerySerializer) are read in get_queryset

    def get_queryset(self):
        params = s.QueueQuerySerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        return selectors.department_queue(
            user=self.request.user,
            department_id=params.validated_data.get("department"),
            status=QUEUE_STATUS.get(params.validated_data.get("queue")),
        )

    @extend_schema(
        summary="部门待办",
        parameters=[s.QueueQuerySerializer],
        responses={200: s.AssignmentQueueSerializer(many=True), 400: FIELD_ERRORS},
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


# --- Extension requests ------------------------------------------------------------------------------


class ExtensionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """延期申请 of the cases the user may see (``selectors.extension_list_visible``, built on the cases'
    ``visible_to``): supervisors see their subtree's, department staff their departments' cases'; a request
    of a case outside the scope answers 404 like a missing one. ``?status=requested``: the requests waiting
    for a decision, which a supervisor takes with ``POST /cases/{id}/extension-decide/``."""

    serializer_class = s.ExtensionSerializer
    filterset_class = ExtensionFilterSet
    ordering_fields = ["created_at", "days", "id"]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return selectors.extension_list_visible(user=self.request.user)

    @extend_schema(
        summary="延期申请列表", description="Oldest first; `status=requested` for the pending ones."
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="延期申请详情", responses={200: s.ExtensionSerializer, 404: NOT_FOUND})
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)


# --- Refusal reviews (否定答复报告) ---------------------------------------------------------------------


class RefusalReviewViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """否定答复报告 of the cases the user may see (``selectors.review_list_visible``, built on the cases'
    ``visible_to``): supervisors see their subtree's, department staff their departments' cases'; a review
    of a case outside the scope answers 404 like a missing one. ``?status=pending``: the "no"s waiting for a
    decision, which a supervisor takes with ``POST /cases/{id}/review/``."""

    serializer_class = s.RefusalReviewSerializer
    filterset_class = RefusalReviewFilterSet
    ordering_fields = ["due_at", "created_at", "id"]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return selectors.review_list_visible(user=self.request.user)

    @extend_schema(
        summary="否定答复审核列表",
        description="Oldest due first; `status=pending` for the ones waiting for a supervisor.",
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="否定答复审核详情", responses={200: s.RefusalReviewSerializer, 404: NOT_FOUND})
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)


# --- Reasons ----------------------------------------------------------------------------------------


class ReasonViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The active reasons of the configurable lists (``?purpose=refusal|suspension``): the choices of
    ``reason_code`` in not-accept, reply and suspend. The same for every signed-in user."""

    serializer_class = s.ReasonSerializer
    filterset_class = ReasonFilterSet
    pagination_class = None
    ordering_fields = ["sort_order", "code"]

    def get_queryset(self):
        return selectors.reason_list()

    @extend_schema(summary="理由选项")
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


# --- Categories -------------------------------------------------------------------------------------


class CategoryViewSet(ScopedReadOnlyViewSet):
    """Matter categories of the counties the user works in (the intake form's search); active ones unless
    ``is_active`` is given."""

    queryset = Category.objects.select_related("county")
    serializer_class = s.CategorySerializer
    filterset_class = CategoryFilterSet
    ordering_fields = ["code", "name"]
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset if "is_active" in self.request.query_params else queryset.active()
