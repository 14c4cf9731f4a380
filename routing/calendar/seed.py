"""Writes: national rows seeded from the ``chinese-calendar`` package (``calendar_seed``, and once after
``migrate`` on a fresh database), the reconcile shared with the schedule import, and one-day edits
(``working_day_set``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models.signals import post_migrate
from django.utils import timezone
from django.utils.translation import gettext

from windowsvc.errors import ServiceError

from .horizon import _resolve_alerts
from .models import WORKING_REASONS, CalendarSource, DayReason, WorkingDay, _check_county
from .snapshot import _calendar_changed, _calendar_loaded


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
    years: Iterable[int],
    *,
    model=None,
    alert_model=None,
    using: str = DEFAULT_DB_ALIAS,
    announce: bool = False,
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
        if announce:  # not after migrate: historical models, and no case can need it yet
            _calendar_loaded(years)
    _calendar_changed()
    return CalendarWriteResult(years, created, updated)


def calendar_seed(*, years: Iterable[int] | None = None) -> CalendarWriteResult:
    """Load national rows for ``years`` (default: every year the package covers) from ``chinese-calendar``.

    Idempotent: missing dates are inserted, rows still sourced from the package are corrected if the
    package changed, imported and admin-edited rows are never touched. Raises ``CalendarError`` for a year
    the package does not cover.
    """
    return _seed(package_years() if years is None else years, announce=True)


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
