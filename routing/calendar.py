"""The working-day calendar: one row per date, business hours, horizon alerts, and the snapshot loader.

Models
- ``WorkingDay``: one row per date and scope. National rows (``region`` null) cover whole years, seeded
  from the ``chinese-calendar`` package (2004–2026 today) or imported from the State Council's yearly
  notice (``manage.py import_calendar``); county rows (``region`` a county) are extra closures or
  overrides that win over the national row of that date for the county and everything below it.
- ``BusinessHours``: a county's own office hours; otherwise ``settings.BUSINESS_HOURS``.
- ``CalendarHorizonAlert``: one row per year that some computation needed but the calendar does not
  hold; resolved when that year is loaded.

Invariants
- ``is_working_day`` agrees with ``reason`` (database check): workday / adjusted working day are working
  days; weekend, statutory holiday and county closure are not. A county closure always has a county.
- At most one national row per date and one row per date and county (partial unique constraints).
- The horizon is the last date with a national row; the deadline arithmetic (``routing.deadlines``) works
  past it on the weekend rule only, flags results ``provisional`` and raises a horizon alert.
- Writes go through the services below (seed, import, ``working_day_set``); every change invalidates the
  per-process snapshot cache (signals for single rows, explicit calls after bulk writes), and other
  processes notice within ``CALENDAR_CACHE_RECHECK_SECONDS`` through a cheap fingerprint query.
"""

from __future__ import annotations

import csv
import logging
import re
import threading
import time as monotonic_time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, time, timedelta
from functools import partial
from pathlib import Path
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, models, transaction
from django.db.models import Count, Max, Q
from django.db.models.signals import post_delete, post_migrate, post_save
from django.dispatch import Signal, receiver
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from windowsvc.errors import ServiceError
from windowsvc.models import TimeStampedModel

from .choices import Tier
from .deadlines import CALENDAR_TIME_ZONE, DEFAULT_PERIODS, CalendarSnapshot

logger = logging.getLogger("routing.calendar")


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


# --- Alerts --------------------------------------------------------------------------------------------

# Sent (on commit) when a horizon alert is raised or raised again: connect notifications here, e.g.
# ``horizon_alert.connect(notify_administrators)``; receivers get ``alert`` (a CalendarHorizonAlert).
horizon_alert = Signal()

# A lost alert (its transaction rolled back) is raised again after this long; the row deduplicates.
_REPORT_INTERVAL_SECONDS = 600.0
_reported_years: dict[int, float] = {}


def calendar_horizon() -> date | None:
    """The last date with a national calendar row, or None when the calendar is empty."""
    return WorkingDay.objects.filter(region__isnull=True).aggregate(last=Max("date"))["last"]


def calendar_horizon_alert_record(
    *, first_days: Iterable[date], horizon: date | None = None
) -> list[CalendarHorizonAlert]:
    """Record a horizon alert for the year of each date (first unloaded date needed in that year).

    Deduplicated per year; returns the alerts raised now (new or reopened), for which ``horizon_alert``
    is sent once the transaction commits.
    """
    raised = []
    with transaction.atomic():
        for first_day in sorted(first_days):
            alert, created = CalendarHorizonAlert.objects.get_or_create(
                year=first_day.year, defaults={"first_needed_on": first_day, "horizon": horizon}
            )
            if not created:
                if alert.resolved_at is None:
                    continue
                alert.resolved_at = None
                alert.first_needed_on = first_day
                alert.horizon = horizon
                alert.save(update_fields=["resolved_at", "first_needed_on", "horizon", "updated_at"])
            raised.append(alert)
            transaction.on_commit(partial(horizon_alert.send, sender=CalendarHorizonAlert, alert=alert))
    return raised


def _report_past_horizon(first_days: tuple[date, ...], *, horizon: date | None) -> None:
    """The snapshot's hook: a logged warning and a recorded alert, at most once per year per interval."""
    now = monotonic_time.monotonic()
    due = [
        d
        for d in first_days
        if now - _reported_years.get(d.year, -_REPORT_INTERVAL_SECONDS) >= _REPORT_INTERVAL_SECONDS
    ]
    if not due:
        return
    for day in due:
        _reported_years[day.year] = now
    logger.warning(
        "working-day calendar ends %s: dates in %s were counted on weekends only and the results are "
        "provisional; import the official schedule with `manage.py import_calendar FILE`",
        horizon,
        ", ".join(str(d.year) for d in due),
    )
    try:
        # A savepoint: a failed alert must never break the caller's transaction or its computation.
        with transaction.atomic():
            calendar_horizon_alert_record(first_days=due, horizon=horizon)
    except DatabaseError:
        logger.exception("could not record the calendar horizon alert")


def calendar_horizon_check(*, today: date | None = None, warn_days: int = 60) -> CalendarHorizonAlert | None:
    """Raise the alert for the next year ahead of time when the horizon is less than ``warn_days`` away.

    Meant for a daily beat task; returns the alert raised now, if any.
    """
    today = today or timezone.localdate(timezone=CALENDAR_TIME_ZONE)
    horizon = calendar_horizon()
    if horizon is not None and horizon >= today + timedelta(days=warn_days):
        return None
    first_missing = horizon + timedelta(days=1) if horizon is not None else today
    logger.warning(
        "working-day calendar ends %s, within %s days: import next year's schedule", horizon, warn_days
    )
    raised = calendar_horizon_alert_record(first_days=[first_missing], horizon=horizon)
    return raised[0] if raised else None


def _resolve_alerts(years: Iterable[int], *, alert_model=None, using: str = DEFAULT_DB_ALIAS) -> None:
    alert_model = alert_model or CalendarHorizonAlert
    now = timezone.now()
    alert_model.objects.using(using).filter(year__in=list(years), resolved_at__isnull=True).update(
        resolved_at=now, updated_at=now
    )


# --- Snapshot loader and its per-process cache ----------------------------------------------------------


class _CacheEntry:
    __slots__ = ("checked_at", "fingerprint", "snapshot")

    def __init__(self, snapshot: CalendarSnapshot, fingerprint: tuple, checked_at: float):
        self.snapshot = snapshot
        self.fingerprint = fingerprint
        self.checked_at = checked_at


_cache: dict[tuple[str, date | None], _CacheEntry] = {}
_cache_lock = threading.Lock()


def calendar_cache_clear() -> None:
    """Forget every cached snapshot (and the alert rate limit): the next load reads the table again."""
    with _cache_lock:
        _cache.clear()
        _reported_years.clear()


def _calendar_changed() -> None:
    # Now, for this process's next read inside the transaction, and after commit, so no snapshot built
    # from the pre-commit state by another thread survives.
    calendar_cache_clear()
    transaction.on_commit(calendar_cache_clear)


@receiver([post_save, post_delete], sender=WorkingDay, dispatch_uid="routing.calendar.day_changed")
@receiver([post_save, post_delete], sender=BusinessHours, dispatch_uid="routing.calendar.hours_changed")
def _row_changed(sender, **kwargs):
    _calendar_changed()


def _parse_clock(value) -> time:
    return value if isinstance(value, time) else time.fromisoformat(str(value))


def default_business_periods() -> tuple[tuple[time, time], ...]:
    """``settings.BUSINESS_HOURS`` as time pairs (default 08:30–12:00 and 14:00–17:30)."""
    configured = getattr(settings, "BUSINESS_HOURS", None)
    if not configured:
        return DEFAULT_PERIODS
    return tuple((_parse_clock(start), _parse_clock(end)) for start, end in configured)


def _county_code(region) -> str:
    return region.county_code if region is not None else ""


def _scope_filter(county: str, start: date | None) -> Q:
    scope = Q(region__isnull=True)
    if county:
        scope |= Q(region__code=county)
    if start is not None:
        scope &= Q(date__gte=start)
    return scope


def _fingerprint(county: str, start: date | None) -> tuple:
    days = WorkingDay.objects.filter(_scope_filter(county, start)).aggregate(
        n=Count("pk"), last=Max("updated_at")
    )
    hours = (
        BusinessHours.objects.filter(region__code=county).values_list("updated_at", flat=True).first()
        if county
        else None
    )
    return (days["n"], days["last"], hours)


def _build(county: str, start: date | None) -> tuple[CalendarSnapshot, tuple]:
    national: dict[date, bool] = {}
    local: dict[date, bool] = {}
    last_change = None
    count = 0
    # The one query for the date range: national rows and this county's overrides together.
    for day, region_id, working, updated_at in WorkingDay.objects.filter(
        _scope_filter(county, start)
    ).values_list("date", "region_id", "is_working_day", "updated_at"):
        (local if region_id else national)[day] = working
        count += 1
        last_change = updated_at if last_change is None or updated_at > last_change else last_change
    hours = BusinessHours.objects.filter(region__code=county).first() if county else None
    horizon = max(national) if national else None
    snapshot = CalendarSnapshot(
        days={**national, **local},
        horizon=horizon,
        periods=hours.periods if hours is not None else default_business_periods(),
        tz=CALENDAR_TIME_ZONE,
        scope=county,
        on_past_horizon=partial(_report_past_horizon, horizon=horizon),
    )
    return snapshot, (count, last_change, hours.updated_at if hours is not None else None)


def calendar_snapshot(*, region=None, start: date | None = None) -> CalendarSnapshot:
    """The calendar of ``region``'s county (national rows plus the county's overrides and hours), or the
    national calendar when ``region`` is None, for dates from ``start`` on (all dates when None).

    Dates before ``start`` count as unloaded (weekend rule, results provisional, no alert). Built with one
    query for the days (plus one for a county's business hours); cached per process: a change in this
    process invalidates at once, a change made elsewhere is noticed within
    ``settings.CALENDAR_CACHE_RECHECK_SECONDS`` (default 30) by a fingerprint query.
    """
    key = (_county_code(region), start)
    recheck = float(getattr(settings, "CALENDAR_CACHE_RECHECK_SECONDS", 30))
    now = monotonic_time.monotonic()
    with _cache_lock:
        entry = _cache.get(key)
    if entry is not None:
        if now - entry.checked_at < recheck:
            return entry.snapshot
        if _fingerprint(*key) == entry.fingerprint:
            entry.checked_at = now
            return entry.snapshot
        calendar_cache_clear()
    snapshot, fingerprint = _build(*key)
    with _cache_lock:
        _cache[key] = _CacheEntry(snapshot, fingerprint, now)
    return snapshot


# --- Writes: seed from the package, import a yearly schedule, edit one day ---------------------------------


class _DayRow(NamedTuple):
    is_working_day: bool
    reason: str
    holiday_name: str


class CalendarWriteResult(NamedTuple):
    years: tuple[int, ...]
    created: int
    updated: int


class CalendarError(ServiceError):
    """A calendar command that cannot run (e.g. a year the package does not know)."""


def package_years() -> range:
    """The years the installed ``chinese-calendar`` package covers."""
    import chinese_calendar

    known = chinese_calendar.holidays.keys()
    return range(min(known).year, max(known).year + 1)


def _days_of(year: int) -> Iterable[date]:
    day = date(year, 1, 1)
    while day.year == year:
        yield day
        day += timedelta(days=1)


def _plain_row(day: date) -> _DayRow:
    if day.weekday() >= 5:
        return _DayRow(False, DayReason.WEEKEND.value, "")
    return _DayRow(True, DayReason.WORKDAY.value, "")


def _package_rows(years: Iterable[int]) -> dict[date, _DayRow]:
    import chinese_calendar

    def name(value: str) -> str:
        try:
            return chinese_calendar.Holiday(value).chinese
        except ValueError:
            return value

    rows = {}
    for year in years:
        for day in _days_of(year):
            if day in chinese_calendar.holidays:
                rows[day] = _DayRow(False, DayReason.HOLIDAY.value, name(chinese_calendar.holidays[day]))
            elif day in chinese_calendar.workdays:
                rows[day] = _DayRow(
                    True, DayReason.ADJUSTED_WORKDAY.value, name(chinese_calendar.workdays[day])
                )
            else:
                rows[day] = _plain_row(day)
    return rows


def _reconcile_national(
    rows: Mapping[date, _DayRow],
    *,
    source: str,
    note: str = "",
    overwrite: frozenset[str],
    model=None,
    using: str = DEFAULT_DB_ALIAS,
) -> tuple[int, int]:
    """Insert missing national rows and rewrite those whose source is in ``overwrite`` when they differ.

    Returns (created, updated). Runs inside the caller's transaction.
    """
    model = model or WorkingDay
    manager = model.objects.using(using)
    existing = {
        row.date: row for row in manager.filter(region__isnull=True, date__gte=min(rows), date__lte=max(rows))
    }
    now = timezone.now()
    to_create, to_update = [], []
    for day, row in sorted(rows.items()):
        current = existing.get(day)
        if current is None:
            to_create.append(
                model(
                    date=day,
                    region=None,
                    is_working_day=row.is_working_day,
                    reason=row.reason,
                    holiday_name=row.holiday_name,
                    source=source,
                    note=note,
                )
            )
        elif current.source in overwrite and (
            current.is_working_day,
            current.reason,
            current.holiday_name,
            current.source,
            current.note,
        ) != (row.is_working_day, row.reason, row.holiday_name, source, note):
            current.is_working_day, current.reason, current.holiday_name = row
            current.source, current.note, current.updated_at = source, note, now
            to_update.append(current)
    # ignore_conflicts: two seeders at once (two migrate runs) must not fail on each other's rows.
    manager.bulk_create(to_create, batch_size=2000, ignore_conflicts=True)
    manager.bulk_update(
        to_update,
        ["is_working_day", "reason", "holiday_name", "source", "note", "updated_at"],
        batch_size=500,
    )
    return len(to_create), len(to_update)


def _seed(
    years: Iterable[int], *, model=None, alert_model=None, using: str = DEFAULT_DB_ALIAS
) -> CalendarWriteResult:
    years = tuple(sorted(set(years)))
    known = package_years()
    unknown = [year for year in years if year not in known]
    if unknown:
        raise CalendarError(
            gettext(
                "chinese-calendar 没有 %(years)s 年的数据（支持 %(first)s–%(last)s 年）；请用 import_calendar 导入国务院公布的安排。"
            )
            % {"years": "、".join(map(str, unknown)), "first": known.start, "last": known.stop - 1}
        )
    if not years:
        return CalendarWriteResult((), 0, 0)
    with transaction.atomic(using=using):
        created, updated = _reconcile_national(
            _package_rows(years),
            source=CalendarSource.CHINESE_CALENDAR.value,
            overwrite=frozenset({CalendarSource.CHINESE_CALENDAR.value}),
            model=model,
            using=using,
        )
        _resolve_alerts(years, alert_model=alert_model, using=using)
    _calendar_changed()
    return CalendarWriteResult(years, created, updated)


def calendar_seed(*, years: Iterable[int] | None = None) -> CalendarWriteResult:
    """Load national rows for ``years`` (default: every year the package covers) from ``chinese-calendar``.

    Idempotent: missing dates are inserted, rows still sourced from the package are corrected if the
    package changed, imported and admin-edited rows are never touched. Raises ``CalendarError`` for a year
    the package does not cover.
    """
    return _seed(package_years() if years is None else years)


def _seed_after_migrate(sender, *, using=DEFAULT_DB_ALIAS, apps=None, verbosity=1, **kwargs):
    """A fresh database (and a test database after a flush) gets the package's calendar at once."""
    if getattr(sender, "label", None) != "routing":
        return
    if apps is None:  # flush (and TransactionTestCase) sends post_migrate without the migration state
        from django.apps import apps
    try:
        model = apps.get_model("routing", "WorkingDay")
        alert_model = apps.get_model("routing", "CalendarHorizonAlert")
    except LookupError:  # migrated backwards past the calendar's migration
        return
    years = package_years()
    first, last = date(years.start, 1, 1), date(years.stop - 1, 12, 31)
    loaded = model.objects.using(using).filter(region__isnull=True, date__gte=first, date__lte=last).count()
    if loaded == (last - first).days + 1:  # the usual migrate: already complete, one count query
        return
    result = _seed(years, model=model, alert_model=alert_model, using=using)
    if verbosity >= 2:
        print(f"  working-day calendar {years.start}–{years.stop - 1}: {result.created} days added")


post_migrate.connect(_seed_after_migrate, dispatch_uid="routing.calendar.seed_after_migrate")


# --- Import of a yearly schedule (the State Council's notice, transcribed) ------------------------------


class CalendarImportError(ServiceError):
    """A schedule file that cannot be imported; ``errors`` is a list of (line or None, message)."""

    def __init__(self, errors: list[tuple[int | None, str]]):
        self.errors = sorted(errors, key=lambda item: (item[0] or 0, item[1]))
        super().__init__("\n".join(self.lines()))

    def lines(self, source: str = "") -> list[str]:
        prefix = f"{source}:" if source else ""
        return [
            f"{prefix}{line}: {message}" if line else f"{prefix} {message}".strip()
            for line, message in self.errors
        ]


@dataclass(frozen=True)
class ScheduleEntry:
    day: date
    is_working_day: bool
    name: str
    line: int


@dataclass(frozen=True)
class Schedule:
    """One year's official schedule: days off (放假) and make-up working days (调休上班), by holiday."""

    year: int
    entries: tuple[ScheduleEntry, ...]
    example: bool = False
    example_line: int | None = None

    def rows(self) -> dict[date, _DayRow]:
        """Every date of the year: the listed days as given, the rest by the weekend rule."""
        listed = {entry.day: entry for entry in self.entries}
        rows = {}
        for day in _days_of(self.year):
            entry = listed.get(day)
            if entry is None:
                rows[day] = _plain_row(day)
            elif entry.is_working_day:
                rows[day] = _DayRow(True, DayReason.ADJUSTED_WORKDAY.value, entry.name)
            else:
                rows[day] = _DayRow(False, DayReason.HOLIDAY.value, entry.name)
        return rows


_DAYS_SPEC = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})\s*(?:\.\.\s*(\d{4}-\d{2}-\d{2})\s*)?$")
_MAX_RANGE_DAYS = 31  # the longest official break is 9 days; a longer range is a typo
_WEEKDAYS = "一二三四五六日"


def _expand_days(spec: str, line: int, errors: list) -> list[date]:
    """``2027-02-06`` or ``2027-02-06..2027-02-13`` (inclusive) → dates."""
    match = _DAYS_SPEC.match(spec)
    if not match:
        errors.append(
            (
                line,
                gettext("无法识别的日期“%(value)s”，应为 YYYY-MM-DD 或 YYYY-MM-DD..YYYY-MM-DD。")
                % {"value": spec},
            )
        )
        return []
    try:
        first = date.fromisoformat(match.group(1))
        last = date.fromisoformat(match.group(2)) if match.group(2) else first
    except ValueError:
        errors.append((line, gettext("日期“%(value)s”不存在。") % {"value": spec}))
        return []
    if last < first:
        errors.append((line, gettext("日期范围“%(value)s”的结束早于开始。") % {"value": spec}))
        return []
    if (last - first).days >= _MAX_RANGE_DAYS:
        errors.append(
            (line, gettext("日期范围“%(value)s”超过 %(n)s 天。") % {"value": spec, "n": _MAX_RANGE_DAYS})
        )
        return []
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _check_entries(year: int | None, entries: list[ScheduleEntry], errors: list) -> None:
    seen: dict[date, int] = {}
    for entry in entries:
        if year is not None and entry.day.year != year:
            errors.append(
                (entry.line, gettext("日期 %(day)s 不在 %(year)s 年。") % {"day": entry.day, "year": year})
            )
        if entry.day in seen:
            errors.append(
                (
                    entry.line,
                    gettext("日期 %(day)s 重复（第 %(first)s 行已列出）。")
                    % {"day": entry.day, "first": seen[entry.day]},
                )
            )
        else:
            seen[entry.day] = entry.line
        if entry.is_working_day and entry.day.weekday() < 5:
            errors.append(
                (
                    entry.line,
                    gettext("调休上班日 %(day)s 是星期%(weekday)s；调休上班只会在周六或周日。")
                    % {"day": entry.day, "weekday": _WEEKDAYS[entry.day.weekday()]},
                )
            )
    if not any(not entry.is_working_day for entry in entries):
        errors.append((None, gettext("文件没有列出任何放假日期。")))


def _parse_yaml(text: str) -> Schedule:
    import yaml
    from yaml.nodes import MappingNode, ScalarNode, SequenceNode

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise CalendarImportError(
            [
                (
                    mark.line + 1 if mark else None,
                    gettext("YAML 格式错误：%(problem)s") % {"problem": exc.problem or exc},
                )
            ]
        ) from exc
    except yaml.YAMLError as exc:
        raise CalendarImportError([(None, gettext("YAML 格式错误：%(problem)s") % {"problem": exc})]) from exc

    errors: list[tuple[int | None, str]] = []

    def line_of(node) -> int:
        return node.start_mark.line + 1

    def scalar(node, what: str) -> str | None:
        if isinstance(node, ScalarNode) and node.value.strip():
            return node.value.strip()
        errors.append((line_of(node), gettext("%(what)s应为一个值。") % {"what": what}))
        return None

    def mapping(node, allowed: set[str], what: str) -> dict:
        if not isinstance(node, MappingNode):
            errors.append((line_of(node), gettext("%(what)s应为键值映射。") % {"what": what}))
            return {}
        found = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else None
            if key not in allowed:
                errors.append(
                    (
                        line_of(key_node),
                        gettext("未知的键“%(key)s”（可用：%(allowed)s）。")
                        % {"key": key, "allowed": "、".join(sorted(allowed))},
                    )
                )
            elif key in found:
                errors.append((line_of(key_node), gettext("键“%(key)s”重复。") % {"key": key}))
            else:
                found[key] = value_node
        return found

    if root is None:
        raise CalendarImportError([(1, gettext("文件为空。"))])
    top = mapping(root, {"year", "example", "note", "holidays"}, gettext("文件"))
    year = None
    if "year" not in top:
        errors.append((1, gettext("缺少年份（year）。")))
    else:
        value = scalar(top["year"], "year")
        if value is not None:
            if value.isdigit() and 2000 <= int(value) <= 2100:
                year = int(value)
            else:
                errors.append((line_of(top["year"]), gettext("年份“%(value)s”无效。") % {"value": value}))
    example, example_line = False, None
    if "example" in top:
        value = scalar(top["example"], "example")
        if value is not None:
            if value.lower() not in {"true", "false", "yes", "no"}:
                errors.append((line_of(top["example"]), gettext("example 应为 true 或 false。")))
            example = value.lower() in {"true", "yes"}
            example_line = line_of(top["example"])

    entries: list[ScheduleEntry] = []
    holidays = top.get("holidays")
    if holidays is None:
        errors.append((1, gettext("缺少节假日列表（holidays）。")))
    elif not isinstance(holidays, SequenceNode):
        errors.append((line_of(holidays), gettext("holidays 应为列表。")))
    else:
        for item in holidays.value:
            fields = mapping(item, {"name", "off", "work"}, gettext("每个节日"))
            if not fields:
                continue
            name = scalar(fields["name"], "name") if "name" in fields else None
            if "name" not in fields:
                errors.append((line_of(item), gettext("缺少节日名称（name）。")))
            if "off" not in fields:
                errors.append((line_of(item), gettext("缺少放假日期（off）。")))
            for key, working in (("off", False), ("work", True)):
                node = fields.get(key)
                if node is None:
                    continue
                specs = node.value if isinstance(node, SequenceNode) else [node]
                for spec in specs:
                    value = scalar(spec, key)
                    if value is None:
                        continue
                    for day in _expand_days(value, line_of(spec), errors):
                        entries.append(ScheduleEntry(day, working, name or "", line_of(spec)))
    _check_entries(year, entries, errors)
    if errors or year is None:
        raise CalendarImportError(errors)
    return Schedule(year, tuple(entries), example, example_line)


_CSV_KINDS = {"off": False, "放假": False, "holiday": False, "work": True, "上班": True, "workday": True}


def _parse_csv(text: str) -> Schedule:
    errors: list[tuple[int | None, str]] = []
    entries: list[ScheduleEntry] = []
    header_seen = False
    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        cells = [cell.strip() for cell in next(csv.reader([raw]))]
        if not header_seen:
            header_seen = True
            if [cell.lower() for cell in cells] != ["date", "type", "name"]:
                errors.append((number, gettext("第一行应为表头 date,type,name。")))
                break
            continue
        if len(cells) != 3:
            errors.append(
                (number, gettext("应有 3 列（date,type,name），实有 %(n)s 列。") % {"n": len(cells)})
            )
            continue
        spec, kind, name = cells
        if kind.lower() not in _CSV_KINDS:
            errors.append(
                (
                    number,
                    gettext("类型“%(kind)s”无效，应为 off（放假）或 work（调休上班）。") % {"kind": kind},
                )
            )
            continue
        if not name:
            errors.append((number, gettext("缺少节日名称。")))
        for day in _expand_days(spec, number, errors):
            entries.append(ScheduleEntry(day, _CSV_KINDS[kind.lower()], name, number))
    if not header_seen:
        errors.append((1, gettext("文件为空。")))
    years = sorted({entry.day.year for entry in entries})
    year = years[0] if years else None
    _check_entries(year, entries, errors)
    if errors or year is None:
        raise CalendarImportError(errors)
    return Schedule(year, tuple(entries))


def parse_schedule(text: str, *, fmt: str) -> Schedule:
    """Parse a schedule file (``fmt`` "yaml" or "csv"); raises ``CalendarImportError`` with line numbers.

    YAML::

        year: 2027
        holidays:
          - name: 春节
            off: [2027-02-05..2027-02-13]     # days off, single dates or inclusive ranges
            work: [2027-02-14, 2027-02-20]    # make-up working days (调休上班), weekends only

    CSV (one year per file; ``#`` lines are comments)::

        date,type,name
        2027-02-05..2027-02-13,off,春节
        2027-02-14,work,春节
    """
    if fmt == "yaml":
        return _parse_yaml(text)
    if fmt == "csv":
        return _parse_csv(text)
    raise CalendarImportError([(None, gettext("不支持的格式“%(fmt)s”，应为 yaml 或 csv。") % {"fmt": fmt})])


class CalendarImportResult(NamedTuple):
    year: int
    created: int
    updated: int
    days_off: int
    make_up_days: int
    horizon: date | None


def calendar_import(
    *, text: str, fmt: str, source_name: str = "", allow_example: bool = False, dry_run: bool = False
) -> CalendarImportResult:
    """Import one year's official schedule: every date of that year becomes a national row.

    All or nothing: the file is checked completely first (every error with its line), then written in one
    transaction. Idempotent: importing the same file again changes nothing. The imported year replaces
    that year's national rows whatever their source (the notice is authoritative); county rows stay.
    A file marked ``example: true`` is refused unless ``allow_example``.
    """
    schedule = parse_schedule(text, fmt=fmt)
    if schedule.example and not allow_example:
        raise CalendarImportError(
            [
                (
                    schedule.example_line,
                    gettext(
                        "这是示例文件（example: true），不是国务院公布的安排；确需导入请加 --allow-example。"
                    ),
                )
            ]
        )
    days_off = sum(1 for entry in schedule.entries if not entry.is_working_day)
    make_up = len(schedule.entries) - days_off
    if dry_run:
        return CalendarImportResult(schedule.year, 0, 0, days_off, make_up, calendar_horizon())
    all_sources = frozenset(CalendarSource.values)
    with transaction.atomic():
        created, updated = _reconcile_national(
            schedule.rows(),
            source=CalendarSource.IMPORT.value,
            note=source_name[:200],
            overwrite=all_sources,
        )
        _resolve_alerts([schedule.year])
    _calendar_changed()
    return CalendarImportResult(schedule.year, created, updated, days_off, make_up, calendar_horizon())


def calendar_import_file(*, path: str | Path, fmt: str | None = None, **options) -> CalendarImportResult:
    """:func:`calendar_import` of a file; the format follows the suffix (.yaml/.yml/.csv) unless given."""
    path = Path(path)
    if fmt is None:
        fmt = {".yaml": "yaml", ".yml": "yaml", ".csv": "csv"}.get(path.suffix.lower(), "")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CalendarImportError([(None, gettext("无法读取文件：%(error)s") % {"error": exc})]) from exc
    return calendar_import(text=text, fmt=fmt, source_name=path.name, **options)


def working_day_set(
    *,
    day: date,
    reason: str,
    region=None,
    holiday_name: str = "",
    note: str = "",
    source: str = CalendarSource.ADMIN,
) -> WorkingDay:
    """Create or change the row of ``day`` for ``region`` (None: national), e.g. a county closure.

    ``is_working_day`` follows from ``reason``; the cache is invalidated by the save signal.
    """
    _check_county(region)
    if reason == DayReason.COUNTY_CLOSURE and region is None:
        raise ValidationError({"region": gettext("县级停止办公需要选择县级区划。")})
    with transaction.atomic():
        row, _created = WorkingDay.objects.select_for_update().get_or_create(
            date=day,
            region=region,
            defaults={
                "reason": reason,
                "is_working_day": reason in WORKING_REASONS,
                "holiday_name": holiday_name,
                "note": note,
                "source": source,
            },
        )
        if not _created:
            row.reason, row.holiday_name, row.note, row.source = reason, holiday_name, note, source
            row.save(update_fields=["reason", "holiday_name", "note", "source", "updated_at"])
    return row


__all__ = [
    "BusinessHours",
    "CalendarError",
    "CalendarHorizonAlert",
    "CalendarImportError",
    "CalendarImportResult",
    "CalendarSource",
    "CalendarWriteResult",
    "DayReason",
    "Schedule",
    "WorkingDay",
    "calendar_cache_clear",
    "calendar_horizon",
    "calendar_horizon_alert_record",
    "calendar_horizon_check",
    "calendar_import",
    "calendar_import_file",
    "calendar_seed",
    "calendar_snapshot",
    "default_business_periods",
    "horizon_alert",
    "package_years",
    "parse_schedule",
    "working_day_set",
]
