"""共性问题 and 常态建设: clusters of cases that keep coming back, and the items that fix them at the root.

Invariants:
- ``RecurringProblem`` is unique on (kind, key): the nightly detector updates a cluster it finds again and
  never makes a second row for it; its cases only grow (``RecurringProblemCase``), counts and times are
  refreshed by each run. ``region`` is the deepest region holding every case of the cluster (their common
  ancestor), ``region_path`` its stored path: the scoping prefix.
- ``PracticeItem.status`` changes only through ``practice.services`` (``_transition``), which locks the
  row, checks the transition table and writes exactly one ``PracticeItemEvent`` in the same transaction.
- ``PracticeItemEvent`` rows are append-only (the model and the queryset refuse updates and deletes).
- ``due_at`` / ``yellow_at`` are stored times on the working-day calendar; ``next_alarm_at`` is when the
  sweep must look at the item next (NULL = nothing to watch) and ``alarm_level`` the last step fired.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Case, Category
from routing.models import Department, Region
from windowsvc.models import AppendOnlyModel, AppendOnlyViolation, TimeStampedModel, random_upload_name

from .choices import CLOCK_STATUSES, ItemAlarm, ItemCommand, ItemStatus, Measure, RecurringKind
from .querysets import PracticeItemEventQuerySet, PracticeItemQuerySet, RecurringProblemQuerySet


class CaseTerms(models.Model):
    """The content words of one case's title and description (jieba), kept so the nightly detector segments
    each case once, not every night; space-separated, unique, in first-seen order."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, primary_key=True, related_name="+")
    terms = models.TextField(blank=True)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("案件分词")
        verbose_name_plural = _("案件分词")

    def __str__(self) -> str:
        return f"{self.case_id}: {self.terms[:40]}"

    @property
    def term_set(self) -> frozenset[str]:
        return frozenset(self.terms.split())


class RecurringProblem(TimeStampedModel):
    """共性问题: a cluster of cases found by the detector (``practice.detector``)."""

    kind = models.CharField(_("类型"), max_length=24, choices=RecurringKind.choices)
    # Stable identity of the cluster within its kind: "category:<id>:department:<id>", or for text clusters
    # a digest of the county and the core terms when first found (kept when later runs match it again).
    key = models.CharField(_("标识"), max_length=80, editable=False)
    county = models.ForeignKey(
        Region, verbose_name=_("所属县(市、区)"), on_delete=models.PROTECT, related_name="+"
    )
    region = models.ForeignKey(Region, verbose_name=_("区划"), on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(_("区划路径"), max_length=64, editable=False)
    category = models.ForeignKey(
        Category,
        verbose_name=_("事项类别"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("主办部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Core terms of a text cluster (present in at least half of its cases), space-separated.
    terms = models.CharField(_("共同关键词"), max_length=300, blank=True)
    title = models.CharField(_("名称"), max_length=200)
    cases = models.ManyToManyField(Case, through="RecurringProblemCase", related_name="+")
    case_count = models.PositiveIntegerField(_("案件数"), default=0)
    # Cases of the cluster taken in within the window of the latest run that found it.
    window_count = models.PositiveIntegerField(_("统计期内案件数"), default=0)
    first_case_at = models.DateTimeField(_("最早受理"), null=True, blank=True)
    last_case_at = models.DateTimeField(_("最近受理"), null=True, blank=True)
    first_seen_at = models.DateTimeField(_("首次发现"), default=timezone.now)
    last_seen_at = models.DateTimeField(_("最近发现"), default=timezone.now)

    objects = RecurringProblemQuerySet.as_manager()

    class Meta:
        verbose_name = _("共性问题")
        verbose_name_plural = _("共性问题")
        ordering = ["-last_seen_at", "-window_count", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "key"], name="practice_problem_unique_key"),
        ]
        indexes = [
            models.Index(
                fields=["region_path"], name="practice_problem_path_idx", opclasses=["varchar_pattern_ops"]
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def term_list(self) -> list[str]:
        return self.terms.split()


class RecurringProblemCase(models.Model):
    """One case of a cluster; rows are added by the detector and never removed."""

    problem = models.ForeignKey(RecurringProblem, on_delete=models.CASCADE, related_name="memberships")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["problem", "case"], name="practice_problem_case_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.problem_id}:{self.case_id}"


def evidence_path(instance: PracticeItem, filename: str) -> str:
    return random_upload_name("practice", filename)


class PracticeItem(TimeStampedModel):
    """常态建设事项: a root fix with a responsible department and a deadline in working days.

    Source: ``source_problem`` when made from a recurring problem. Hook for write-ups (案例): the library
    adds one more nullable foreign key (``source_case_study`` → ``library.CaseStudy``) and a service that
    calls ``practice.services.practice_item_create`` with the write-up's region and title; the item itself
    needs nothing else (``region`` and ``title`` are its own, not read through the source).
    """

    source_problem = models.ForeignKey(
        RecurringProblem,
        verbose_name=_("来源共性问题"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="items",
    )
    title = models.CharField(_("名称"), max_length=200)
    measure = models.CharField(_("整改措施"), max_length=16, choices=Measure.choices)
    description = models.TextField(_("整改内容"))
    responsible_department = models.ForeignKey(
        Department, verbose_name=_("责任部门"), on_delete=models.PROTECT, related_name="practice_items"
    )
    region = models.ForeignKey(Region, verbose_name=_("区划"), on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(_("区划路径"), max_length=64, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("立项人"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("状态"), max_length=16, choices=ItemStatus.choices, default=ItemStatus.OPEN)
    days = models.PositiveSmallIntegerField(_("完成时限（工作日）"))
    due_at = models.DateTimeField(_("完成时限"), editable=False)
    yellow_at = models.DateTimeField(_("提醒时间"), editable=False)
    deadline_provisional = models.BooleanField(_("时限待确认"), default=False, editable=False)
    started_at = models.DateTimeField(_("开始落实"), null=True, blank=True, editable=False)
    submitted_at = models.DateTimeField(_("报告完成时间"), null=True, blank=True, editable=False)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True, editable=False)
    cancelled_at = models.DateTimeField(_("撤销时间"), null=True, blank=True, editable=False)
    evidence_text = models.TextField(_("完成情况"), blank=True, editable=False)
    evidence_file = models.FileField(
        _("佐证材料"), upload_to=evidence_path, max_length=200, blank=True, editable=False
    )
    evidence_name = models.CharField(_("佐证材料文件名"), max_length=200, blank=True, editable=False)
    evidence_content_type = models.CharField(max_length=100, blank=True, editable=False)
    next_alarm_at = models.DateTimeField(null=True, blank=True, editable=False)
    alarm_level = models.PositiveSmallIntegerField(
        _("提醒级别"), choices=ItemAlarm.choices, default=ItemAlarm.NONE, editable=False
    )
    version = models.PositiveIntegerField(_("版本"), default=0, editable=False)

    objects = PracticeItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("常态建设事项")
        verbose_name_plural = _("常态建设事项")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["region_path"], name="practice_item_path_idx", opclasses=["varchar_pattern_ops"]
            ),
            # The sweep claims only the items it must look at.
            models.Index(
                fields=["next_alarm_at"],
                name="practice_item_alarm_idx",
                condition=Q(next_alarm_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def number(self) -> str:
        """The item's reference in messages and pages (no counter of its own: the id is enough)."""
        return f"CT-{self.pk:06d}" if self.pk else "CT-?"

    @property
    def clock_running(self) -> bool:
        return self.status in CLOCK_STATUSES

    def light_at(self, now=None) -> str | None:
        """green / yellow / red while the department owes the work; None otherwise."""
        if not self.clock_running:
            return None
        now = now or timezone.now()
        if now > self.due_at:
            return "red"
        return "yellow" if now >= self.yellow_at else "green"

    @property
    def light(self) -> str | None:
        return self.light_at()

    @property
    def done_on_time(self) -> bool | None:
        """Reported done by the deadline (the acceptance may come later); None until done."""
        if self.status != ItemStatus.DONE or self.submitted_at is None:
            return None
        return self.submitted_at <= self.due_at


class PracticeItemImmutable(AppendOnlyViolation):
    """Raised on any attempt to change or delete a history entry."""


class PracticeItemEvent(AppendOnlyModel):
    """One entry of an item's history: a command or a sweep step (actor NULL), append-only."""

    item = models.ForeignKey(PracticeItem, on_delete=models.PROTECT, related_name="events")
    sequence = models.PositiveIntegerField()
    kind = models.CharField(_("操作"), max_length=16, choices=ItemCommand.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    from_status = models.CharField(max_length=16, choices=ItemStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=ItemStatus.choices)
    text = models.TextField(_("说明"), blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    append_only_error = PracticeItemImmutable
    objects = PracticeItemEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("常态建设事项记录")
        verbose_name_plural = _("常态建设事项记录")
        ordering = ["item_id", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["item", "sequence"], name="practice_event_unique_sequence"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}#{self.sequence} {self.kind}"
