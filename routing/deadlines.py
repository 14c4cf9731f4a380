"""Working-time arithmetic on the official Chinese calendar: pure functions over a calendar snapshot.

Nothing here touches the database. A :class:`CalendarSnapshot` (built from the ``WorkingDay`` table by
``routing.calendar.calendar_snapshot()`` with one query, cached per process) says which dates are working
days and what the business hours are; the functions below only read it. Every clock of the system (case
and assignment deadlines, suspend/resume bookkeeping, lights, overdue counts) uses these definitions:

Time zone
    The calendar is Beijing time (Asia/Shanghai): dates, business hours and "close of business" are read
    there. Inputs are aware datetimes in any zone (naive ones raise ``ValueError``); results are aware
    datetimes in UTC, to be stored and compared in UTC and shown in Asia/Shanghai.

Business hours
    The snapshot's periods, by default 08:30–12:00 and 14:00–17:30 (7 hours a working day), the same on
    every working day. *Opening* is the start of the first period, *close of business* the end of the last.

Working day
    A date whose calendar row says so: statutory holidays are off and some Saturdays and Sundays are
    working days (调休, e.g. 2026-02-14 and 2026-10-10). A county may close on extra days. A date with no
    row — past the loaded horizon — is counted by the rule known in advance: Monday to Friday work, except
    the statutory public holidays (``routing.holidays``: 元旦, 春节, 清明, 劳动节, 端午, 中秋, 国庆 by the
    rules in force since 2025; make-up working days are never guessed). Every result that had to consult
    such a date is flagged ``provisional=True``, and for dates past the horizon the snapshot's alert hook
    is called as well (never silently wrong). This rule lives only in :meth:`CalendarSnapshot.is_working_day`,
    which every computation (this module, ``routing.calendar.fastclock``) reads.

Intake day of T
    The local date of T when that date is a working day and T is not after close of business
    (T <= 17:30); otherwise the next working day (the case counts as taken in then).

"N working days after T" — :func:`add_working_days`
    Close of business (17:30) of the Nth working day after the intake day. The intake day is day 0, so
    counting starts on the next working morning (:func:`clock_start`): taken in on Friday at 17:20 (or at
    09:00), 1 working day later is Monday 17:30; taken in at 17:40 on Friday or on a Saturday, the intake
    day is Monday and 1 working day later is Tuesday 17:30. N = 0 is close of business of the intake day
    (same-day limits). With a make-up Saturday the "next working morning" after a Friday is that Saturday.

"H working hours after T" — :func:`add_working_time` / :func:`add_working_hours`
    The moment the H-th hour of business time after T is used up, counting business time from T itself
    (17:20 on a working day leaves 10 minutes that day, the rest runs from the next working morning). A
    result that falls exactly at the end of a period is that end (12:00, not 14:00).

Working time between A and B — :func:`working_time_between`
    The business time inside [A, B] (negative when B < A). ``working_time_between(T, add_working_time(T,
    H).at) == H`` always holds; this is what suspend/resume keeps and what the "share of the allowed time
    used" (yellow light) divides.

Working days overdue — :func:`working_days_overdue`
    How many whole working days lie entirely after the deadline and have ended by now: a deadline of
    Monday 17:30 is 1 working day overdue at Tuesday 17:30 and 2 at Wednesday 17:30 (0 before Tuesday's
    close, though already late).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from types import MappingProxyType
from zoneinfo import ZoneInfo

from .holidays import is_statutory_holiday

CALENDAR_TIME_ZONE = ZoneInfo("Asia/Shanghai")
DEFAULT_PERIODS: tuple[tuple[time, time], ...] = ((time(8, 30), time(12, 0)), (time(14, 0), time(17, 30)))

ONE_DAY = timedelta(days=1)

# Called, when a result is provisional because it needed dates past the horizon, with the first such date
# of each year; the loader wires it to the logged warning and the CalendarHorizonAlert record.
PastHorizonHook = Callable[[tuple[date, ...]], None]


@dataclass(frozen=True, eq=False)
class CalendarSnapshot:
    """An immutable view of the working-day calendar of one scope (national, or one county).

    ``days`` maps each loaded date to whether it is a working day (county overrides already applied);
    ``horizon`` is the last loaded national date (None when nothing is loaded). ``periods`` are the
    business hours of a working day, sorted and non-overlapping.
    """

    days: Mapping[date, bool]
    horizon: date | None
    periods: tuple[tuple[time, time], ...] = DEFAULT_PERIODS
    tz: tzinfo = CALENDAR_TIME_ZONE
    scope: str = ""
    on_past_horizon: PastHorizonHook | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not self.periods:
            raise ValueError("business hours need at least one period")
        previous_end = None
        for start, end in self.periods:
            if not start < end or (previous_end is not None and start < previous_end):
                raise ValueError(f"business periods must be increasing and disjoint: {self.periods!r}")
            previous_end = end
        if not isinstance(self.days, MappingProxyType):
            object.__setattr__(self, "days", MappingProxyType(dict(self.days)))

    @property
    def opening(self) -> time:
        return self.periods[0][0]

    @property
    def close(self) -> time:
        """Close of business: the end of the last period (17:30 by default)."""
        return self.periods[-1][1]

    @property
    def working_day_length(self) -> timedelta:
        """Business time in one working day (7 hours by default)."""
        return sum((_span(start, end) for start, end in self.periods), timedelta())

    def is_loaded(self, day: date) -> bool:
        return day in self.days

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` is a working day; an unloaded date follows the rule known in advance (weekends
        and statutory holidays off, no make-up days): the one place that rule is applied."""
        known = self.days.get(day)
        if known is not None:
            return known
        return day.weekday() < 5 and not is_statutory_holiday(day)


@dataclass(frozen=True)
class Deadline:
    """A computed moment (aware, UTC); ``provisional`` when a date without a calendar row was used."""

    at: datetime
    provisional: bool = False
    past_horizon_years: tuple[int, ...] = ()

    def local(self, tz: tzinfo = CALENDAR_TIME_ZONE) -> datetime:
        return self.at.astimezone(tz)


@dataclass(frozen=True)
class WorkingTime:
    """Business time between two moments; ``provisional`` as for :class:`Deadline`."""

    duration: timedelta
    provisional: bool = False
    past_horizon_years: tuple[int, ...] = ()

    @property
    def hours(self) -> float:
        return self.duration / timedelta(hours=1)


@dataclass(frozen=True)
class OverdueDays:
    """Whole working days elapsed after a deadline; ``provisional`` as for :class:`Deadline`."""

    days: int
    provisional: bool = False
    past_horizon_years: tuple[int, ...] = ()


class _Trace:
    """Reads working days from the snapshot and remembers the unloaded dates a computation needed."""

    def __init__(self, calendar: CalendarSnapshot):
        self.calendar = calendar
        self.unloaded: set[date] = set()

    def working(self, day: date) -> bool:
        if not self.calendar.is_loaded(day):
            self.unloaded.add(day)
        return self.calendar.is_working_day(day)

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``; terminates: past the horizon most weekdays work."""
        day += ONE_DAY
        while not self.working(day):
            day += ONE_DAY
        return day

    def flags(self) -> tuple[bool, tuple[int, ...]]:
        if not self.unloaded:
            return False, ()
        horizon = self.calendar.horizon
        first_by_year: dict[int, date] = {}
        for day in sorted(d for d in self.unloaded if horizon is None or d > horizon):
            first_by_year.setdefault(day.year, day)
        if first_by_year and self.calendar.on_past_horizon is not None:
            self.calendar.on_past_horizon(tuple(first_by_year.values()))
        return True, tuple(first_by_year)


def _span(start: time, end: time) -> timedelta:
    return datetime.combine(date.min, end) - datetime.combine(date.min, start)


def _local(moment: datetime, calendar: CalendarSnapshot) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("deadline arithmetic needs aware datetimes")
    return moment.astimezone(calendar.tz)


def _at(day: date, clock: time, calendar: CalendarSnapshot) -> datetime:
    return datetime.combine(day, clock, tzinfo=calendar.tz)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _intake_day(local_start: datetime, trace: _Trace) -> date:
    day = local_start.date()
    if trace.working(day) and local_start.time() <= trace.calendar.close:
        return day
    return trace.next_working_day(day)


def is_working_day(day: date, *, calendar: CalendarSnapshot) -> bool:
    """Whether ``day`` is a working day (an unloaded date: weekends and statutory holidays off)."""
    return calendar.is_working_day(day)


def next_working_day(day: date, *, calendar: CalendarSnapshot) -> date:
    """The first working day strictly after ``day``."""
    return _Trace(calendar).next_working_day(day)


def intake_day(start: datetime, *, calendar: CalendarSnapshot) -> date:
    """The working day a case taken in at ``start`` counts as taken in (see the module docstring)."""
    return _intake_day(_local(start, calendar), _Trace(calendar))


def clock_start(start: datetime, *, calendar: CalendarSnapshot) -> Deadline:
    """When day counting starts for an intake at ``start``: opening of the first working day after the
    intake day ("the next working morning")."""
    trace = _Trace(calendar)
    first_day = trace.next_working_day(_intake_day(_local(start, calendar), trace))
    provisional, years = trace.flags()
    return Deadline(_utc(_at(first_day, calendar.opening, calendar)), provisional, years)


def add_working_days(start: datetime, days: int, *, calendar: CalendarSnapshot) -> Deadline:
    """Close of business of the ``days``-th working day after the intake day of ``start``."""
    if days < 0:
        raise ValueError("days must be >= 0")
    trace = _Trace(calendar)
    day = _intake_day(_local(start, calendar), trace)
    for _ in range(days):
        day = trace.next_working_day(day)
    provisional, years = trace.flags()
    return Deadline(_utc(_at(day, calendar.close, calendar)), provisional, years)


def add_working_time(start: datetime, duration: timedelta, *, calendar: CalendarSnapshot) -> Deadline:
    """The moment ``duration`` of business time after ``start`` is used up (``start`` itself for zero)."""
    if duration < timedelta():
        raise ValueError("duration must be >= 0")
    local_start = _local(start, calendar)
    if not duration:
        return Deadline(_utc(local_start))
    trace = _Trace(calendar)
    remaining = duration
    cursor = local_start
    day = local_start.date()
    while True:
        # Only consult the calendar for a day whose business hours are still ahead of the cursor, so a
        # start late on the horizon's last day does not count as provisional.
        if _at(day, calendar.close, calendar) > cursor and trace.working(day):
            for period_start, period_end in calendar.periods:
                begin = max(_at(day, period_start, calendar), cursor)
                end = _at(day, period_end, calendar)
                if end <= begin:
                    continue
                available = end - begin
                if remaining <= available:
                    provisional, years = trace.flags()
                    return Deadline(_utc(begin + remaining), provisional, years)
                remaining -= available
        day += ONE_DAY
        cursor = _at(day, time.min, calendar)


def add_working_hours(
    start: datetime, hours: float | int | Decimal, *, calendar: CalendarSnapshot
) -> Deadline:
    """:func:`add_working_time` with a number of hours (fractions allowed: 1.5 is 1 h 30 min)."""
    return add_working_time(start, timedelta(hours=float(hours)), calendar=calendar)


def working_time_between(start: datetime, end: datetime, *, calendar: CalendarSnapshot) -> WorkingTime:
    """Business time inside [start, end]; negative when ``end`` is before ``start``."""
    if end < start:
        forward = working_time_between(end, start, calendar=calendar)
        return WorkingTime(-forward.duration, forward.provisional, forward.past_horizon_years)
    local_start, local_end = _local(start, calendar), _local(end, calendar)
    trace = _Trace(calendar)
    total = timedelta()
    day = local_start.date()
    while day <= local_end.date():
        overlap = timedelta()
        for period_start, period_end in calendar.periods:
            begin = max(_at(day, period_start, calendar), local_start)
            finish = min(_at(day, period_end, calendar), local_end)
            if finish > begin:
                overlap += finish - begin
        # A day without any overlap does not matter, so it never makes the result provisional.
        if overlap and trace.working(day):
            total += overlap
        day += ONE_DAY
    provisional, years = trace.flags()
    return WorkingTime(total, provisional, years)


def working_days_overdue(deadline: datetime, now: datetime, *, calendar: CalendarSnapshot) -> OverdueDays:
    """Whole working days lying entirely after ``deadline`` (opening >= deadline) that have ended by
    ``now`` (close <= now); 0 when ``now`` is not past the deadline."""
    if now <= deadline:
        return OverdueDays(0)
    local_deadline, local_now = _local(deadline, calendar), _local(now, calendar)
    trace = _Trace(calendar)
    count = 0
    day = local_deadline.date()
    while day <= local_now.date():
        if (
            _at(day, calendar.opening, calendar) >= local_deadline
            and _at(day, calendar.close, calendar) <= local_now
            and trace.working(day)
        ):
            count += 1
        day += ONE_DAY
    provisional, years = trace.flags()
    return OverdueDays(count, provisional, years)


__all__ = [
    "CALENDAR_TIME_ZONE",
    "DEFAULT_PERIODS",
    "CalendarSnapshot",
    "Deadline",
    "OverdueDays",
    "WorkingTime",
    "add_working_days",
    "add_working_hours",
    "add_working_time",
    "clock_start",
    "intake_day",
    "is_working_day",
    "next_working_day",
    "working_days_overdue",
    "working_time_between",
]
