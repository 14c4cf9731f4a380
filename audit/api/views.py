"""Audit API (/api/v1/audit/…): the case events of the auditor's subtree, the configuration history and the
chain digests; read-only. Anyone without an auditor membership (or superuser) is refused with 403."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.models import CaseEvent
from windowsvc.api.pagination import StandardPagination
from windowsvc.api.schema import ErrorSerializer

from .. import selectors
from ..models import ChainDigest
from . import serializers as s

# Every audit read answers 403 to anyone without an auditor membership (or superuser).
AUDITORS_ONLY = {
    403: OpenApiResponse(
        ErrorSerializer, description="Only auditors (审计员) and superusers read the audit trail."
    )
}


class AuditEventListAPIView(ListAPIView):
    queryset = CaseEvent.objects.none()  # the schema's model; requests read ``get_queryset``
    serializer_class = s.AuditEventSerializer
    pagination_class = StandardPagination

    @extend_schema(
        parameters=[OpenApiParameter("case", str, description="受理编号")],
        responses={200: s.AuditEventSerializer(many=True), **AUDITORS_ONLY},
        summary="审计：案件记录",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema is drawn without a user
            return self.queryset
        return selectors.case_events_audited(
            user=self.request.user, tracking_number=self.request.query_params.get("case", "")[:32]
        )


class ChainDigestListAPIView(ListAPIView):
    queryset = ChainDigest.objects.none()
    serializer_class = s.ChainDigestSerializer
    pagination_class = StandardPagination

    @extend_schema(responses={200: s.ChainDigestSerializer(many=True), **AUDITORS_ONLY})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return selectors.chain_digests(user=self.request.user)


class ConfigHistoryAPIView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("model", str, enum=selectors.history_models(), description="配置类型")],
        responses={200: s.HistoryRowSerializer(many=True), **AUDITORS_ONLY},
        summary="审计：配置变更历史",
    )
    def get(self, request):
        rows = selectors.config_history(user=request.user, model=request.query_params.get("model", "")[:40])
        return Response(s.HistoryRowSerializer(rows, many=True).data)
