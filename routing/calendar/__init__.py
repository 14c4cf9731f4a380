"""The working-day calendar: one row per date, business hours, horizon alerts, and the snapshot loader.

Models
- ``WorkingDay``: one row per date and scope. National rows (``region`` null) cover whole years, seeded
  from the ``chinese-calendar`` package (2004–2026 today) or imported from the State Council's yearly
  notice (``manage.py import_calendar``); county rows (``region`` a county) are extra closures or
  overrides that win over the national row of that date for the county and everything below it.
- ``BusinessHours``: a county's own office hours; otherwise ``settings.BUSINESS_HOURS``.
- ``CalendarHorizonAlert``: one row per year that some computation needed but the calendar does not
  hold (or that the daily check found near); resolved when that year is loaded. The daily beat check
  (``calendar_horizon_check``) tells county administrators and superusers in-app once a day, and the
  admin and supervision pages show a banner (``calendar_horizon_warning``), until the year is imported.

Invariants
- ``is_working_day`` agrees with ``reason`` (database check): workday / adjusted working day are working
  days; weekend, statutory holiday and county closure are not. A county closure always has a county.
- At most one national row per date and one row per date and county (partial unique constraints).
- The horizon is the last date with a national row; the deadline arithmetic (``routing.deadlines``) works
  past it on the weekend rule and the statutory holidays known in advance (``routing.holidays``; no
  make-up working days), flags results ``provisional`` and records a horizon alert.
- Writes go through the services (seed, import, ``working_day_set``); every change invalidates the
  per-process snapshot cache (signals for single rows, explicit calls after bulk writes), and other
  processes notice within ``CALENDAR_CACHE_RECHECK_SECONDS`` through a cheap fingerprint query.

Modules: ``models`` (the tables), ``snapshot`` (``calendar_snapshot``, its cache and signals), ``horizon``
(alerts, the daily check and its notice, the banner's warning), ``seed`` (package seeding, one-day edits), ``schedule`` (yearly schedule parsers and import),
``fastclock`` (the integer-microsecond variant of ``routing.deadlines`` for bulk work; not re-exported).
This package re-exports the public names below.
"""

from .horizon import (
    HorizonWarning,
    calendar_administrators,
    calendar_horizon,
    calendar_horizon_alert_record,
    calendar_horizon_check,
    calendar_horizon_warning,
)
from .models import BusinessHours, CalendarHorizonAlert, CalendarSource, DayReason, WorkingDay
from .schedule import (
    CalendarImportError,
    CalendarImportResult,
    Schedule,
    calendar_import,
    calendar_import_file,
    parse_schedule,
)
from .seed import CalendarError, CalendarWriteResult, calendar_seed, package_years, working_day_set
from .snapshot import calendar_cache_clear, calendar_loaded, calendar_snapshot, default_business_periods

__all__ = [
    "BusinessHours",
    "CalendarError",
    "CalendarHorizonAlert",
    "CalendarImportError",
    "CalendarImportResult",
    "CalendarSource",
    "CalendarWriteResult",
    "DayReason",
    "HorizonWarning",
    "Schedule",
    "WorkingDay",
    "calendar_administrators",
    "calendar_cache_clear",
    "calendar_horizon",
    "calendar_horizon_alert_record",
    "calendar_horizon_check",
    "calendar_horizon_warning",
    "calendar_import",
    "calendar_import_file",
    "calendar_loaded",
    "calendar_seed",
    "calendar_snapshot",
    "default_business_periods",
    "package_years",
    "parse_schedule",
    "working_day_set",
]
