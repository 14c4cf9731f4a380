"""Clocks of cases and assignments: pure functions over ``routing.deadlines`` (no database, no settings).

Every stored deadline of the loop is computed here; ``cases.sla`` feeds these functions with the case's
policy (``Limits``), calendar snapshot and stored clock state, and stores what they return. See
docs/DEADLINES.md for the rules in prose.

The clock model
    A clock has an *origin* (intake, or the latest reopen, for the case; creation for an assignment) and a
    *budget* per deadline: the working time from the origin to "N working days after the origin"
    (``routing.deadlines.add_working_days``: close of business of the Nth working day after the intake
    day). Time spent suspended (挂起) is working time too, kept as ``paused_total``; a deadline is the
    moment ``budget + paused_total`` of working time after the origin. So at any moment
    ``working time used = working_time_between(origin, now) - paused_total`` and, after a resume, the time
    left until a deadline is exactly ``budget - used``: suspending stops the clock and keeps the time used.
    An approved extension of E working days adds E working days of business time to the completion
    budget (the due time moves E working days later; nothing else moves).

Yellow
    The light turns yellow when ``yellow_share`` (default 80%) of the allowed completion time is used or
    only one working day is left, whichever comes first (immediately when less than a day was allowed).

Red and the ladder
    Red once *now is after* the due time. The ladder (``alarm_schedule``) adds the supervision order (督办)
    once the clock is overdue by N whole working days and the bulletin (通报) once the supervision order's
    own deadline (M working days later) has passed.

On time (``on_time``)
    The one definition every statistic uses: a case is on time when it was resolved by its due time, or
    answered with reasons ("cannot be done yet", where the policy allows it) by its reasoned-reply due
    time; late when resolved or answered too late, or still open past its due time (a suspended clock is
    judged at the moment it was paused); undecided (None) while open and not yet due, and for cases that
    never got a deadline or ended without a resolution (withdrawn, not accepted).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import overload

from routing.deadlines import (
    CalendarSnapshot,
    Deadline,
    add_working_days,
    add_working_time,
    working_time_between,
)

from .choices import AlarmLevel, Light

ZERO = timedelta()
# The resolution of stored datetimes: "after the deadline" starts one tick after it.
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class Limits:
    """The limits of one case, from its SLA policy (``cases.models.SlaPolicy``), green channel applied.

    Days are working days (0 = the same day); ``sign_for`` is working time. ``reasoned_reply_days`` is
    None where a reasoned "cannot be done yet" answer does not count as done in time.
    """

    sign_for: timedelta = timedelta(hours=7)
    first_contact_days: int = 0
    reply_days: int = 5
    completion_days: int = 5
    reasoned_reply_days: int | None = 3
    extension_ceiling_days: int = 15

    def shortened(self, percent: int) -> Limits:
        """The green channel's limits: every limit times ``percent``/100, rounded down (at least 0 = the
        same day); the extension ceiling is kept."""

        def days(value: int) -> int:
            return max(0, math.floor(value * percent / 100))

        reasoned = self.reasoned_reply_days
        return replace(
            self,
            sign_for=self.sign_for * percent / 100,
            first_contact_days=days(self.first_contact_days),
            reply_days=days(self.reply_days),
            completion_days=days(self.completion_days),
            reasoned_reply_days=None if reasoned is None else days(reasoned),
        )

    def extension_room(self, extension_days: int) -> int:
        """How many more working days an extension may add (the ceiling minus what is allowed now)."""
        return max(0, self.extension_ceiling_days - self.completion_days - extension_days)


# What the seeded "any" row holds: a general case.
DEFAULT_LIMITS = Limits()
# The other seeded rows (migrations cases/0005 and cases/0010, the limits as practised, docs/DEADLINES.md),
# by (matter kind, handling mode, complexity); with DEFAULT_LIMITS they are what a case gets when no policy
# row matches at all (a table emptied by mistake), so deadlines never silently change with the table's state.
_SAME_DAY = Limits(reply_days=0, completion_days=0)
BUILTIN_LIMITS: dict[tuple[str, str, str], Limits] = {
    ("", "immediate", ""): _SAME_DAY,
    ("", "expedited", ""): Limits(reply_days=3, completion_days=3),
    ("", "", "complex"): Limits(completion_days=10),
    ("urgent", "", ""): Limits(reply_days=3, completion_days=3),
    ("emergency", "", ""): _SAME_DAY,
    ("emergency", "expedited", ""): _SAME_DAY,
    ("emergency", "coordinated", ""): _SAME_DAY,
    ("emergency", "special", ""): _SAME_DAY,
    ("", "special", ""): Limits(completion_days=10),
    ("", "coordinated", "complex"): Limits(completion_days=15),
}


def builtin_limits(*, matter_kind: str = "", handling_mode: str, complexity: str) -> Limits:
    """The built-in limits of a classification, chosen like ``SlaPolicy`` rows are: the most specific
    matching key wins, handling mode first, then matter kind, then complexity."""
    matching = [
        key
        for key in BUILTIN_LIMITS
        if key[0] in ("", matter_kind) and key[1] in ("", handling_mode) and key[2] in ("", complexity)
    ]
    if not matching:
        return DEFAULT_LIMITS
    best = max(matching, key=lambda key: (bool(key[1]), bool(key[0]), bool(key[2])))
    return BUILTIN_LIMITS[best]


@dataclass(frozen=True)
class CaseClock:
    """The stored deadlines of a case clock (aware UTC datetimes)."""

    first_contact_due_at: datetime
    reply_due_at: datetime
    due_at: datetime
    reasoned_reply_due_at: datetime | None
    yellow_at: datetime
    provisional: bool = False


@dataclass(frozen=True)
class AssignmentClock:
    """The stored deadlines of one department's assignment."""

    accept_due_at: datetime
    due_at: datetime
    yellow_at: datetime
    provisional: bool = False


@dataclass
class _Flags:
    provisional: bool = False
    years: set[int] = field(default_factory=set)

    def take(self, result: Deadline) -> Deadline:
        self.provisional = self.provisional or result.provisional
        return result


def days_budget(origin: datetime, days: int, *, calendar: CalendarSnapshot) -> tuple[timedelta, bool]:
    """Working time from ``origin`` to "``days`` working days after ``origin``", and whether provisional."""
    end = add_working_days(origin, days, calendar=calendar)
    between = working_time_between(origin, end.at, calendar=calendar)
    return between.duration, end.provisional or between.provisional


def after(origin: datetime, budget: timedelta, *, calendar: CalendarSnapshot) -> Deadline:
    """The moment ``budget`` of working time after ``origin`` (never before it)."""
    return add_working_time(origin, max(budget, ZERO), calendar=calendar)


def yellow_budget(allowed: timedelta, *, share: float, day: timedelta) -> timedelta:
    """Working time after which the light turns yellow: ``share`` of ``allowed`` used, or one working day
    (``day``) left, whichever comes first; 0 (yellow at once) when less than a day is allowed."""
    return max(ZERO, min(allowed * share, allowed - day))


def completion_budget(
    origin: datetime, limits: Limits, extension_days: int, *, calendar: CalendarSnapshot
) -> tuple[timedelta, bool]:
    budget, provisional = days_budget(origin, limits.completion_days, calendar=calendar)
    return budget + extension_days * calendar.working_day_length, provisional


def case_clock(
    *,
    origin: datetime,
    limits: Limits,
    extension_days: int = 0,
    paused_total: timedelta = ZERO,
    yellow_share: float = 0.8,
    calendar: CalendarSnapshot,
) -> CaseClock:
    """Every deadline of a case clock started at ``origin`` (see the module docstring).

    The reply, first-contact and reasoned-reply deadlines never come after the completion deadline.
    """
    flags = _Flags()
    allowed, provisional = completion_budget(origin, limits, extension_days, calendar=calendar)
    flags.provisional |= provisional

    def due(budget: timedelta) -> datetime:
        return flags.take(after(origin, min(budget, allowed) + paused_total, calendar=calendar)).at

    def days(n: int) -> timedelta:
        budget, provisional = days_budget(origin, n, calendar=calendar)
        flags.provisional |= provisional
        return budget

    due_at = due(allowed)
    reply_due_at = due(days(limits.reply_days))
    first_contact_due_at = due(days(limits.first_contact_days))
    reasoned = None if limits.reasoned_reply_days is None else due(days(limits.reasoned_reply_days))
    yellow = due(yellow_budget(allowed, share=yellow_share, day=calendar.working_day_length))
    return CaseClock(
        first_contact_due_at=first_contact_due_at,
        reply_due_at=reply_due_at,
        due_at=due_at,
        reasoned_reply_due_at=reasoned,
        yellow_at=yellow,
        provisional=flags.provisional,
    )


def assignment_clock(
    *,
    origin: datetime,
    limits: Limits,
    extension_days: int = 0,
    paused_total: timedelta = ZERO,
    yellow_share: float = 0.8,
    calendar: CalendarSnapshot,
) -> AssignmentClock:
    """A department's own clock from the moment it was assigned: sign-for, completion and yellow."""
    flags = _Flags()
    allowed, provisional = completion_budget(origin, limits, extension_days, calendar=calendar)
    flags.provisional |= provisional
    accept = flags.take(after(origin, limits.sign_for + paused_total, calendar=calendar)).at
    due_at = flags.take(after(origin, allowed + paused_total, calendar=calendar)).at
    yellow = flags.take(
        after(
            origin,
            yellow_budget(allowed, share=yellow_share, day=calendar.working_day_length) + paused_total,
            calendar=calendar,
        )
    ).at
    return AssignmentClock(
        accept_due_at=accept, due_at=due_at, yellow_at=yellow, provisional=flags.provisional
    )


def working_time_used(
    *,
    origin: datetime,
    now: datetime,
    paused_total: timedelta = ZERO,
    paused_at: datetime | None = None,
    calendar: CalendarSnapshot,
) -> timedelta:
    """Working time the clock has run: from the origin to now (or to the pause), minus suspensions."""
    end = paused_at or now
    return working_time_between(origin, end, calendar=calendar).duration - paused_total


def shift(moment: datetime | None, duration: timedelta, *, calendar: CalendarSnapshot) -> datetime | None:
    """``moment`` moved ``duration`` of working time later (a resume after a suspension, an extension)."""
    if moment is None:
        return None
    return after(moment, duration, calendar=calendar).at


# --- Lights --------------------------------------------------------------------------------------------


def light(
    *, now: datetime, due_at: datetime | None, yellow_at: datetime | None, paused_at: datetime | None = None
) -> Light | None:
    """GREEN / YELLOW / RED of a running clock (None without one); a paused clock shows its light at the
    moment it was paused. Red when now is after the due time, yellow from ``yellow_at`` on."""
    if due_at is None:
        return None
    moment = paused_at or now
    if moment > due_at:
        return Light.RED
    if yellow_at is not None and moment >= yellow_at:
        return Light.YELLOW
    return Light.GREEN


# --- The escalation ladder -------------------------------------------------------------------------------


def overdue_days_at(due_at: datetime, days: int, *, calendar: CalendarSnapshot) -> datetime:
    """The moment a deadline becomes ``days`` whole working days overdue (``working_days_overdue``):
    close of business of the ``days``-th working day that opens at or after the deadline."""
    if days <= 0:
        return due_at
    local = due_at.astimezone(calendar.tz)
    day = local.date()
    opening = datetime.combine(day, calendar.opening, tzinfo=calendar.tz)
    if not (calendar.is_working_day(day) and opening >= local):
        day = _next_working_day(day, calendar)
    for _ in range(days - 1):
        day = _next_working_day(day, calendar)
    # ``working_days_overdue(due_at, result) == days`` holds (the tests check the two agree).
    return datetime.combine(day, calendar.close, tzinfo=calendar.tz).astimezone(due_at.tzinfo)


def _next_working_day(day: date, calendar: CalendarSnapshot) -> date:
    day += timedelta(days=1)
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return day


@dataclass(frozen=True)
class Step:
    """One step of a ladder: the level and the moment it is reached (``strict``: only after it)."""

    level: AlarmLevel
    at: datetime
    strict: bool = False

    @property
    def fires_at(self) -> datetime:
        """The first moment the step is reached (a strict step: just after ``at``); the sweep's alarm."""
        return self.at + _TICK if self.strict else self.at

    def reached(self, now: datetime) -> bool:
        return now >= self.fires_at


def case_ladder(
    *,
    yellow_at: datetime,
    due_at: datetime,
    supervise_after_days: int,
    supervision_days: int,
    calendar: CalendarSnapshot,
) -> tuple[Step, ...]:
    """The case clock's ladder: yellow, red (催办), supervision order (督办), bulletin (通报)."""
    supervise_at = overdue_days_at(due_at, supervise_after_days, calendar=calendar)
    supervision_due = supervision_deadline(supervise_at, supervision_days, calendar=calendar)
    return (
        Step(AlarmLevel.YELLOW, yellow_at),
        Step(AlarmLevel.RED, due_at, strict=True),
        Step(AlarmLevel.SUPERVISE, supervise_at),
        Step(AlarmLevel.BULLETIN, supervision_due, strict=True),
    )


def supervision_deadline(ordered_at: datetime, days: int, *, calendar: CalendarSnapshot) -> datetime:
    """The supervision order's own deadline: ``days`` working days after it was (due to be) issued."""
    return add_working_days(ordered_at, days, calendar=calendar).at


def assignment_ladder(
    *, accept_due_at: datetime | None, yellow_at: datetime | None, due_at: datetime | None, pending: bool,
    assisting: bool,
) -> tuple[Step, ...]:  # fmt: skip
    """An assignment's ladder: the sign-for reminder while pending; yellow and red for an assisting
    department (the lead's completion is the case clock's ladder, so the lead is not warned twice)."""
    steps = []
    if pending and accept_due_at is not None:
        steps.append(Step(AlarmLevel.SIGN, accept_due_at, strict=True))
    if assisting and yellow_at is not None and due_at is not None:
        steps.append(Step(AlarmLevel.YELLOW, yellow_at))
        steps.append(Step(AlarmLevel.RED, due_at, strict=True))
    return tuple(steps)


def level_reached(ladder: tuple[Step, ...], now: datetime) -> AlarmLevel:
    """The highest level of the ladder reached at ``now`` (NONE when none)."""
    reached = [step.level for step in ladder if step.reached(now)]
    return AlarmLevel(max(reached)) if reached else AlarmLevel.NONE


def next_alarm_at(ladder: tuple[Step, ...], level: int) -> datetime | None:
    """When the sweep must look again: the moment of the first step above ``level`` (None: nothing left)."""
    later = [step.fires_at for step in ladder if step.level > level]
    return min(later) if later else None


def skipped_levels(ladder: tuple[Step, ...], fired: int, reached: int) -> list[AlarmLevel]:
    """Levels between the last fired and the one reached now: passed while no sweep ran (downtime)."""
    return [step.level for step in ladder if fired < step.level < reached]


# --- On time -------------------------------------------------------------------------------------------


def reasoned_in_time(reasoned_reply_at: datetime | None, reasoned_reply_due_at: datetime | None) -> bool:
    """A "cannot be done (yet)" answer given within the reasoned-reply limit (where the policy allows one)."""
    return (
        reasoned_reply_at is not None
        and reasoned_reply_due_at is not None
        and reasoned_reply_at <= reasoned_reply_due_at
    )


# A case with a due time always has a deadline in force (what ``on_time`` relies on).
@overload
def deadline_in_force(
    *,
    due_at: datetime,
    follow_up_due_at: datetime | None = ...,
    reasoned_reply_at: datetime | None = ...,
    reasoned_reply_due_at: datetime | None = ...,
) -> datetime: ...
@overload
def deadline_in_force(
    *,
    due_at: datetime | None,
    follow_up_due_at: datetime | None = ...,
    reasoned_reply_at: datetime | None = ...,
    reasoned_reply_due_at: datetime | None = ...,
) -> datetime | None: ...
def deadline_in_force(
    *,
    due_at: datetime | None,
    follow_up_due_at: datetime | None = None,
    reasoned_reply_at: datetime | None = None,
    reasoned_reply_due_at: datetime | None = None,
) -> datetime | None:
    """The deadline the case clock runs against and every statistic judges by: the completion deadline,
    or the later new date of a "cannot be done yet" answer given in time (答复未办结: the follow-up clock).
    A late answer buys no time: the clock keeps running against the completion deadline."""
    if due_at is None:
        return None
    if follow_up_due_at is not None and reasoned_in_time(reasoned_reply_at, reasoned_reply_due_at):
        return max(due_at, follow_up_due_at)
    return due_at


def clock_settled(
    *, resolved_at: datetime | None, reasoned_reply_at: datetime | None, follow_up_due_at: datetime | None
) -> bool:
    """The case clock has stopped this round: resolved, or answered "cannot be done" (with reasons, no new
    date), which puts the case in the supervisors' review queue instead."""
    return resolved_at is not None or (reasoned_reply_at is not None and follow_up_due_at is None)


def on_time(
    *,
    now: datetime,
    due_at: datetime | None,
    resolved_at: datetime | None,
    reasoned_reply_at: datetime | None = None,
    reasoned_reply_due_at: datetime | None = None,
    follow_up_due_at: datetime | None = None,
    withdrawn_at: datetime | None = None,
    paused_at: datetime | None = None,
    is_open: bool = True,
) -> bool | None:
    """True / False / None (undecided): THE on-time rule of every statistic (module docstring).

    Judged against ``deadline_in_force``: resolved by it → on time; "cannot be done" answered with reasons
    in time (no new date) → on time; resolved later, withdrawn after it, or still open past it → late (a
    statistic must not reward leaving a case open); otherwise undecided. ``CaseQuerySet.with_on_time`` is
    the same rule as a database annotation.
    """
    if due_at is None:
        return None
    deadline = deadline_in_force(
        due_at=due_at,
        follow_up_due_at=follow_up_due_at,
        reasoned_reply_at=reasoned_reply_at,
        reasoned_reply_due_at=reasoned_reply_due_at,
    )
    if resolved_at is not None and resolved_at <= deadline:
        return True
    if (
        follow_up_due_at is None
        and withdrawn_at is None
        and reasoned_in_time(reasoned_reply_at, reasoned_reply_due_at)
    ):
        return True
    if resolved_at is not None:
        return False
    if withdrawn_at is not None:
        return False if withdrawn_at > deadline else None
    if not is_open:
        return None  # not accepted: never resolved, not counted
    return False if (paused_at or now) > deadline else None


def timer_ladder(
    *, due_at: datetime, supervise_after_days: int, calendar: CalendarSnapshot
) -> tuple[Step, ...]:
    """The ladder of every ``CaseTimer``: a reminder once its deadline has passed, 催办 one whole working
    day later, 督办 after ``supervise_after_days`` whole working days (at least two steps apart)."""
    urge_at = overdue_days_at(due_at, 1, calendar=calendar)
    supervise_at = overdue_days_at(due_at, max(supervise_after_days, 2), calendar=calendar)
    return (
        Step(AlarmLevel.REMIND, due_at, strict=True),
        Step(AlarmLevel.RED, urge_at, strict=True),
        Step(AlarmLevel.SUPERVISE, supervise_at, strict=True),
    )
