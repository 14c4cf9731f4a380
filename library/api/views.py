"""The library API (/api/v1/writeups/): list and detail of the write-ups the user may see (filters and word
search), create, and one POST endpoint per command (``/writeups/{id}/<command>/``); the record of a case
following one (``/writeup-reuses/``). Scoping goes through ``library.selectors``; refusals are the service
errors (404 / 409 / 403 / 400, ``windowsvc.api.exceptions``)."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from windowsvc.api.schema import ErrorSerializer, conflict
from windowsvc.paging import CappedPagination

from .. import selectors, services, workflow
from ..choices import WriteUpCommand
from ..filtersets import WriteUpFilterSet
from . import serializers as s

C = WriteUpCommand

CONFLICT = conflict(s.WriteUpTransitionErrorSerializer)
CASE_NOT_FOUND = OpenApiResponse(
    ErrorSerializer, description="The case (or write-up) does not exist or is outside the user's scope."
)


def _result(event, user) -> dict:
    writeup = event.writeup
    return {
        "writeup": writeup.pk,
        "status": writeup.status,
        "typical": writeup.typical,
        "version": writeup.version,
        "event": event,
        "allowed_commands": workflow.allowed_commands(writeup, user),
    }


def _command(command: WriteUpCommand):
    service = services.SERVICES[command]

    def endpoint(self, request, pk=None):
        data = s.WriteUpCommandSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        event = service(actor=request.user, writeup_id=int(pk), **data.validated_data)
        return Response(s.WriteUpCommandResultSerializer(_result(event, request.user)).data)

    endpoint.__name__ = command.value
    endpoint.__doc__ = service.__doc__
    endpoint = action(
        detail=True,
        methods=["post"],
        url_path=command.value.replace("_", "-"),
        url_name=command.value.replace("_", "-"),
        filter_backends=[],
        pagination_class=None,
    )(endpoint)
    return extend_schema(
        operation_id=f"writeups_{command.value}",
        summary=f"{command.label}（{command.value}）",
        request=s.WriteUpCommandSerializer,
        responses={200: s.WriteUpCommandResultSerializer, 409: CONFLICT},
    )(endpoint)


class WriteUpViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Write-ups the user may see (``WriteUp.objects.visible_to``); others answer 404 like missing ones."""

    serializer_class = s.WriteUpListSerializer
    filterset_class = WriteUpFilterSet
    pagination_class = CappedPagination
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return selectors.writeup_list_visible(user=self.request.user).order_by("-updated_at", "-pk")

    @extend_schema(summary="案例详情", responses={200: s.WriteUpDetailSerializer})
    def retrieve(self, request, pk=None):
        writeup = selectors.writeup_get_visible(user=request.user, writeup_id=int(pk))
        writeup.allowed_commands = workflow.allowed_commands(writeup, request.user)
        return Response(s.WriteUpDetailSerializer(writeup).data)

    @extend_schema(
        summary="起草案例",
        request=s.WriteUpCreateSerializer,
        responses={201: s.WriteUpDetailSerializer, 404: CASE_NOT_FOUND},
    )
    def create(self, request):
        data = s.WriteUpCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        writeup = services.writeup_create(actor=request.user, case_id=fields.pop("case"), **fields)
        writeup.allowed_commands = workflow.allowed_commands(writeup, request.user)
        return Response(
            s.WriteUpDetailSerializer(writeup).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": reverse("writeup-detail", args=[writeup.pk])},
        )

    @extend_schema(
        operation_id="writeups_edit",
        summary="修改案例",
        request=s.WriteUpEditSerializer,
        responses={200: s.WriteUpDetailSerializer, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def edit(self, request, pk=None):
        """Change a write-up still with its authors; only the fields sent change."""
        data = s.WriteUpEditSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = {k: v for k, v in data.validated_data.items() if k in request.data}
        fields.pop("expected_version", None)
        writeup = services.writeup_edit(
            actor=request.user,
            writeup_id=int(pk),
            expected_version=data.validated_data.get("expected_version"),
            **fields,
        )
        writeup.allowed_commands = workflow.allowed_commands(writeup, request.user)
        return Response(s.WriteUpDetailSerializer(writeup).data)

    submit = _command(C.SUBMIT)
    request_changes = _command(C.REQUEST_CHANGES)
    publish = _command(C.PUBLISH)
    mark_typical = _command(C.MARK_TYPICAL)
    unmark_typical = _command(C.UNMARK_TYPICAL)
    withdraw = _command(C.WITHDRAW)


class WriteUpReuseViewSet(viewsets.GenericViewSet):
    """按此案例办理: record that a case follows a published write-up or an earlier solved case."""

    serializer_class = s.WriteUpReuseInputSerializer

    @extend_schema(
        summary="按此案例办理",
        request=s.WriteUpReuseInputSerializer,
        responses={201: s.WriteUpReuseOutputSerializer, 404: CASE_NOT_FOUND},
    )
    def create(self, request):
        data = s.WriteUpReuseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reuse = services.writeup_reuse_record(
            actor=request.user,
            case_id=data.validated_data["case"],
            writeup_id=data.validated_data["writeup"],
            source_case_id=data.validated_data["source_case"],
        )
        return Response(s.WriteUpReuseOutputSerializer(reuse).data, status=status.HTTP_201_CREATED)
