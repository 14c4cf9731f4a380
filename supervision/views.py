"""Supervision pages (/supervision/): dashboard, overdue list, review queue (否定答复报告), department table, rankings, monthly light
board, quarterly bulletin and annual summary (printable, and as XLSX), case exports (CSV, XLSX), and the
催办 / 督办 actions.

Only oversight roles (supervisors, the coordination centre, administrators; superusers) reach these pages:
anyone else gets 403. A region outside the user's oversight answers 404 like a missing one. Every read is
a selector (``supervision.selectors``), every write a service: one case's 催办 / 督办 is
``cases.services.case_supervisor_action``, a set of cases ``supervision.services`` (which calls it per case).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from cases.choices import SweepEventKind
from cases.services import SUPERVISOR_ACTIONS, case_supervisor_action
from routing.choices import Tier
from windowsvc.dbrouters import ReplicaReadMixin
from windowsvc.errors import NotFound, PermissionDenied, TransitionNotAllowed, ValidationFailed

from . import exports, rankings, reports, selectors, services
from .charts import trend_svg
from .forms import ActionForm, OverdueFilterForm
from .periods import MONTH, QUARTER, WEEK, YEAR, current_period, parse_period

PAGE_SIZE = 50
DASHBOARD_OVERDUE_ROWS = 10


class SupervisionView(ReplicaReadMixin, LoginRequiredMixin, View):
    """Base: resolves the region (``?region=code``) within the user's oversight, or 403 / 404. Its GET pages
    read from the replica when one is configured and fresh enough (windowsvc/dbrouters.py)."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.now = timezone.now()
        try:
            self.node = selectors.region_node(user=request.user, code=request.GET.get("region"))
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(str(exc)) from None
        except NotFound:
            raise Http404(_("未找到该区划。")) from None
        return super().dispatch(request, *args, **kwargs)

    def context(self, **values) -> dict:
        return {
            "node": self.node,
            "now": self.now,
            "tiers": Tier.choices,
            "limits": rankings.thresholds(),
            # Above the county the rankings, boards and bulletins compare regions, not departments.
            "ranks_regions": self.node.region.is_above_county,
            **row_links(),
            **values,
        }


def row_links() -> dict:
    """URL prefixes and labels the long tables use per row (one ``reverse`` per page, not per row)."""
    return {
        "case_url_prefix": reverse("cases:detail", args=[0]).removesuffix("0/"),
        "department_action_prefix": reverse("supervision:department-action", args=[0, "urge"]).removesuffix(
            "0/urge/"
        ),
        "bulk_action_url": reverse("supervision:bulk-action"),
        "labels": {
            "red": _("超期"),
            "yellow": _("临期"),
            "reason": _("事由"),
            "department_action": _("催办/督办"),
            "urge_all": _("全部催办"),
            "supervise_all": _("全部督办"),
        },
    }


def _region_query(node, **extra) -> str:
    params = {"region": node.region.code, **{k: v for k, v in extra.items() if v not in (None, "")}}
    return urlencode(params)


class DashboardView(SupervisionView):
    """总览: open work by light and status, child regions, extension requests waiting for a decision, the
    "no"s waiting for review and the period's refusals by reason, the follow-ups (答复未办结), the
    most overdue cases (with their 催办 / 督办 so far), the department table for the month, weekly and monthly
    trends, and the 催办 / 督办 buttons."""

    template_name = "supervision/dashboard.html"

    def get(self, request):
        node, now = self.node, self.now
        period = parse_period(request.GET.get("period"), default_kind=MONTH, now=now)
        counts = selectors.open_counts(user=request.user, node=node, now=now)
        overdue = selectors.overdue_page(
            selectors.overdue_cases(user=request.user, node=node, now=now),
            user=request.user,
            now=now,
            size=DASHBOARD_OVERDUE_ROWS,
        )
        for case in overdue:
            # Each case on its own county's calendar: a city's counties may keep different working days.
            case.days_overdue = selectors.days_overdue(
                case, now, calendar=selectors.county_calendar(case.region_path)
            )
        overdue = selectors.with_action_marks(overdue, user=request.user)
        summary = selectors.region_periods(node=node, periods=[period], now=now)[0]
        weeks = selectors.trend(node=node, kind=WEEK, count=12, now=now)
        months = selectors.trend(node=node, kind=MONTH, count=12, now=now)
        # Above the county the regions are compared; their departments are one click down.
        region_rankings = reports.region_rankings(user=request.user, node=node, period=period, now=now)
        departments = (
            []
            if region_rankings
            else selectors.department_table(user=request.user, node=node, period=period, now=now)
        )
        context = self.context(
            region_rankings=region_rankings,
            period=period,
            counts=counts,
            overdue=overdue,
            summary=summary,
            departments=departments,
            pending_extensions=selectors.pending_extensions(user=request.user, node=node),
            pending_reviews=selectors.pending_review_count(user=request.user, node=node),
            refusal_reasons=selectors.refusals_by_reason(user=request.user, node=node, period=period),
            intake_channels=selectors.intake_by_channel(user=request.user, node=node, period=period),
            follow_ups=selectors.follow_up_count(user=request.user, node=node),
            week_chart=trend_svg(weeks, title=_("近12周趋势")),
            month_chart=trend_svg(
                months, title=_("近12个月趋势"), labels=[f"{p.period.first_day:%y-%m}" for p in months]
            ),
            action_form=ActionForm(),
            region_query=_region_query(node),
        )
        return render(request, self.template_name, context)


class OverdueListView(SupervisionView):
    """超期和临期案件: red and yellow clocks of the region, filterable and sortable, paginated; each row marks
    the 催办 / 督办 the case has had (one query for the page)."""

    template_name = "supervision/overdue.html"

    def get(self, request):
        node, now = self.node, self.now
        form = OverdueFilterForm(request.GET or None, node=node)
        values = form.values()
        queryset = selectors.overdue_cases(
            user=request.user,
            node=node,
            now=now,
            lights=form.lights(),
            filters=form.case_filters(),
            min_days_overdue=values.get("min_days") or 0,
            sort=values.get("sort") or "due",
        )
        # Paginate the ids in the facts' index, then read that page's cases (selectors.overdue_page).
        page = Paginator(queryset.values_list("case_id", flat=True), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        cases = selectors.case_rows(list(page.object_list), user=request.user, now=now)
        for case in cases:
            case.days_overdue = selectors.days_overdue(
                case, now, calendar=selectors.county_calendar(case.region_path)
            )
        cases = selectors.with_action_marks(cases, user=request.user)
        query = request.GET.copy()
        query.pop("page", None)
        export_query = urlencode(
            {"node": node.region.code, "open": "true", "light": form.lights(), **form.case_filters()},
            doseq=True,
        )
        context = self.context(
            form=form,
            page_obj=page,
            cases=cases,
            query=query.urlencode(),
            export_query=export_query,
            action_form=ActionForm(),
            region_query=_region_query(node),
        )
        return render(request, self.template_name, context)


class ReviewListView(SupervisionView):
    """否定答复报告: the region's "no"s (not accepted, cannot be done, late withdrawal, long suspension) waiting
    for a supervisor, oldest due first, overdue ones marked; ``?tab=decided`` (and ``status``) the decided
    ones. Each row links to the case page, where the ``review`` command is."""

    template_name = "supervision/reviews.html"

    def get(self, request):
        node = self.node
        decided = request.GET.get("tab") == "decided"
        status = request.GET.get("status") or None
        queryset = selectors.review_queue(user=request.user, node=node, decided=decided, status=status)
        page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        context = self.context(
            page_obj=page,
            reviews=list(page.object_list),
            decided=decided,
            status=status,
            decided_statuses=[(s.value, s.label) for s in selectors.DECIDED_REVIEW_STATUSES],
            query=query.urlencode(),
            region_query=_region_query(node),
        )
        return render(request, self.template_name, context)


class DepartmentTableView(SupervisionView):
    """部门统计: the per-department table for a month, quarter or year, optionally one tier."""

    template_name = "supervision/departments.html"

    def get(self, request):
        node, now = self.node, self.now
        period = parse_period(request.GET.get("period"), default_kind=MONTH, now=now)
        tier = request.GET.get("tier") if request.GET.get("tier") in Tier.values else None
        rows = selectors.department_table(user=request.user, node=node, period=period, now=now, tier=tier)
        context = self.context(
            period=period,
            tier=tier,
            departments=rows,
            action_form=ActionForm(),
            region_query=_region_query(node),
            periods=_period_choices(now),
        )
        return render(request, self.template_name, context)


def _period_choices(now) -> list:
    month = current_period(MONTH, now)
    months = [month]
    for _i in range(11):
        months.append(months[-1].previous())
    quarter = current_period(QUARTER, now)
    return [
        *months,
        quarter,
        quarter.previous(),
        current_period(YEAR, now),
        current_period(YEAR, now).previous(),
    ]


class RankingsView(SupervisionView):
    """月度排名: per tier, each component beside the score; 红旗 and 蜗牛 marked."""

    template_name = "supervision/rankings.html"

    def get(self, request):
        period = parse_period(request.GET.get("month"), default_kind=MONTH, now=self.now)
        if period.kind != MONTH:
            period = current_period(MONTH, self.now)
        tiers = reports.monthly_rankings(user=request.user, node=self.node, month=period, now=self.now)
        context = self.context(month=period, ranking_tiers=tiers, region_query=_region_query(self.node))
        return render(request, self.template_name, context)


class LightBoardView(SupervisionView):
    """月亮灯: green / yellow / red per department per month of a year."""

    template_name = "supervision/lights.html"

    def get(self, request):
        year = parse_period(request.GET.get("year"), default_kind=YEAR, now=self.now)
        if year.kind != YEAR:
            year = current_period(YEAR, self.now)
        board = reports.light_board(node=self.node, year=year, now=self.now)
        context = self.context(year=year, board=board, region_query=_region_query(self.node))
        return render(request, self.template_name, context)


class BulletinView(SupervisionView):
    """季通报 (``kind=quarter``) and 年度总结 (``kind=year``): a printable page, or XLSX with ``?format=xlsx``."""

    kind = QUARTER
    template_name = "supervision/bulletin.html"

    def get(self, request):
        period = parse_period(request.GET.get("period"), default_kind=self.kind, now=self.now)
        if period.kind != self.kind:
            period = current_period(self.kind, self.now)
        report = reports.period_report(user=request.user, node=self.node, period=period, now=self.now)
        if request.GET.get("format") == "xlsx":
            return exports.report_xlsx_response(report)
        context = self.context(report=report, period=period, region_query=_region_query(self.node))
        return render(request, self.template_name, context)


class CaseExportView(ReplicaReadMixin, LoginRequiredMixin, View):
    """Any filtered case list (``CaseFilterSet`` parameters) as CSV or XLSX, streamed, within the user's
    scope (``cases.selectors.case_list_visible``). Open to every staff user who sees cases."""

    def get(self, request, fmt: str):
        return exports.case_export_response(
            user=request.user, params=request.GET, fmt=fmt, now=timezone.now()
        )


class CaseActionView(SupervisionView):
    """POST 催办 / 督办 on one case (from the dashboard or the overdue list)."""

    def post(self, request, pk: int, action: str):
        if action not in SUPERVISOR_ACTIONS:
            raise Http404
        form = ActionForm(request.POST)
        back = _safe_next(request, self.node)
        if not form.is_valid():
            messages.error(request, _("请填写事由。"))
            return redirect(back)
        try:
            event = case_supervisor_action(
                actor=request.user,
                case_id=pk,
                action=action,
                reason=form.cleaned_data["reason"],
                days=form.cleaned_data.get("days"),
            )
        except NotFound:
            raise Http404 from None
        except (TransitionNotAllowed, PermissionDenied, ValidationFailed) as exc:
            messages.error(request, _("操作未执行：%(reason)s") % {"reason": exc})
            return redirect(back)
        messages.success(
            request,
            _("已对 %(number)s %(action)s。")
            % {"number": event.case.tracking_number, "action": event.get_kind_display()},
        )
        return redirect(back)


class CaseBulkActionView(SupervisionView):
    """POST 催办 / 督办 on the cases ticked in a list (dashboard, overdue list): one event per case, each
    in its own transaction (``supervision.services.cases_action``); a case that changed meanwhile is
    reported and skipped."""

    def post(self, request):
        action = request.POST.get("action")
        if action not in SUPERVISOR_ACTIONS:
            raise Http404
        back = _safe_next(request, self.node)
        form = ActionForm(request.POST)
        ids = [int(v) for v in request.POST.getlist("case") if v.isdigit()]
        if not form.is_valid() or not ids:
            messages.error(request, _("请选择案件并填写事由。"))
            return redirect(back)
        result = services.cases_action(
            actor=request.user,
            case_ids=ids,
            action=action,
            reason=form.cleaned_data["reason"],
            days=form.cleaned_data.get("days"),
        )
        text = _("已%(action)s %(done)s 件案件。") % {
            "action": SweepEventKind(action).label,
            "done": len(result.events),
        }
        if result.refused:
            text += " " + _("%(n)s 件未执行：%(reason)s") % {
                "n": len(result.refused),
                "reason": result.refused[0][1],
            }
        (messages.success if result.events else messages.error)(request, text)
        return redirect(back)


def _safe_next(request, node) -> str:
    back = request.POST.get("next") or ""
    if not back.startswith("/") or back.startswith("//"):
        back = reverse("supervision:dashboard") + "?" + _region_query(node)
    return back


class DepartmentActionView(SupervisionView):
    """POST 催办 / 督办 on every overdue case a department leads in the region (one event per case, each in
    its own transaction: ``supervision.services.department_overdue_action``)."""

    def post(self, request, pk: int, action: str):
        if action not in SUPERVISOR_ACTIONS:
            raise Http404
        form = ActionForm(request.POST)
        back = _safe_next(request, self.node)
        if not form.is_valid():
            messages.error(request, _("请填写事由。"))
            return redirect(back)
        try:
            result = services.department_overdue_action(
                actor=request.user,
                department_id=pk,
                action=action,
                reason=form.cleaned_data["reason"],
                days=form.cleaned_data.get("days"),
                region_code=self.node.region.code,
                now=self.now,
            )
        except NotFound:
            raise Http404 from None
        text = _("已%(action)s %(done)s 件超期案件。") % {
            "action": SweepEventKind(action).label,
            "done": len(result.events),
        }
        if result.refused:
            text += " " + _("%(n)s 件未执行（状态已变化）。") % {"n": len(result.refused)}
        messages.success(request, text)
        return redirect(back)
