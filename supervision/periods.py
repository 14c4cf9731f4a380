"""Reporting periods (week, month, quarter, year) as half-open ranges of aware datetimes, Beijing time.

A period is ``[start, end)`` in ``Asia/Shanghai``: March 2026 runs from 2026-03-01 00:00 +08:00 up to,
not including, 2026-04-01 00:00 +08:00. Weeks start on Monday. Parsing accepts ``2026-03`` (month),
``2026-Q1`` (quarter), ``2026`` (year) and ``2026-W10`` (ISO week).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils.translation import gettext as _

from routing.deadlines import CALENDAR_TIME_ZONE

WEEK, MONTH, QUARTER, YEAR = "week", "month", "quarter", "year"
KINDS = (WEEK, MONTH, QUARTER, YEAR)


@dataclass(frozen=True)
class Period:
    kind: str
    first_day: date
    next_first_day: date  # the first day of the next period (exclusive end)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, time.min, tzinfo=CALENDAR_TIME_ZONE)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.next_first_day, time.min, tzinfo=CALENDAR_TIME_ZONE)

    @property
    def key(self) -> str:
        """The period as it is written in URLs: ``2026-03``, ``2026-Q1``, ``2026``, ``2026-W10``."""
        if self.kind == MONTH:
            return f"{self.first_day:%Y-%m}"
        if self.kind == QUARTER:
            return f"{self.first_day.year}-Q{(self.first_day.month - 1) // 3 + 1}"
        if self.kind == YEAR:
            return f"{self.first_day.year}"
        year, week, _day = self.first_day.isocalendar()
        return f"{year}-W{week:02d}"

    @property
    def label(self) -> str:
        if self.kind == MONTH:
            return _("%(y)s年%(m)s月") % {"y": self.first_day.year, "m": self.first_day.month}
        if self.kind == QUARTER:
            return _("%(y)s年第%(q)s季度") % {
                "y": self.first_day.year,
                "q": (self.first_day.month - 1) // 3 + 1,
            }
        if self.kind == YEAR:
            return _("%(y)s年") % {"y": self.first_day.year}
        return f"{self.first_day:%m-%d}"

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    def previous(self) -> Period:
        return period_containing(self.kind, self.first_day - timedelta(days=1))

    def next(self) -> Period:
        return period_containing(self.kind, self.next_first_day)

    def months(self) -> list[Period]:
        """The months of a quarter or year (the month itself for a month)."""
        result, month = [], period_containing(MONTH, self.first_day)
        while month.first_day < self.next_first_day:
            result.append(month)
            month = month.next()
        return result


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_containing(kind: str, day: date) -> Period:
    if kind == WEEK:
        first = day - timedelta(days=day.weekday())
        return Period(WEEK, first, first + timedelta(days=7))
    if kind == MONTH:
        first = day.replace(day=1)
        return Period(MONTH, first, _add_months(first, 1))
    if kind == QUARTER:
        first = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
        return Period(QUARTER, first, _add_months(first, 3))
    if kind == YEAR:
        return Period(YEAR, date(day.year, 1, 1), date(day.year + 1, 1, 1))
    raise ValueError(f"unknown period kind {kind!r}")


def local_date(moment: datetime) -> date:
    return moment.astimezone(CALENDAR_TIME_ZONE).date()


def current_period(kind: str, now: datetime) -> Period:
    return period_containing(kind, local_date(now))


def last_periods(kind: str, count: int, now: datetime) -> list[Period]:
    """The ``count`` periods up to and including the current one, oldest first."""
    periods = [current_period(kind, now)]
    while len(periods) < count:
        periods.insert(0, periods[0].previous())
    return periods


_PATTERNS = (
    (re.compile(r"^(\d{4})-(\d{2})$"), MONTH),
    (re.compile(r"^(\d{4})-[Qq]([1-4])$"), QUARTER),
    (re.compile(r"^(\d{4})$"), YEAR),
    (re.compile(r"^(\d{4})-W(\d{2})$"), WEEK),
)


def parse_period(text: str | None, *, default_kind: str = MONTH, now: datetime) -> Period:
    """A period from its URL form; the current period of ``default_kind`` when empty or invalid."""
    text = (text or "").strip()
    for pattern, kind in _PATTERNS:
        match = pattern.match(text)
        if not match:
            continue
        year = int(match.group(1))
        try:
            if kind == MONTH:
                return period_containing(MONTH, date(year, int(match.group(2)), 1))
            if kind == QUARTER:
                return period_containing(QUARTER, date(year, (int(match.group(2)) - 1) * 3 + 1, 1))
            if kind == YEAR:
                return period_containing(YEAR, date(year, 1, 1))
            return period_containing(WEEK, date.fromisocalendar(year, int(match.group(2)), 1))
        except ValueError:
            break
    return current_period(default_kind, now)
