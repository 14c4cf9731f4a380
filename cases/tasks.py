"""Celery tasks of the closed loop: the deadline sweep (beat, every minute; ``cases/sweep.py``).

Safe to run twice or at once (the sweep claims clocks with ``SKIP LOCKED`` and fires each step once).
"""

from celery import shared_task
from django.utils.dateparse import parse_datetime

from . import sweep


@shared_task(name="cases.tasks.sweep_deadlines")
def sweep_deadlines(now: str | None = None) -> dict[str, int]:
    """Fire the deadline ladder steps due by now; ``now`` (ISO 8601 with offset) is for operators and
    tests that replay a moment, e.g. after downtime. Returns the sweep's counts."""
    moment = None
    if now:
        moment = parse_datetime(now)
        if moment is None or moment.tzinfo is None:
            raise ValueError(f"now must be an ISO 8601 datetime with a UTC offset, got {now!r}")
    return sweep.sweep(now=moment)
