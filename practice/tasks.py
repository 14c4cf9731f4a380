"""Celery tasks of 常态建设 (beat: ``CELERY_BEAT_SCHEDULE``); each takes no object, calls a service and is
safe to run twice or at once."""

from celery import shared_task
from django.utils.dateparse import parse_datetime

from . import services, sweep


def _moment(now: str | None):
    if not now:
        return None
    moment = parse_datetime(now)
    if moment is None or moment.tzinfo is None:
        raise ValueError(f"now must be an ISO 8601 datetime with a UTC offset, got {now!r}")
    return moment


@shared_task(name="practice.tasks.detect_recurring_problems")
def detect_recurring_problems(now: str | None = None) -> dict[str, int]:
    """Nightly: find and store the recurring problems of the window ending ``now`` (default: now)."""
    return services.recurring_problems_detect(now=_moment(now)).as_dict()


@shared_task(name="practice.tasks.sweep_practice_items")
def sweep_practice_items(now: str | None = None) -> dict[str, int]:
    """Fire the standing-practice items' yellow and overdue reminders due by ``now``."""
    return sweep.sweep(now=_moment(now))
