"""Deadlines of cases in the database: which policy applies, starting, recomputing, pausing and extending
clocks, and who is told. The arithmetic is ``cases.clocks`` (pure); this module reads policies, the
calendar and settings, and writes the clock fields of cases and assignments.

Called only from inside a command's transaction (``cases.workflow``) and from the deadline sweep
(``cases.sweep``), on rows they hold locked. Nothing here changes a status or writes an event.

Settings (defaults in brackets; docs/DEADLINES.md): ``CASE_YELLOW_SHARE`` [0.8],
``CASE_SUPERVISE_AFTER_DAYS`` [2], ``CASE_SUPERVISION_DAYS`` [3], ``CASE_EXTENSION_MAX_COUNT`` [1].
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from routing.calendar import calendar_snapshot
from routing.deadlines import CalendarSnapshot, add_working_days, working_time_between
from routing.paths import county_code
from windowsvc.refcache import ReferenceCache

from . import clocks as d
from . import events
from .choices import (
    TERMINAL_STATUSES,
    AlarmLevel,
    AssignmentRole,
    AssignmentStatus,
    CaseStatus,
    EventKind,
    ExtensionStatus,
    ReviewStatus,
    TimerKind,
)
from .models import Assignment, Case, CaseTimer, Extension, RefusalReview, SlaPolicy

logger = logging.getLogger(__name__)

E = EventKind

# Every case field this module may change: the workflow adds them to the command's ``update_fields``.
CASE_CLOCK_FIELDS = (
    "sla_policy",
    "clock_started_at",
    "clock_paused_at",
    "clock_paused_total",
    "clock_used",
    "extension_days",
    "first_contact_due_at",
    "reply_due_at",
    "due_at",
    "reasoned_reply_due_at",
    "yellow_at",
    "deadline_provisional",
    "reasoned_reply_at",
    "follow_up_due_at",
    "next_alarm_at",
    "alarm_level",
    "supervision_due_at",
)
ASSIGNMENT_CLOCK_FIELDS = (
    "accept_due_at",
    "due_at",
    "yellow_at",
    "clock_paused_at",
    "clock_paused_total",
    "extension_days",
    "next_alarm_at",
    "alarm_level",
)
# Commands after which the deadlines are computed again from the (new) classification.
RECOMPUTE_COMMANDS = frozenset({E.CLASSIFY, E.RECLASSIFY, E.COORDINATE})


def yellow_share() -> float:
    return float(getattr(settings, "CASE_YELLOW_SHARE", 0.8))


def supervise_after_days() -> int:
    return int(getattr(settings, "CASE_SUPERVISE_AFTER_DAYS", 2))


def supervision_days() -> int:
    return int(getattr(settings, "CASE_SUPERVISION_DAYS", 3))


def urge_limit_per_day() -> int:
    """How many 催办 supervisors may send on one case per local day (the deadline ladder's own urges do
    not count): a reminder repeated twenty times an hour is noise that buries the real ones."""
    return int(getattr(settings, "CASE_URGE_LIMIT_PER_DAY", 2))


def extension_max_count() -> int:
    return int(getattr(settings, "CASE_EXTENSION_MAX_COUNT", 1))


@dataclass(frozen=True)
class _County:
    """What ``calendar_snapshot(region=…)`` reads of a region: its county code (no query for the region)."""

    county_code: str


def calendar_for(case: Case) -> CalendarSnapshot:
    """The working-day calendar of the case's county (national days, county closures, office hours)."""
    return calendar_snapshot(region=_County(county_code(case.region_path)))


# --- Policies ------------------------------------------------------------------------------------------


# Every active policy (a few dozen rows per county), read by each intake and reclassification.
_active_policies = ReferenceCache("sla_policies", SlaPolicy)


def policy_for(case: Case) -> SlaPolicy | None:
    """The most specific active policy matching the case (``SlaPolicy``'s docstring), or None; chosen among
    the active policies cached per process (``windowsvc.refcache``)."""
    chain = case.category.ancestors_and_self() if case.category_id else []
    chain_ids = {c.pk for c in chain}
    policies = _active_policies.get("active", lambda: list(SlaPolicy.objects.filter(is_active=True)))
    rows = [
        policy
        for policy in policies
        if (policy.category_id is None or policy.category_id in chain_ids)
        and policy.matter_kind in ("", case.matter_kind)
        and policy.handling_mode in ("", case.handling_mode)
        and policy.complexity in ("", case.complexity)
    ]
    depth = {c.pk: len(chain) - i for i, c in enumerate(chain)}  # the case's own category ranks highest

    def rank(policy: SlaPolicy) -> tuple:
        return (
            depth.get(policy.category_id, 0),
            bool(policy.handling_mode),
            bool(policy.matter_kind),
            bool(policy.complexity),
            -policy.pk,
        )

    return max(rows, key=rank, default=None)


def limits_of(
    policy: SlaPolicy | None,
    *,
    green_channel: bool,
    matter_kind: str = "",
    handling_mode: str = "",
    complexity: str = "",
) -> d.Limits:
    if policy is None:
        limits = d.builtin_limits(matter_kind=matter_kind, handling_mode=handling_mode, complexity=complexity)
        percent = 50
    else:
        limits = d.Limits(
            sign_for=timedelta(hours=float(policy.sign_for_hours)),
            first_contact_days=policy.first_contact_days,
            reply_days=policy.reply_days,
            completion_days=policy.completion_days,
            reasoned_reply_days=policy.reasoned_reply_days,
            extension_ceiling_days=policy.extension_ceiling_days,
        )
        percent = policy.green_channel_percent
    return limits.shortened(percent) if green_channel else limits


def limits_for(case: Case) -> tuple[d.Limits, SlaPolicy | None]:
    """The case's limits now (its classification's policy, green channel applied) and the policy."""
    policy = policy_for(case)
    if policy is None:
        logger.warning("case %s: no SLA policy matches; using the built-in defaults", case.tracking_number)
    limits = limits_of(
        policy,
        green_channel=case.green_channel,
        matter_kind=case.matter_kind,
        handling_mode=case.handling_mode,
        complexity=case.complexity,
    )
    return limits, policy


# --- The case clock ------------------------------------------------------------------------------------


def case_clock_active(case: Case, status: str | None = None) -> bool:
    """Whether the case ladder is watched: open, not resolved or answered "cannot be done" (without a new
    date), not suspended (a suspension has its own clock, ``TimerKind.SUSPENSION``)."""
    status = status or case.status
    return (
        status not in TERMINAL_STATUSES
        and status != CaseStatus.RESOLVED
        and not case.clock_settled
        and case.clock_paused_at is None
        and case.due_at is not None
    )


def case_ladder(case: Case, calendar: CalendarSnapshot) -> tuple[d.Step, ...]:
    """Yellow → 催办 → 督办 → 通报 against the deadline in force (the follow-up date after a "cannot be
    done yet" answer given in time)."""
    return d.case_ladder(
        yellow_at=case.yellow_at,
        due_at=case.deadline_in_force,
        supervise_after_days=supervise_after_days(),
        supervision_days=supervision_days(),
        calendar=calendar,
    )


def case_rearm(case: Case, *, now: datetime, calendar: CalendarSnapshot, status: str | None = None) -> None:
    """Point ``next_alarm_at`` at the next ladder step. After a change that makes the clock greener (a
    longer limit, an extension) the fired level drops to what is reached now, so the ladder can fire
    again before the new deadline; it never rises here (only the sweep fires and raises it)."""
    if not case_clock_active(case, status):
        case.next_alarm_at = None
        return
    ladder = case_ladder(case, calendar)
    case.alarm_level = min(case.alarm_level, d.level_reached(ladder, now))
    case.next_alarm_at = d.next_alarm_at(ladder, case.alarm_level)


def case_clock_compute(
    case: Case, *, now: datetime, calendar: CalendarSnapshot | None = None, keep_policy: bool = False
) -> None:
    """(Re)compute every deadline of the case from its classification's policy, its clock origin, the
    time spent suspended and its approved extensions (fields set, not saved). ``keep_policy``: the
    policy the case already has (a calendar change is no reclassification), not the best match now."""
    calendar = calendar or calendar_for(case)
    if case.clock_started_at is None:
        case.clock_started_at = case.taken_in_at or now
    if keep_policy:
        policy = case.sla_policy if case.sla_policy_id else None
        limits = limits_of(
            policy,
            green_channel=case.green_channel,
            matter_kind=case.matter_kind,
            handling_mode=case.handling_mode,
            complexity=case.complexity,
        )
    else:
        limits, policy = limits_for(case)
    clock = d.case_clock(
        origin=case.clock_started_at,
        limits=limits,
        extension_days=case.extension_days,
        paused_total=case.clock_paused_total,
        yellow_share=yellow_share(),
        calendar=calendar,
    )
    case.sla_policy = policy
    case.first_contact_due_at = clock.first_contact_due_at
    case.reply_due_at = clock.reply_due_at
    case.due_at = clock.due_at
    case.reasoned_reply_due_at = clock.reasoned_reply_due_at
    case.yellow_at = clock.yellow_at
    case.deadline_provisional = clock.provisional
    _cap_external(case)


def _cap_external(case: Case) -> None:
    """The source channel's deadline (the hotline's 办理时限) caps the completion deadline: the case keeps
    the earlier of the two; yellow comes no later than the deadline."""
    external = case.external_due_at
    if external is None or case.due_at is None or case.due_at <= external:
        return
    case.due_at = external
    if case.yellow_at is not None and case.yellow_at > external:
        case.yellow_at = external


def case_clock_start(case: Case, *, now: datetime) -> None:
    """Start the case clock at ``now`` (intake; reopen starts a new round) and compute its deadlines."""
    case.clock_started_at = now
    case.clock_paused_at = None
    case.clock_paused_total = timedelta()
    case.clock_used = timedelta()
    case.extension_days = 0
    case.reasoned_reply_at = None
    case.follow_up_due_at = None
    case.alarm_level = AlarmLevel.NONE
    case.supervision_due_at = None
    calendar = calendar_for(case)
    case_clock_compute(case, now=now, calendar=calendar)
    case_rearm(case, now=now, calendar=calendar)


def _case_pause(case: Case, *, now: datetime, calendar: CalendarSnapshot) -> None:
    case.clock_used = d.working_time_used(
        origin=case.clock_started_at, now=now, paused_total=case.clock_paused_total, calendar=calendar
    )
    case.clock_paused_at = now


def _case_resume(case: Case, *, now: datetime, calendar: CalendarSnapshot) -> None:
    # The deadlines move by the working time spent suspended: the time left is what was left at the pause.
    suspended = working_time_between(case.clock_paused_at, now, calendar=calendar).duration
    case.clock_paused_total += suspended
    for name in ("first_contact_due_at", "reply_due_at", "due_at", "reasoned_reply_due_at", "yellow_at"):
        setattr(case, name, d.shift(getattr(case, name), suspended, calendar=calendar))
    case.clock_paused_at = None
    _cap_external(case)  # the source channel's deadline does not move with our suspension


# --- Assignment clocks ---------------------------------------------------------------------------------


def assignment_ladder(assignment: Assignment) -> tuple[d.Step, ...]:
    return d.assignment_ladder(
        accept_due_at=assignment.accept_due_at,
        yellow_at=assignment.yellow_at,
        due_at=assignment.due_at,
        pending=assignment.status == AssignmentStatus.PENDING,
        assisting=assignment.role == AssignmentRole.ASSISTING,
    )


def assignment_clock_active(assignment: Assignment) -> bool:
    return assignment.is_current and assignment.clock_paused_at is None and assignment.due_at is not None


def assignment_rearm(assignment: Assignment, *, now: datetime) -> None:
    if not assignment_clock_active(assignment):
        assignment.next_alarm_at = None
        return
    ladder = assignment_ladder(assignment)
    assignment.alarm_level = min(assignment.alarm_level, d.level_reached(ladder, now))
    assignment.next_alarm_at = d.next_alarm_at(ladder, assignment.alarm_level)


def assignment_clock_compute(assignment: Assignment, *, limits: d.Limits, calendar: CalendarSnapshot) -> bool:
    """The department's own deadlines from the moment it was assigned; returns whether provisional."""
    clock = d.assignment_clock(
        origin=assignment.created_at,
        limits=limits,
        extension_days=assignment.extension_days,
        paused_total=assignment.clock_paused_total,
        yellow_share=yellow_share(),
        calendar=calendar,
    )
    assignment.accept_due_at = clock.accept_due_at
    assignment.due_at = clock.due_at
    assignment.yellow_at = clock.yellow_at
    return clock.provisional


def _assignment_state(assignment: Assignment) -> tuple:
    return tuple(getattr(assignment, name) for name in ASSIGNMENT_CLOCK_FIELDS)


def _assignments_apply(
    case: Case,
    current: list[Assignment],
    *,
    now: datetime,
    calendar: CalendarSnapshot,
    recompute: bool,
    suspended: bool,
) -> None:
    limits = None
    for assignment in current:
        before = _assignment_state(assignment)
        if assignment.due_at is None or recompute:
            limits = limits or limits_for(case)[0]
            if assignment_clock_compute(assignment, limits=limits, calendar=calendar):
                case.deadline_provisional = True
        if suspended and assignment.clock_paused_at is None:
            assignment.clock_paused_at = now
        elif not suspended and assignment.clock_paused_at is not None:
            gap = working_time_between(assignment.clock_paused_at, now, calendar=calendar).duration
            assignment.clock_paused_total += gap
            for name in ("accept_due_at", "due_at", "yellow_at"):
                setattr(assignment, name, d.shift(getattr(assignment, name), gap, calendar=calendar))
            assignment.clock_paused_at = None
        assignment_rearm(assignment, now=now)
        if _assignment_state(assignment) != before:
            assignment.save(update_fields=[*ASSIGNMENT_CLOCK_FIELDS, "updated_at"])
    # Assignments that ended in this command stop being watched.
    Assignment.objects.filter(case=case, is_current=False, next_alarm_at__isnull=False).update(
        next_alarm_at=None
    )


# --- The workflow's hooks ------------------------------------------------------------------------------


def intake_started(case: Case, *, now: datetime) -> None:
    """Intake: the case clock starts at once (unclassified cases get the default policy's limits and
    are recomputed when classified), so the receipt can print the reply deadline."""
    case_clock_start(case, now=now)


def intake_saved(case: Case, *, now: datetime) -> None:
    """Intake, once the case row exists: its timers start (reply, reasoned reply; callback for 即办).
    ``timers_reconcile`` for a case that has no timers and no requests yet: one insert, nothing read."""
    calendar = calendar_for(case)
    timers = []
    for (kind, subject_id), due_at in timers_wanted(case, [], new_case=True).items():
        timer = CaseTimer(case=case, kind=kind, subject_id=subject_id, started_at=now, due_at=due_at)
        timer_rearm(timer, now=now, calendar=calendar)
        timers.append(timer)
    CaseTimer.objects.bulk_create(timers)


def command_applied(case: Case, current: list[Assignment], *, command: str, to_status: str, now: datetime,
                    payload: dict) -> None:  # fmt: skip
    """After a command's handler, before the case is saved: keep every clock in step with the change.

    - classify, reclassify, coordinate: deadlines computed again from the new classification;
    - reopen: a new round, the case clock starts again;
    - a reply "cannot be done yet" settles the case clock (answered with reasons);
    - entering ``suspended`` pauses the case and its current assignments' clocks, leaving it (resume,
      reassign) resumes them, moving their deadlines by the working time spent suspended;
    - new assignments (assign, transfer, coordinate, reassign, reopen …) start their own clocks;
    - finally the sweep's next alarm of every clock is set again.
    Case fields are changed in place (the caller saves ``CASE_CLOCK_FIELDS``); assignments are saved here.
    """
    calendar = calendar_for(case)
    recompute = command in RECOMPUTE_COMMANDS
    if command == E.REOPEN:
        case_clock_start(case, now=now)
    elif recompute or case.due_at is None:
        case_clock_compute(case, now=now, calendar=calendar)
    said = events.Payload(payload)
    if command == E.REPLY and said.can_be_done is False and case.reasoned_reply_at is None:
        case.reasoned_reply_at = now
    if said.follow_up_due_at and case.deadline_in_force == case.follow_up_due_at:
        # The follow-up clock (答复未办结): yellow and the ladder start again against the new date.
        case.yellow_at = _yellow(now, case.follow_up_due_at, timedelta(), yellow_share(), calendar)
    suspended = to_status == CaseStatus.SUSPENDED
    if suspended and case.clock_paused_at is None:
        _case_pause(case, now=now, calendar=calendar)
    elif not suspended and case.clock_paused_at is not None:
        _case_resume(case, now=now, calendar=calendar)
    case_rearm(case, now=now, calendar=calendar, status=to_status)
    _assignments_apply(case, current, now=now, calendar=calendar, recompute=recompute, suspended=suspended)
    _first_contact_from_lead(
        case, current, calendar=calendar, now=now, recomputed=recompute or command == E.REOPEN
    )
    timers_reconcile(case, current, now=now, status=to_status)


def _first_contact_from_lead(
    case: Case, current: list[Assignment], *, calendar: CalendarSnapshot, now: datetime, recomputed: bool
) -> None:
    # 当日联系: the handling unit contacts the requester on the day IT receives the case, so first contact
    # counts from the current lead assignment's creation, not from intake. Set when a lead is named (its
    # assignment is created in this command) and again after the deadlines were recomputed from intake.
    lead = next((a for a in current if a.role == AssignmentRole.LEAD), None)
    if lead is None or case.first_contacted_at is not None:
        return
    if not recomputed and lead.created_at < now:
        return
    limits, _policy = limits_for(case)
    case.first_contact_due_at = add_working_days(
        lead.created_at, limits.first_contact_days, calendar=calendar
    ).at


# --- Timers: every other deadline, watched until the act it waits for (docs/DEADLINES.md) --------------


def extension_decision_days() -> int:
    return int(getattr(settings, "CASE_EXTENSION_DECISION_DAYS", 1))


def review_days() -> int:
    return int(getattr(settings, "CASE_REVIEW_DAYS", 2))


def callback_days() -> int:
    return int(getattr(settings, "CASE_CALLBACK_DAYS", 1))


def suspension_days() -> int:
    """Default length of a suspension (working days)."""
    return int(getattr(settings, "CASE_SUSPENSION_DAYS", 5))


def follow_up_max_days() -> int:
    """Latest new date a "cannot be done yet" answer may give, in working days from the answer; later
    takes an extension request (a supervisor's decision)."""
    return int(getattr(settings, "CASE_FOLLOW_UP_MAX_DAYS", 20))


def suspension_max_days() -> int:
    """Longest suspension a department may set alone; beyond it a supervisor must approve."""
    return int(getattr(settings, "CASE_SUSPENSION_MAX_DAYS", 10))


def working_days_after(moment: datetime, days: int, case: Case) -> datetime:
    """Close of business of the ``days``-th working day after ``moment`` on the case's county calendar."""
    return add_working_days(moment, days, calendar=calendar_for(case)).at


TimerKey = tuple[str, int]


def timers_wanted(
    case: Case, current: list[Assignment], *, status: str | None = None, new_case: bool = False
) -> dict[TimerKey, datetime]:
    """THE table of which timers run for a case in its present state, and their deadlines.

    ``{(kind, subject_id): due_at}``. Each timer runs from the moment its row appears here until it
    disappears (the act it waits for happened, or the case moved on). docs/DEADLINES.md lists the same
    table in prose; the Hypothesis state machine checks that stored timers always equal it.
    """
    status = status or case.status
    wanted: dict[TimerKey, datetime] = {}
    if status in TERMINAL_STATUSES:
        wanted.update(_review_timers(case))
        return wanted
    waiting_for_answer = case.replied_at is None and case.resolved_at is None
    running = status not in (CaseStatus.RESOLVED, CaseStatus.SUSPENDED)
    if running and waiting_for_answer:
        if case.reply_due_at is not None:
            wanted[(TimerKind.REPLY, 0)] = case.reply_due_at
        if (
            case.reasoned_reply_due_at is not None
            and case.reply_due_at is not None
            and case.reasoned_reply_due_at < case.reply_due_at
        ):
            wanted[(TimerKind.REASONED_REPLY, 0)] = case.reasoned_reply_due_at
        lead = next((a for a in current if a.role == AssignmentRole.LEAD), None)
        if lead is not None and case.first_contacted_at is None and case.first_contact_due_at is not None:
            wanted[(TimerKind.FIRST_CONTACT, lead.pk)] = case.first_contact_due_at
    if status == CaseStatus.SUSPENDED and case.suspended_until is not None:
        wanted[(TimerKind.SUSPENSION, 0)] = case.suspended_until
    if status == CaseStatus.RESOLVED and case.resolved_at is not None:
        wanted[(TimerKind.CALLBACK, 0)] = working_days_after(case.resolved_at, callback_days(), case)
    # A case just taken in has no extension request yet: nothing to read.
    extensions = () if new_case else Extension.objects.filter(case=case, status=ExtensionStatus.REQUESTED)
    for extension in extensions.only("pk", "created_at") if extensions else ():
        wanted[(TimerKind.EXTENSION_DECISION, extension.pk)] = working_days_after(
            extension.created_at, extension_decision_days(), case
        )
    wanted.update(_review_timers(case))
    return wanted


def _review_timers(case: Case) -> dict[TimerKey, datetime]:
    if not case.needs_review:  # True exactly while a review is pending: no query for the usual case
        return {}
    rows = RefusalReview.objects.filter(case=case, status=ReviewStatus.PENDING).only("pk", "due_at")
    return {(TimerKind.REVIEW, review.pk): review.due_at for review in rows}


def timers_reconcile(
    case: Case, current: list[Assignment], *, now: datetime, status: str | None = None
) -> None:
    """Make the stored running timers equal ``timers_wanted``: stop the ones no longer wanted, start the
    new ones, move (and re-arm) the ones whose deadline changed. In the caller's transaction, on the
    locked case; written rows only (nothing when nothing changed)."""
    wanted = timers_wanted(case, current, status=status)
    running = {
        (t.kind, t.subject_id): t for t in CaseTimer.objects.filter(case=case, stopped_at__isnull=True)
    }
    calendar = calendar_for(case)
    for key, timer in running.items():
        if key not in wanted:
            timer.stopped_at = now
            timer.next_alarm_at = None
            timer.save(update_fields=["stopped_at", "next_alarm_at", "updated_at"])
        elif wanted[key] != timer.due_at:
            timer.due_at = wanted[key]
            timer_rearm(timer, now=now, calendar=calendar)
            timer.save(update_fields=["due_at", "alarm_level", "next_alarm_at", "updated_at"])
    for key, due_at in wanted.items():
        if key in running:
            continue
        timer = CaseTimer(case=case, kind=key[0], subject_id=key[1], started_at=now, due_at=due_at)
        timer_rearm(timer, now=now, calendar=calendar)
        timer.save()


def timers_reconcile_all(*, now: datetime, batch_size: int = 500) -> int:
    """Reconcile the timers of every open case (or case with a pending review), one short transaction per
    case with its row locked: for data that predates the timers (``manage.py timers_reconcile``, run by
    ``scripts/run`` after migrating). Idempotent; returns how many cases were looked at."""
    from django.db import transaction

    ids = list(
        Case.objects.filter(Q(needs_review=True) | ~Q(status__in=TERMINAL_STATUSES))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for start in range(0, len(ids), batch_size):
        for pk in ids[start : start + batch_size]:
            with transaction.atomic():
                case = Case.objects.select_for_update().filter(pk=pk).first()
                if case is None:
                    continue
                current = list(case.assignments.filter(is_current=True))
                timers_reconcile(case, current, now=now)
    return len(ids)


def timer_ladder(timer: CaseTimer, calendar: CalendarSnapshot) -> tuple[d.Step, ...]:
    return d.timer_ladder(due_at=timer.due_at, supervise_after_days=supervise_after_days(), calendar=calendar)


def timer_rearm(timer: CaseTimer, *, now: datetime, calendar: CalendarSnapshot) -> None:
    """Point ``next_alarm_at`` at the next step; a later deadline lowers the fired level (like the case's)."""
    ladder = timer_ladder(timer, calendar)
    timer.alarm_level = min(timer.alarm_level, d.level_reached(ladder, now))
    timer.next_alarm_at = d.next_alarm_at(ladder, timer.alarm_level)


# --- The calendar changed: provisional deadlines computed again ----------------------------------------


def provisional_deadlines_recompute(*, now: datetime, batch_size: int = 500) -> list[int]:
    """After the calendar gained dates (a year imported): compute again every deadline of the open cases
    whose deadlines were provisional, and clear the flag where they are now exact. Returns the case ids.

    Called inside the import's transaction (``routing.calendar.calendar_loaded``), so the calendar and the
    deadlines change together or not at all. Set-based: per batch, one locking read of the cases, one of
    their current assignments, one of their running timers, then one bulk UPDATE per table — never a
    ``save()`` per case. Each case is computed by the same functions a command uses, from the same origin,
    pauses and extensions, with the policy it already has (``keep_policy``: a calendar change is not a
    reclassification): the case clock (first contact from the lead's assignment), its current
    assignments' clocks, the sweep's next alarm of each, and the timers of ``timers_wanted``. A deadline
    set by a person's act (a follow-up date, a suspension's end, a review's or a supervision order's due
    time) keeps its date, as does the yellow point of a follow-up clock. No event is written (nobody
    acted); a "deadlines moved" receiver (the supervision projection) is told the ids.
    """
    from .signals import deadlines_recomputed

    ids = list(
        Case.objects.open().filter(deadline_provisional=True).order_by("pk").values_list("pk", flat=True)
    )
    for start in range(0, len(ids), batch_size):
        _recompute_batch(ids[start : start + batch_size], now=now)
    if ids:
        deadlines_recomputed.send(sender=Case, case_ids=ids)
    return ids


def _recompute_batch(ids: list[int], *, now: datetime) -> None:
    cases = list(Case.objects.select_for_update(of=("self",)).filter(pk__in=ids).select_related("sla_policy"))
    current_by_case: dict[int, list[Assignment]] = {}
    for assignment in Assignment.objects.select_for_update().filter(case_id__in=ids, is_current=True):
        current_by_case.setdefault(assignment.case_id, []).append(assignment)
    running: dict[int, dict[TimerKey, CaseTimer]] = {}
    for timer in CaseTimer.objects.select_for_update().filter(case_id__in=ids, stopped_at__isnull=True):
        running.setdefault(timer.case_id, {})[(timer.kind, timer.subject_id)] = timer
    changed_assignments: list[Assignment] = []
    new_timers: list[CaseTimer] = []
    changed_timers: list[CaseTimer] = []
    for case in cases:
        calendar = calendar_for(case)
        current = current_by_case.get(case.pk, [])
        follow_up_yellow = case.yellow_at if case.follow_up_due_at else None
        case_clock_compute(case, now=now, calendar=calendar, keep_policy=True)
        if follow_up_yellow is not None and case.deadline_in_force == case.follow_up_due_at:
            case.yellow_at = follow_up_yellow  # yellow runs against the follow-up date (a person's date)
        limits = limits_of(
            case.sla_policy if case.sla_policy_id else None,
            green_channel=case.green_channel,
            matter_kind=case.matter_kind,
            handling_mode=case.handling_mode,
            complexity=case.complexity,
        )
        for assignment in current:
            if assignment.due_at is None:
                continue
            if assignment_clock_compute(assignment, limits=limits, calendar=calendar):
                case.deadline_provisional = True
            if assignment.clock_paused_at is None:
                assignment_rearm(assignment, now=now)
            changed_assignments.append(assignment)
        lead = next((a for a in current if a.role == AssignmentRole.LEAD), None)
        if lead is not None and case.first_contacted_at is None:
            first = add_working_days(lead.created_at, limits.first_contact_days, calendar=calendar)
            case.first_contact_due_at = first.at
            case.deadline_provisional = case.deadline_provisional or first.provisional
        case_rearm(case, now=now, calendar=calendar)
        mine = running.get(case.pk, {})
        for key, due_at in timers_wanted(case, current).items():
            timer = mine.pop(key, None)
            if timer is None:
                timer = CaseTimer(case=case, kind=key[0], subject_id=key[1], started_at=now, due_at=due_at)
                timer_rearm(timer, now=now, calendar=calendar)
                new_timers.append(timer)
            elif timer.due_at != due_at:
                timer.due_at = due_at
                timer_rearm(timer, now=now, calendar=calendar)
                changed_timers.append(timer)
        for timer in mine.values():  # no longer wanted (cannot happen from a calendar change alone)
            timer.stopped_at, timer.next_alarm_at = now, None
            changed_timers.append(timer)
    stamp = timezone.now()
    for row in (*cases, *changed_assignments, *changed_timers):
        row.updated_at = stamp
    Case.objects.bulk_update(cases, [*CASE_CLOCK_FIELDS, "updated_at"])
    Assignment.objects.bulk_update(changed_assignments, [*ASSIGNMENT_CLOCK_FIELDS, "updated_at"])
    CaseTimer.objects.bulk_update(
        changed_timers, ["due_at", "alarm_level", "next_alarm_at", "stopped_at", "updated_at"]
    )
    CaseTimer.objects.bulk_create(new_timers)


# --- Extensions (延期) ---------------------------------------------------------------------------------


def extension_target_due(case: Case, assignment: Assignment) -> datetime | None:
    """The deadline an extension requested by this assignment's department would move."""
    return case.due_at if assignment.role == AssignmentRole.LEAD else assignment.due_at


def extension_blocker(case: Case, assignment: Assignment, *, now: datetime) -> str | None:
    """Why this department may not ask for an extension now (None: it may). Messages are zh-hans."""
    from django.utils.translation import gettext as _

    lead = assignment.role == AssignmentRole.LEAD
    due = extension_target_due(case, assignment)
    settled = case.clock_settled or case.status in TERMINAL_STATUSES or case.status == CaseStatus.RESOLVED
    if due is None or settled or not assignment.is_current:
        return _("没有正在计时的办理时限。")
    paused_at = case.clock_paused_at if lead else assignment.clock_paused_at
    if (paused_at or now) >= due:
        return _("已超过办理时限，延期应在到期前申请。")
    requests = Extension.objects.filter(case=case, assignment=assignment)
    if requests.filter(status=ExtensionStatus.REQUESTED).exists():
        return _("已有待审批的延期申请。")
    if requests.exclude(status=ExtensionStatus.REFUSED).count() >= extension_max_count():
        return _("延期次数已达上限。")
    return None


def extension_room(case: Case, assignment: Assignment) -> int:
    """How many working days an extension may still add for this department (the policy's ceiling)."""
    limits, _policy = limits_for(case)
    used = case.extension_days if assignment.role == AssignmentRole.LEAD else assignment.extension_days
    return limits.extension_room(used)


def extension_apply(extension: Extension, *, now: datetime, current: list[Assignment]) -> datetime | None:
    """Approval: move ONLY the due time(s) by the extension's working days (and the yellow points with
    them). A lead's request moves the case's completion deadline and the lead assignment's; an assisting
    department's only its own. Returns the new deadline of the request's clock."""
    case = extension.case
    calendar = calendar_for(case)
    length = extension.days * calendar.working_day_length
    share = yellow_share()
    assignment = next((a for a in current if a.pk == extension.assignment_id), None)
    new_due = None
    if extension.applies_to_case:
        case.extension_days += extension.days
        case.due_at = d.shift(case.due_at, length, calendar=calendar)
        case.yellow_at = _yellow(case.clock_started_at, case.due_at, case.clock_paused_total, share, calendar)
        _cap_external(case)  # an extension of ours does not move the source channel's deadline
        case_rearm(case, now=now, calendar=calendar)
        new_due = case.due_at
    if assignment is not None and assignment.due_at is not None:
        assignment.extension_days += extension.days
        assignment.due_at = d.shift(assignment.due_at, length, calendar=calendar)
        assignment.yellow_at = _yellow(
            assignment.created_at, assignment.due_at, assignment.clock_paused_total, share, calendar
        )
        assignment_rearm(assignment, now=now)
        assignment.save(update_fields=[*ASSIGNMENT_CLOCK_FIELDS, "updated_at"])
        new_due = new_due or assignment.due_at
    return new_due


def _yellow(origin, due_at, paused_total, share, calendar) -> datetime:
    # The allowed time is what lies between the origin and the (moved) deadline, suspensions excluded.
    allowed = working_time_between(origin, due_at, calendar=calendar).duration - paused_total
    budget = d.yellow_budget(allowed, share=share, day=calendar.working_day_length)
    return d.after(origin, budget + paused_total, calendar=calendar).at


# --- Who is told (recipient helpers of ``cases.notices``, the closed loop's notifications) ------------


def department_heads(department_id: int | None) -> list[int]:
    from . import notices

    if department_id is None:
        return []
    return notices.Directory(department_ids=[department_id]).department_heads(department_id)


def case_holders(case: Case, *, heads_only: bool = False) -> list[int]:
    """Who holds the case now (``notices.Directory.case_holders``): the lead department's staff (its heads
    only, for 催办), else the coordination centre while the case waits there, else the intake window's
    clerks (首问负责)."""
    from . import notices

    return notices.Directory([case]).case_holders(case, heads_only=heads_only)


def supervisors_above(case: Case) -> list[int]:
    """The supervisors of the tier above whoever holds the case (``notices.Directory.supervisors_above``)."""
    from . import notices

    return notices.Directory([case]).supervisors_above(case)
