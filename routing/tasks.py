"""Celery tasks of the organisation app: the daily working-day calendar horizon check (beat)."""

from celery import shared_task

from .calendar import calendar_horizon_check


@shared_task(name="routing.tasks.calendar_horizon_check")
def calendar_horizon_check_task() -> int | None:
    """``routing.calendar.calendar_horizon_check`` for today: safe to run any number of times a day (each
    administrator is told once a day). Returns the year to import, or None when all is well."""
    warning = calendar_horizon_check()
    return warning.year if warning is not None else None
