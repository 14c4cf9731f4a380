"""The deadline arithmetic of ``routing.deadlines`` / ``cases.clocks`` on integer microseconds: the same
answers (the tests compare them on random inputs), about fifty times faster. Used by bulk seeding
(``supervision.seed``) and the live overdue list (``supervision.selectors``).

Times are microseconds since the Unix epoch (UTC). ``B(t)`` is the business time (in microseconds) from the
start of the range up to ``t``, a non-decreasing piecewise-linear function; "``d`` of working time after
``t``" is the leftmost moment where ``B`` reaches ``B(t) + d`` (a result exactly at the end of a period is
that end, as in ``routing.deadlines``). Which days work is read from the snapshot (``CalendarSnapshot.is_working_day``: past the horizon, the
weekend rule and the statutory holidays), so both variants share the one rule.
"""

from __future__ import annotations

import bisect
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

from routing.deadlines import CalendarSnapshot

US = 1_000_000
DAY_US = 86_400 * US
EPOCH_DAY = date(1970, 1, 1)
_RATIOS: dict[float, tuple[int, int]] = {}


class Limits(Protocol):
    """The limits a clock needs: ``cases.clocks.Limits`` (routing never imports cases, so a protocol)."""

    @property
    def sign_for(self) -> timedelta: ...
    @property
    def first_contact_days(self) -> int: ...
    @property
    def reply_days(self) -> int: ...
    @property
    def completion_days(self) -> int: ...
    @property
    def reasoned_reply_days(self) -> int | None: ...


def to_us(moment: datetime) -> int:
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * US + delta.microseconds


def from_us(value: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=value)


def day_number(day: date) -> int:
    return (day - EPOCH_DAY).days


class FastCalendar:
    """A calendar snapshot over ``[first, last]`` (dates) as integer arithmetic (see the module docstring)."""

    def __init__(self, calendar: CalendarSnapshot, first: date, last: date):
        self.calendar = calendar
        offset = datetime(first.year, 1, 1, tzinfo=calendar.tz).utcoffset()
        # China has no daylight saving time: one fixed offset for the whole range.
        self.offset = int(offset.total_seconds()) * US
        self.periods = [
            ((s.hour * 3600 + s.minute * 60 + s.second) * US, (e.hour * 3600 + e.minute * 60 + e.second) * US)
            for s, e in calendar.periods
        ]
        self.opening = self.periods[0][0]
        self.close = self.periods[-1][1]
        self.L = sum(e - s for s, e in self.periods)  # business time of one working day
        self.first_day = day_number(first)
        self.last_day = day_number(last)
        self.horizon_day = day_number(calendar.horizon) if calendar.horizon else None
        self.working: list[bool] = []
        self.before: list[int] = []  # working days in the range strictly before each day
        self.wdays: list[int] = []  # day numbers of the working days, ascending
        count = 0
        for n in range(self.first_day, self.last_day + 1):
            works = calendar.is_working_day(EPOCH_DAY + timedelta(days=n))
            self.working.append(works)
            self.before.append(count)
            if works:
                self.wdays.append(n)
                count += 1

    # --- primitives ---
    def local_day(self, t: int) -> int:
        return (t + self.offset) // DAY_US

    def is_working(self, day: int) -> bool:
        return self.working[day - self.first_day]

    def B(self, t: int) -> int:
        local = t + self.offset
        day, sod = divmod(local, DAY_US)
        i = day - self.first_day
        base = self.before[i] * self.L
        if not self.working[i]:
            return base
        within = 0
        for s, e in self.periods:
            if sod <= s:
                break
            within += (sod if sod < e else e) - s
        return base + within

    def Binv(self, x: int) -> int:
        """The leftmost moment where ``B`` reaches ``x`` (x > 0)."""
        k = (x - 1) // self.L
        r = x - k * self.L
        day = self.wdays[k]
        for s, e in self.periods:
            span = e - s
            if r <= span:
                return day * DAY_US + s + r - self.offset
            r -= span
        raise AssertionError("unreachable")  # pragma: no cover

    def at(self, day: int, sod: int) -> int:
        return day * DAY_US + sod - self.offset

    def next_working_day(self, day: int) -> int:
        i = bisect.bisect_right(self.wdays, day)
        return self.wdays[i]

    def intake_day(self, t: int) -> int:
        day, sod = divmod(t + self.offset, DAY_US)
        if self.working[day - self.first_day] and sod <= self.close:
            return day
        return self.next_working_day(day)

    # --- routing.deadlines ---
    def add_working_days(self, t: int, days: int) -> int:
        day = self.intake_day(t)
        index = self.before[day - self.first_day] + days
        return self.at(self.wdays[index], self.close)

    def add_working_time(self, t: int, duration: int) -> int:
        if duration <= 0:
            return t
        return self.Binv(self.B(t) + duration)

    def working_time_between(self, a: int, b: int) -> int:
        return self.B(b) - self.B(a)

    def working_days_overdue(self, deadline: int, now: int) -> int:
        """Whole working days opening at or after ``deadline`` and closed by ``now`` (O(1))."""
        if now <= deadline:
            return 0
        first, sod = divmod(deadline + self.offset, DAY_US)
        if sod > self.opening:
            first += 1
        last, sod = divmod(now + self.offset, DAY_US)
        if sod < self.close:
            last -= 1
        if last < first:
            return 0
        return self._working_before(last + 1) - self._working_before(first)

    def _working_before(self, day: int) -> int:
        """Working days in the range strictly before ``day``."""
        index = day - self.first_day
        if index <= 0:
            return 0
        if index >= len(self.before):
            return len(self.wdays)
        return self.before[index]

    def provisional(self, t: int) -> bool:
        return self.horizon_day is not None and self.local_day(t) > self.horizon_day

    # --- cases.clocks ---
    def days_budget(self, origin: int, days: int) -> int:
        return self.working_time_between(origin, self.add_working_days(origin, days))

    def yellow_budget(self, allowed: int, share: float) -> int:
        # ``timedelta * float`` exactly: the product with the float's exact ratio, rounded half to even.
        numerator, denominator = _RATIOS.get(share) or _RATIOS.setdefault(share, share.as_integer_ratio())
        scaled, rest = divmod(allowed * numerator, denominator)
        if rest * 2 > denominator or (rest * 2 == denominator and scaled % 2):
            scaled += 1
        return max(0, min(scaled, allowed - self.L))

    def _origin(self, origin: int) -> tuple[int, int]:
        """B(origin) and the position of its intake day among the working days."""
        return self.B(origin), self.before[self.intake_day(origin) - self.first_day]

    def case_clock(
        self,
        origin: int,
        limits: Limits,
        *,
        extension_days: int = 0,
        paused_total: int = 0,
        share: float = 0.8,
    ) -> tuple[int, int, int, int | None, int]:
        """(first contact, reply, due, reasoned reply or None, yellow): ``cases.clocks.case_clock``.

        "N working days after the origin" ends at close of business of working day ``index + N``, where
        ``B`` is ``(index + N + 1) * L``: each budget is plain arithmetic.
        """
        b0, index = self._origin(origin)
        L = self.L
        allowed = (index + limits.completion_days + 1) * L - b0 + extension_days * L

        def due(budget: int) -> int:
            amount = (budget if budget < allowed else allowed) + paused_total
            return self.Binv(b0 + amount) if amount > 0 else origin

        def days(n: int) -> int:
            return (index + n + 1) * L - b0

        rr = limits.reasoned_reply_days
        return (
            due(days(limits.first_contact_days)),
            due(days(limits.reply_days)),
            due(allowed),
            None if rr is None else due(days(rr)),
            due(self.yellow_budget(allowed, share)),
        )

    def assignment_clock(
        self,
        origin: int,
        limits: Limits,
        *,
        extension_days: int = 0,
        paused_total: int = 0,
        share: float = 0.8,
    ) -> tuple[int, int, int]:
        """(accept, due, yellow): ``cases.clocks.assignment_clock``."""
        b0, index = self._origin(origin)
        L = self.L
        allowed = (index + limits.completion_days + 1) * L - b0 + extension_days * L
        sign_for = limits.sign_for // timedelta(microseconds=1)

        def after(amount: int) -> int:
            return self.Binv(b0 + amount) if amount > 0 else origin

        return (
            after(sign_for + paused_total),
            after(allowed + paused_total),
            after(self.yellow_budget(allowed, share) + paused_total),
        )

    def overdue_days_at(self, due: int, days: int) -> int:
        """``cases.clocks.overdue_days_at``."""
        if days <= 0:
            return due
        day, sod = divmod(due + self.offset, DAY_US)
        if not (self.is_working(day) and self.opening >= sod):
            day = self.next_working_day(day)
        for _ in range(days - 1):
            day = self.next_working_day(day)
        return self.at(day, self.close)
