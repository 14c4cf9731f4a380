"""The working-day calendar's tables: ``WorkingDay``, ``BusinessHours``, ``CalendarHorizonAlert`` and their
choices (see ``routing.calendar`` for the invariants). Registered with the routing app through
``routing/models.py``."""

from __future__ import annotations

from datetime import time

import pghistory
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from windowsvc.models import TimeStampedModel, history_trackers

from ..choices import Tier


class DayReason(models.TextChoices):
    """Why a date is (not) a working day."""

    WORKDAY = "workday", _("工作日")
    WEEKEND = "weekend", _("周末")
    HOLIDAY = "holiday", _("法定节假日")
    ADJUSTED_WORKDAY = "adjusted_workday", _("调休上班")
    COUNTY_CLOSURE = "county_closure", _("县级停止办公")


WORKING_REASONS = frozenset({DayReason.WORKDAY, DayReason.ADJUSTED_WORKDAY})


class CalendarSource(models.TextChoices):
    """Where a calendar row came from; seeding never overwrites imported or admin-edited rows."""

    CHINESE_CALENDAR = "chinese_calendar", _("chinese-calendar 数据包")
    IMPORT = "import", _("导入文件")
    ADMIN = "admin", _("管理员维护")


def _check_county(region) -> None:
    if region is not None and region.tier != Tier.COUNTY:
        raise ValidationError({"region": gettext("只能为县级区划设置。")})


@pghistory.track(*history_trackers(), exclude=["updated_at"])
class WorkingDay(TimeStampedModel):
    """One date of the working-day calendar, national (``region`` null) or for one county.

    ``is_working_day`` is derived from ``reason`` on save (and checked by the database).
    """

    date = models.DateField(_("日期"))
    region = models.ForeignKey(
        "routing.Region",
        verbose_name=_("县级区划"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="calendar_days",
        help_text=_("留空为全国日历；选择县级区划表示该县的额外停止办公或调整。"),
    )
    is_working_day = models.BooleanField(_("工作日"))
    reason = models.CharField(_("类型"), max_length=20, choices=DayReason.choices)
    holiday_name = models.CharField(_("节日"), max_length=50, blank=True)
    source = models.CharField(
        _("来源"), max_length=20, choices=CalendarSource.choices, default=CalendarSource.ADMIN
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("工作日历")
        verbose_name_plural = _("工作日历")
        ordering = ["date", "region_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["date"], condition=Q(region__isnull=True), name="routing_workingday_unique_national"
            ),
            models.UniqueConstraint(
                fields=["date", "region"],
                condition=Q(region__isnull=False),
                name="routing_workingday_unique_county",
            ),
            models.CheckConstraint(
                condition=Q(is_working_day=True, reason__in=[DayReason.WORKDAY, DayReason.ADJUSTED_WORKDAY])
                | Q(
                    is_working_day=False,
                    reason__in=[DayReason.WEEKEND, DayReason.HOLIDAY, DayReason.COUNTY_CLOSURE],
                ),
                name="routing_workingday_reason_matches",
            ),
            models.CheckConstraint(
                condition=~Q(reason=DayReason.COUNTY_CLOSURE, region__isnull=True),
                name="routing_workingday_closure_has_county",
            ),
        ]

    def __str__(self) -> str:
        where = f" · {self.region}" if self.region_id else ""
        return f"{self.date.isoformat()} {self.get_reason_display()}{where}"

    def clean(self) -> None:
        self.is_working_day = self.reason in WORKING_REASONS
        _check_county(self.region if self.region_id else None)
        if self.reason == DayReason.COUNTY_CLOSURE and not self.region_id:
            raise ValidationError({"region": gettext("县级停止办公需要选择县级区划。")})

    def save(self, *args, **kwargs):
        self.is_working_day = self.reason in WORKING_REASONS
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "reason" in update_fields:
            kwargs["update_fields"] = {*update_fields, "is_working_day"}
        super().save(*args, **kwargs)


@pghistory.track(*history_trackers(), exclude=["updated_at"])
class BusinessHours(TimeStampedModel):
    """A county's office hours (morning and afternoon sessions), overriding ``settings.BUSINESS_HOURS``.

    Invariant: morning start < morning end <= afternoon start < afternoon end (database check).
    """

    region = models.OneToOneField(
        "routing.Region",
        verbose_name=_("县级区划"),
        on_delete=models.CASCADE,
        related_name="business_hours",
    )
    morning_start = models.TimeField(_("上午上班"))
    morning_end = models.TimeField(_("上午下班"))
    afternoon_start = models.TimeField(_("下午上班"))
    afternoon_end = models.TimeField(_("下午下班"))

    class Meta:
        verbose_name = _("办公时间")
        verbose_name_plural = _("办公时间")
        ordering = ["region__path"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    morning_start__lt=models.F("morning_end"),
                    morning_end__lte=models.F("afternoon_start"),
                    afternoon_start__lt=models.F("afternoon_end"),
                ),
                name="routing_businesshours_ordered",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.region} {self.morning_start:%H:%M}–{self.morning_end:%H:%M}, "
            f"{self.afternoon_start:%H:%M}–{self.afternoon_end:%H:%M}"
        )

    def clean(self) -> None:
        _check_county(self.region if self.region_id else None)
        times = [self.morning_start, self.morning_end, self.afternoon_start, self.afternoon_end]
        if None not in times and not (times[0] < times[1] <= times[2] < times[3]):
            raise ValidationError(gettext("办公时间应依次为：上午上班 < 上午下班 ≤ 下午上班 < 下午下班。"))

    @property
    def periods(self) -> tuple[tuple[time, time], ...]:
        return ((self.morning_start, self.morning_end), (self.afternoon_start, self.afternoon_end))


class CalendarHorizonAlert(TimeStampedModel):
    """A year some deadline needed that the calendar does not hold (one row per year).

    Raised the first time a computation runs past the horizon (results then are provisional) or by
    ``calendar_horizon_check`` ahead of time; ``resolved_at`` is set when the year is loaded and cleared
    if the year is needed again while missing.
    """

    year = models.PositiveSmallIntegerField(_("年份"), unique=True)
    first_needed_on = models.DateField(_("首次需要的日期"))
    horizon = models.DateField(_("当时日历截至"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("已解决时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("日历超出范围提醒")
        verbose_name_plural = _("日历超出范围提醒")
        ordering = ["-year"]

    def __str__(self) -> str:
        return gettext("%(year)s 年工作日历未导入") % {"year": self.year}
