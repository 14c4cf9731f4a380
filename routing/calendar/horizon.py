"""Horizon alerts: the calendar's last national date, the alerts recorded when a computation needs a year
the calendar does not hold (the snapshot's hook), and the one path that tells people: the daily
``calendar_horizon_check`` (beat) notifies county administrators and superusers in-app, once a day each,
while ``calendar_horizon_warning`` says so (the banner on the admin and the supervision pages reads it).

Nothing is sent per request or per computation: the hook only records; the check notifies with an outbox
key per day and recipient; the banner only reads.
"""

from __future__ import annotations

import logging
import time as monotonic_time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS, DatabaseError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from ..choices import StaffRole, Tier
from ..deadlines import CALENDAR_TIME_ZONE
from .models import CalendarHorizonAlert, WorkingDay

logger = logging.getLogger("routing.calendar")

# A lost alert (its transaction rolled back) is raised again after this long; the row deduplicates.
_REPORT_INTERVAL_SECONDS = 600.0
_reported_years: dict[int, float] = {}


def warn_days() -> int:
    """How many days before the horizon the warning starts (``CALENDAR_HORIZON_WARN_DAYS``, default 60)."""
    return int(getattr(settings, "CALENDAR_HORIZON_WARN_DAYS", 60))


def calendar_horizon() -> date | None:
    """The last date with a national calendar row, or None when the calendar is empty."""
    return WorkingDay.objects.filter(region__isnull=True).aggregate(last=Max("date"))["last"]


def calendar_horizon_alert_record(
    *, first_days: Iterable[date], horizon: date | None = None
) -> list[CalendarHorizonAlert]:
    """Record a horizon alert for the year of each date (first unloaded date needed in that year).

    Deduplicated per year; returns the alerts raised now (new or reopened). Records only: people are
    told by the daily ``calendar_horizon_check``.
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
    if raised:
        _warnings.clear()
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
        "working-day calendar ends %s: dates in %s were counted on weekends and statutory holidays only "
        "(no make-up working days) and the results are "
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


@dataclass(frozen=True)
class HorizonWarning:
    """Why the calendar needs the next year's schedule now.

    ``horizon`` the last loaded national date (None: nothing loaded), ``days_left`` the days from today to
    it (negative once passed), ``years`` the years to import: the one after the horizon when it is near,
    and every year a computation needed that is still missing.
    """

    horizon: date | None
    days_left: int | None
    years: tuple[int, ...]

    @property
    def year(self) -> int:
        return self.years[0]


def _today(today: date | None) -> date:
    return today or timezone.localdate(timezone=CALENDAR_TIME_ZONE)


# The banners' copy of the warning, per process: pages ask on every request, the answer changes a few
# times a year. Cleared with the snapshot cache (an import, a seed) and when an alert is recorded here.
_WARNING_TTL_SECONDS = 60.0
_warnings: dict[date, tuple[float, HorizonWarning | None]] = {}


def calendar_horizon_warning(*, today: date | None = None, fresh: bool = False) -> HorizonWarning | None:
    """The warning in force on ``today`` (default: today in Beijing), or None when all is well: the
    horizon is at least ``warn_days()`` away and no computation needed a missing year. Reads only (what the
    banners show); two small queries, whose answer is kept per process for a minute unless ``fresh``."""
    today = _today(today)
    now = monotonic_time.monotonic()
    cached = _warnings.get(today)
    if not fresh and cached is not None and now - cached[0] < _WARNING_TTL_SECONDS:
        return cached[1]
    warning = _warning(today)
    _warnings.clear()
    _warnings[today] = (now, warning)
    return warning


def _warning(today: date) -> HorizonWarning | None:
    horizon = calendar_horizon()
    near = horizon is None or horizon < today + timedelta(days=warn_days())
    years = set(CalendarHorizonAlert.objects.filter(resolved_at__isnull=True).values_list("year", flat=True))
    if near:
        years.add(horizon.year + 1 if horizon is not None else today.year)
    if not years:
        return None
    days_left = (horizon - today).days if horizon is not None else None
    return HorizonWarning(horizon=horizon, days_left=days_left, years=tuple(sorted(years)))


def calendar_administrators() -> list[int]:
    """Who must import the next year: active superusers and county administrators (user ids)."""
    county_admin = Q(memberships__role=StaffRole.ADMINISTRATOR, memberships__region__tier=Tier.COUNTY)
    return sorted(
        set(
            get_user_model()
            .objects.filter(Q(is_superuser=True) | county_admin, is_active=True)
            .values_list("pk", flat=True)
        )
    )


def calendar_horizon_check(*, today: date | None = None) -> HorizonWarning | None:
    """The daily check (beat, ``routing.tasks.calendar_horizon_check``): from ``warn_days()`` before the
    horizon until the next year is imported, record the alert for that year and notify every
    ``calendar_administrators()`` user in-app. Once a day per recipient: the outbox key names the day, so
    running it again the same day sends nothing and the next day sends again. Returns the warning, if any.
    """
    from notifications.choices import Channel, Language, TemplateCode
    from notifications.models import ChannelPreference
    from notifications.services import notification_request

    today = _today(today)
    warning = calendar_horizon_warning(today=today, fresh=True)
    if warning is None:
        return None
    logger.warning(
        "working-day calendar ends %s: import the official schedule of %s",
        warning.horizon,
        ", ".join(map(str, warning.years)),
    )
    context = {
        "year": "、".join(map(str, warning.years)),
        "horizon": warning.horizon.isoformat() if warning.horizon else "—",
        "days_left": warning.days_left if warning.days_left is not None else 0,
    }
    with transaction.atomic():
        if warning.horizon is None or warning.horizon < today + timedelta(days=warn_days()):
            first_missing = warning.horizon + timedelta(days=1) if warning.horizon is not None else today
            calendar_horizon_alert_record(first_days=[first_missing], horizon=warning.horizon)
        recipients = calendar_administrators()
        languages = dict(
            ChannelPreference.objects.filter(user_id__in=recipients).values_list("user_id", "language")
        )
        for user_id in recipients:
            notification_request(
                event_key=f"calendar-horizon:{today.isoformat()}",
                template_code=TemplateCode.CALENDAR_HORIZON,
                channel=Channel.IN_APP,
                recipient_user_id=user_id,
                context=context,
                language=languages.get(user_id, Language.ZH_HANS),
            )
    return warning


def _resolve_alerts(years: Iterable[int], *, alert_model=None, using: str = DEFAULT_DB_ALIAS) -> None:
    alert_model = alert_model or CalendarHorizonAlert
    now = timezone.now()
    alert_model.objects.using(using).filter(year__in=list(years), resolved_at__isnull=True).update(
        resolved_at=now, updated_at=now
    )
