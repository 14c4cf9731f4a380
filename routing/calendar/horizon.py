"""Horizon alerts: the calendar's last national date, and the alerts raised when a computation needs a year
the calendar does not hold (from the snapshot's hook or ahead of time by ``calendar_horizon_check``)."""

from __future__ import annotations

import logging
import time as monotonic_time
from collections.abc import Iterable
from datetime import date, timedelta
from functools import partial

from django.db import DEFAULT_DB_ALIAS, DatabaseError, transaction
from django.db.models import Max
from django.dispatch import Signal
from django.utils import timezone

from ..deadlines import CALENDAR_TIME_ZONE
from .models import CalendarHorizonAlert, WorkingDay

logger = logging.getLogger("routing.calendar")


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
