"""The deadline of a standing-practice item: pure functions (the working-time arithmetic is
``routing.deadlines``, the same every clock of the system counts with; docs/DEADLINES.md).

- ``due_at`` = close of business of the ``days``-th working day after the day the item was opened;
- ``yellow_at`` = close of business of the ``yellow_days(days)``-th working day: the earlier of the share
  ``CASE_YELLOW_SHARE`` (80%) of the days, or one working day before the deadline (the same rule as a case's
  yellow light); the day the item was opened when it was given a single day;
- steps: yellow from ``yellow_at`` on, overdue once ``due_at`` has passed; each fires once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from routing.deadlines import CalendarSnapshot, add_working_days

from .choices import ItemAlarm


@dataclass(frozen=True)
class ItemDeadline:
    due_at: datetime
    yellow_at: datetime
    provisional: bool


def yellow_days(days: int, share: float) -> int:
    return max(0, min(days - 1, int(days * share)))


def item_deadline(start: datetime, days: int, *, share: float, calendar: CalendarSnapshot) -> ItemDeadline:
    due = add_working_days(start, days, calendar=calendar)
    yellow = add_working_days(start, yellow_days(days, share), calendar=calendar)
    return ItemDeadline(due.at, min(yellow.at, due.at), due.provisional or yellow.provisional)


def level_reached(*, due_at: datetime, yellow_at: datetime, now: datetime) -> int:
    if now > due_at:
        return ItemAlarm.OVERDUE
    if now >= yellow_at:
        return ItemAlarm.YELLOW
    return ItemAlarm.NONE


def next_alarm_at(*, due_at: datetime, yellow_at: datetime, level: int) -> datetime | None:
    """When the sweep must look next, given the last step fired (None after the last step)."""
    if level < ItemAlarm.YELLOW:
        return yellow_at
    if level < ItemAlarm.OVERDUE:
        return due_at
    return None
