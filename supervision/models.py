"""Supervision's read model: one narrow fact row per case, maintained with the case's own events.

Why a projection: a county's statistics read years of cases by deadline month, resolution month and
intake week, and need each case's handling time in *working* days (the official calendar, not SQL date
arithmetic). ``CaseFact`` holds exactly those columns with the indexes these reads use, and the handling
time computed once when the case is resolved.

Invariants (kept by ``supervision.projection``):
- A fact row is written in the same transaction as every event of its case (an in-transaction handler of
  ``cases.effects``), from the case row the workflow has just saved: the projection can never disagree
  with the committed case. ``manage.py supervision_rebuild`` recomputes every row from the cases
  (for databases that had cases before this app was installed), and the tests compare both.
- The columns that decide lights and on-time share the names of ``cases.Case``'s, so the loop's single
  definitions (``CaseQuerySet.with_light`` / ``with_on_time``) run unchanged on facts.
- ``handling_days``: working time from intake to the latest resolution, in working days of the
  calendar's business hours (two decimals); NULL while not resolved.

The rollups ``RegionDayStat`` and ``DepartmentMonthStat`` are sums of the facts' contributions
(``projection.contributions``), moved in the same transaction as the facts; docs/RANKINGS.md explains
which number comes from where.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from cases.choices import TERMINAL_STATUSES, CaseStatus, MatterKind, Satisfaction
from cases.models import Assignment, Case, Category
from cases.querysets import CaseQuerySet
from routing.choices import Tier
from routing.models import Department, Region
from routing.scoping import paths_q, scope_for


class CaseFactQuerySet(models.QuerySet):
    # The loop's own rules on the projection's identically named columns: one definition everywhere.
    with_deadline = CaseQuerySet.with_deadline
    with_on_time = CaseQuerySet.with_on_time
    with_light = CaseQuerySet.with_light
    open = CaseQuerySet.open

    def visible_to(self, user):
        """Exactly ``Case.objects.visible_to(user)`` expressed on facts (the tests compare both)."""
        scope = scope_for(user)
        if scope.is_superuser:
            return self
        q = (
            paths_q("region_path", scope.oversight_paths)
            | paths_q("handling_region_path", scope.oversight_paths)
            | paths_q("region_path", scope.clerk_paths)
        )
        if scope.department_ids:
            q |= Exists(
                Assignment.objects.filter(
                    case_id=OuterRef("case_id"), department_id__in=sorted(scope.department_ids)
                )
            )
        return self.filter(q)

    def in_region(self, path: str):
        """Cases taken in or held within a region's subtree (the supervisor's view of that region)."""
        return self.filter(Q(region_path__startswith=path) | Q(handling_region_path__startswith=path))


class CaseFact(models.Model):
    """What statistics need of one case (see the module docstring); written only by the projection."""

    case = models.OneToOneField(
        Case, verbose_name=_("案件"), primary_key=True, on_delete=models.CASCADE, related_name="fact"
    )
    region = models.ForeignKey(
        Region, verbose_name=_("受理区划"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    region_path = models.CharField(_("受理区划路径"), max_length=64)
    handling_region_path = models.CharField(_("承办区划路径"), max_length=64)
    tier = models.CharField(_("受理层级"), max_length=10, choices=Tier.choices)
    lead_department = models.ForeignKey(
        Department,
        verbose_name=_("主办部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    category = models.ForeignKey(
        Category,
        verbose_name=_("事项类别"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    matter_kind = models.CharField(_("事项性质"), max_length=16, choices=MatterKind.choices, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=CaseStatus.choices)
    taken_in_at = models.DateTimeField(_("受理时间"))
    due_at = models.DateTimeField(_("办结时限"), null=True, blank=True)
    yellow_at = models.DateTimeField(_("黄灯时间"), null=True, blank=True)
    reasoned_reply_due_at = models.DateTimeField(_("说明答复时限"), null=True, blank=True)
    reasoned_reply_at = models.DateTimeField(_("说明答复时间"), null=True, blank=True)
    follow_up_due_at = models.DateTimeField(_("跟踪办结时限"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)
    clock_paused_at = models.DateTimeField(_("计时暂停时间"), null=True, blank=True)
    # A suspension past its limit counts late in the rankings (docs/RANKINGS.md).
    suspended_until = models.DateTimeField(_("挂起期限"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    handling_days = models.DecimalField(
        _("办理用时（工作日）"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    callback_satisfaction = models.CharField(
        _("回访满意度"), max_length=24, choices=Satisfaction.choices, blank=True
    )
    return_count = models.PositiveIntegerField(_("退回次数"), default=0)
    transfer_count = models.PositiveIntegerField(_("转办次数"), default=0)
    reopen_count = models.PositiveIntegerField(_("重办次数"), default=0)

    objects = CaseFactQuerySet.as_manager()

    class Meta:
        verbose_name = _("案件统计事实")
        verbose_name_plural = _("案件统计事实")
        indexes = [
            # Open work now (counts by light and status, per department): everything those counts read,
            # for open cases only, so PostgreSQL answers from the index alone.
            models.Index(
                fields=["region_path"],
                name="fact_open_idx",
                opclasses=["varchar_pattern_ops"],
                include=[
                    "handling_region_path",
                    "lead_department",
                    "status",
                    "due_at",
                    "yellow_at",
                    "clock_paused_at",
                    "resolved_at",
                    "reasoned_reply_at",
                ],
                condition=~Q(status__in=TERMINAL_STATUSES),
            ),
            # On-time cohorts: the cases whose completion deadline falls in a period.
            models.Index(fields=["due_at"], name="fact_due_idx", condition=Q(due_at__isnull=False)),
            models.Index(
                fields=["lead_department", "due_at"],
                name="fact_lead_due_idx",
                condition=Q(due_at__isnull=False),
            ),
            # Handling time and satisfaction: the cases the departments of a region resolved in a period.
            # Every reader names the departments, so they lead: a county's reads do not grow with the number
            # of counties sharing the database (BENCHMARKS.md, "Partitioning at 3,000,000 cases").
            models.Index(
                fields=["lead_department", "resolved_at"],
                name="fact_lead_resolved_idx",
                include=["handling_days"],
                condition=Q(resolved_at__isnull=False),
            ),
            # Timeliness of a period (``selectors._add_timeliness``): the departments' unsettled facts due
            # before its end, OR-ed with those resolved or withdrawn in it (a bitmap OR of three small scans;
            # without such indexes PostgreSQL read every fact of the history in parallel: 80 ms at 1M).
            models.Index(
                fields=["lead_department", "due_at"],
                name="fact_lead_unsettled_idx",
                condition=Q(resolved_at__isnull=True, withdrawn_at__isnull=True),
            ),
            models.Index(
                fields=["withdrawn_at"], name="fact_withdrawn_idx", condition=Q(withdrawn_at__isnull=False)
            ),
            # Intake trends.
            models.Index(fields=["taken_in_at"], name="fact_taken_idx"),
            # Clocks that show a light (open, neither resolved nor answered with reasons), by the moment they
            # turn yellow: a red or yellow light implies yellow_at <= now, so the overdue list starts here.
            models.Index(
                fields=["yellow_at"],
                name="fact_clock_yellow_idx",
                include=[
                    "due_at",
                    "status",
                    "region_path",
                    "handling_region_path",
                    "lead_department",
                    "category",
                    "matter_kind",
                    "clock_paused_at",
                    "taken_in_at",
                ],
                condition=Q(yellow_at__isnull=False, resolved_at__isnull=True, reasoned_reply_at__isnull=True)
                & ~Q(status__in=TERMINAL_STATUSES),
            ),
            # Clocks still running (open, not resolved, not paused): the only facts whose on-time verdict
            # still changes with the time of day. Small, and it stays small.
            models.Index(
                fields=["due_at", "lead_department"],
                name="fact_running_due_idx",
                condition=Q(due_at__isnull=False, resolved_at__isnull=True, clock_paused_at__isnull=True)
                & ~Q(status__in=TERMINAL_STATUSES),
            ),
        ]

    def __str__(self) -> str:
        return f"fact of case {self.case_id}"


class RegionDayStat(models.Model):
    """Per intake region and local day: cases taken in, resolved, and the on-time verdicts of the cases
    whose completion deadline falls on that day. Maintained by the projection with the facts (deltas in
    the same transaction), so a trend over years sums a few thousand rows instead of reading every case.

    ``running`` counts clocks still running (open, not resolved, not answered with reasons) that are due
    that day: late once the day is over, undecided before; the readers settle today's with a live query.
    """

    day = models.DateField(_("日期"))
    region = models.ForeignKey(Region, verbose_name=_("受理区划"), on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(_("受理区划路径"), max_length=64)
    taken_in = models.IntegerField(_("受理"), default=0)
    resolved = models.IntegerField(_("办结"), default=0)
    on_time = models.IntegerField(_("按期"), default=0)
    late = models.IntegerField(_("超期"), default=0)
    running = models.IntegerField(_("计时中"), default=0)

    class Meta:
        verbose_name = _("区划日统计")
        verbose_name_plural = _("区划日统计")
        constraints = [models.UniqueConstraint(fields=["day", "region"], name="supervision_regionday_unique")]
        indexes = [
            models.Index(
                fields=["region_path", "day"],
                name="regionday_path_idx",
                opclasses=["varchar_pattern_ops", "date_ops"],
            )
        ]

    def __str__(self) -> str:
        return f"{self.region_path} {self.day}"


class DepartmentMonthStat(models.Model):
    """Per lead department and month: on-time verdicts of the cases due that month, resolutions and
    callbacks of the cases resolved that month. Maintained like ``RegionDayStat``; it feeds the monthly
    light board, rankings and bulletins (the handling-time percentiles are read from the facts)."""

    month = models.DateField(_("月份"))
    department = models.ForeignKey(
        Department, verbose_name=_("部门"), on_delete=models.PROTECT, related_name="+"
    )
    on_time = models.IntegerField(_("按期"), default=0)
    late = models.IntegerField(_("超期"), default=0)
    running = models.IntegerField(_("计时中"), default=0)
    resolved = models.IntegerField(_("办结"), default=0)
    handling_days = models.DecimalField(
        _("办理用时合计（工作日）"), max_digits=14, decimal_places=2, default=0
    )
    satisfied = models.IntegerField(_("满意"), default=0)
    basically_satisfied = models.IntegerField(_("基本满意"), default=0)
    unsatisfied = models.IntegerField(_("不满意"), default=0)

    class Meta:
        verbose_name = _("部门月统计")
        verbose_name_plural = _("部门月统计")
        constraints = [
            models.UniqueConstraint(fields=["month", "department"], name="supervision_deptmonth_unique")
        ]

    def __str__(self) -> str:
        return f"{self.department_id} {self.month:%Y-%m}"
