"""Supervision API (/api/v1/supervision/…): the dashboard's numbers, the overdue list, the department table,
the monthly ranking, and 催办 / 督办 on a case. Read-only except the two actions, deprecated wrappers of
``/api/v1/cases/{id}/urge|supervise/`` over the same service and input. The same scoping as the pages: a
region outside the user's oversight is 404, a user without an oversight role 403.
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.api import serializers as cases_serializers
from cases.choices import Light, SweepEventKind
from cases.services import SERVICES, command_arguments
from routing.choices import Tier
from windowsvc.api.schema import ErrorSerializer, conflict
from windowsvc.dbrouters import ReplicaReadMixin

from .. import reports, selectors
from ..periods import MONTH, parse_period
from . import serializers as s

# Every read: a user without an oversight role is 403, a region outside their oversight 404.
OVERSIGHT_ERRORS = {
    403: OpenApiResponse(ErrorSerializer, description="The user holds no oversight role."),
    404: OpenApiResponse(ErrorSerializer, description="No such region, or outside the user's oversight."),
}
REGION = OpenApiParameter("region", str, description="区划代码（默认：本人督办区划）")
PERIOD = OpenApiParameter("period", str, description="统计期：2026-03、2026-Q1 或 2026（默认本月）")


class SupervisionAPIView(ReplicaReadMixin, APIView):
    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.now = timezone.now()
        self.node = selectors.region_node(user=request.user, code=request.query_params.get("region"))


class DashboardAPIView(SupervisionAPIView):
    @extend_schema(
        parameters=[REGION, PERIOD],
        responses={200: s.DashboardSerializer, **OVERSIGHT_ERRORS},
        summary="督办总览",
    )
    def get(self, request):
        period = parse_period(request.query_params.get("period"), default_kind=MONTH, now=self.now)
        data = {
            "node": self.node,
            "counts": selectors.open_counts(user=request.user, node=self.node, now=self.now),
            "summary": selectors.region_periods(node=self.node, periods=[period], now=self.now)[0],
            "regions": reports.region_rankings(
                user=request.user, node=self.node, period=period, now=self.now
            ),
        }
        return Response(s.DashboardSerializer(data).data)


class DepartmentsAPIView(SupervisionAPIView):
    @extend_schema(
        parameters=[REGION, PERIOD, OpenApiParameter("tier", str, enum=Tier.values)],
        responses={200: s.DepartmentStatsSerializer(many=True), **OVERSIGHT_ERRORS},
        summary="部门统计",
    )
    def get(self, request):
        period = parse_period(request.query_params.get("period"), default_kind=MONTH, now=self.now)
        tier = request.query_params.get("tier")
        rows = selectors.department_table(
            user=request.user,
            node=self.node,
            period=period,
            now=self.now,
            tier=tier if tier in Tier.values else None,
        )
        return Response(s.DepartmentStatsSerializer(rows, many=True).data)


class RankingsAPIView(SupervisionAPIView):
    @extend_schema(
        parameters=[REGION, OpenApiParameter("month", str, description="2026-03（默认本月）")],
        responses={200: s.TierRankingSerializer(many=True), **OVERSIGHT_ERRORS},
        summary="月度排名",
    )
    def get(self, request):
        month = parse_period(request.query_params.get("month"), default_kind=MONTH, now=self.now)
        if month.kind != MONTH:
            month = parse_period("", default_kind=MONTH, now=self.now)
        tiers = reports.monthly_rankings(user=request.user, node=self.node, month=month, now=self.now)
        return Response(s.TierRankingSerializer(tiers, many=True).data)


class OverdueAPIView(SupervisionAPIView, GenericAPIView):
    """Red and yellow clocks of the region; filters of ``/api/v1/cases/`` (``lead_department``, ``category``,
    ``tier``, ``matter_kind`` …), ``light`` (red / yellow), ``min_days`` and ``sort``; each row with its
    催办 / 督办 so far (``action_marks``, one query for the page)."""

    serializer_class = s.OverdueCaseSerializer
    filter_backends = []

    @extend_schema(
        parameters=[REGION, s.OverdueQuerySerializer],
        responses={200: s.OverdueCaseSerializer(many=True), **OVERSIGHT_ERRORS},
        summary="超期和临期案件",
    )
    def get(self, request):
        params = s.OverdueQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        values = params.validated_data
        light = values.get("light")
        queryset = selectors.overdue_cases(
            user=request.user,
            node=self.node,
            now=self.now,
            lights=(light,) if light else (Light.RED, Light.YELLOW),
            filters={k: values[k] for k in s.OverdueQuerySerializer.FILTERS if values.get(k)},
            min_days_overdue=values.get("min_days") or 0,
            sort=values["sort"],
        )
        ids = self.paginate_queryset(queryset.values_list("case_id", flat=True))
        page = selectors.case_rows(list(ids), user=request.user, now=self.now, full=True)
        for case in page:
            case.days_overdue = selectors.days_overdue(
                case, self.now, calendar=selectors.county_calendar(case.region_path)
            )
        page = selectors.with_action_marks(page, user=request.user)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


def _deprecated(kind: SweepEventKind):
    return extend_schema(
        request=cases_serializers.command_input_serializer(kind),
        responses={200: s.ActionResultSerializer, 409: conflict(cases_serializers.TransitionErrorSerializer)},
        summary=f"{kind.label}（已弃用：请用 POST /api/v1/cases/{{id}}/{kind.value}/）",
        deprecated=True,
    )


class CaseActionAPIView(APIView):
    """``POST /api/v1/supervision/cases/{id}/urge|supervise/``, kept for existing clients: the same service
    (``cases.services.case_urge`` / ``case_supervise``) and the same input as ``/api/v1/cases/{id}/urge|supervise/``
    (the command endpoints, which also answer the case's new version and allowed commands); only the answer
    keeps this endpoint's own shape (``ActionResultSerializer``). Deprecated in the schema."""

    action_name: str = SweepEventKind.URGE

    def post(self, request, pk: int):
        kind = SweepEventKind(self.action_name)
        event = SERVICES[kind](actor=request.user, case_id=pk, **command_arguments(kind, request.data))
        return Response(s.ActionResultSerializer(event).data)


class CaseUrgeAPIView(CaseActionAPIView):
    action_name = SweepEventKind.URGE

    @_deprecated(SweepEventKind.URGE)
    def post(self, request, pk: int):
        return super().post(request, pk)


class CaseSuperviseAPIView(CaseActionAPIView):
    action_name = SweepEventKind.SUPERVISE

    @_deprecated(SweepEventKind.SUPERVISE)
    def post(self, request, pk: int):
        return super().post(request, pk)
