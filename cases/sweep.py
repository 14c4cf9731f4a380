"""The deadline sweep: Celery beat runs it every minute (``cases.tasks.sweep_deadlines``), operators with
``manage.py sweep``. Timers are stored due times, never Celery countdowns.

Each clock (a case, an assignment) stores ``next_alarm_at`` (when its next ladder step is due; NULL when
nothing is watched, e.g. resolved or suspended) and ``alarm_level`` (the last step fired). A sweep claims
only the clocks whose ``next_alarm_at`` has come (a partial index holds the watched rows), in batches of
``CASE_SWEEP_BATCH_SIZE`` with ``SELECT … FOR UPDATE SKIP LOCKED``, one transaction per batch; for each
clock it fires the highest step reached, writes the step's ``CaseEvent`` (system actor; one kind per step,
``cases.choices.STEP_EVENT``, the same for every clock) and notification rows, raises ``alarm_level`` and
points ``next_alarm_at`` at the next step, all in that transaction.

Set-based, a batch at a time
    A batch is claimed with one query, then each clock's step is decided in Python (``_plan_case``,
    ``_plan_assignment``, ``_plan_timer``: the pure ladder of ``cases.clocks``), and everything is written
    for the whole batch at once: the clocks' new levels and due times (one ``UPDATE … FROM (VALUES …)``),
    the events (``workflow.record_sweep_events``: versions bumped, events chained and inserted in one
    statement, the effects such as the supervision facts run once for the batch), the recipients (one
    ``notices.Directory`` per batch: each kind of membership read once) and the notifications
    (``notify_staff_many``: users, preferences and templates read once, one insert). So a batch costs a
    fixed number of queries whatever its size (pinned by ``tests/cases/test_sweep_queries.py``), and a
    sweep with nothing due costs one query. There is one path: a single clock is a batch of one.

Why every step fires exactly once
    The level advance, the event and the notifications commit together or not at all. Two sweeps never
    hold the same clock (SKIP LOCKED; a row updated meanwhile no longer matches ``next_alarm_at <= now``),
    a step is fired only above the stored level, and a sweep killed mid-batch rolls its whole batch back
    (the database drops the dead connection's transaction), so the next sweep finds those clocks due
    again and fires them once. Command and sweep never wait for each other in a cycle: the sweep skips
    clocks whose case a command holds and picks them up on its next run.

Catching up after downtime
    When several steps came due while no sweep ran, only the highest one reached fires (one event, one
    message); the event's payload lists the passed lower levels under ``skipped``.

Test hook
    ``WINDOWSVC_SWEEP_TEST_DELAY`` (seconds, read once per clock): a sweep sleeps that long per clock of a
    batch after writing the batch and before committing it, logging ``sweep: inside a batch`` first, so the
    tests can kill a worker mid-batch and run two sweeps at once. Unset in production.
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from routing.deadlines import CalendarSnapshot
from routing.paths import county_code
from windowsvc.bulk import bulk_set

from . import clocks as d
from . import events, notices, sla, workflow
from .choices import AlarmLevel, TimerKind, step_event
from .models import Assignment, Case, CaseTimer

logger = logging.getLogger(__name__)

TEST_DELAY_ENV = "WINDOWSVC_SWEEP_TEST_DELAY"
CLOCK_FIELDS = ("next_alarm_at", "alarm_level", "updated_at")


def batch_size() -> int:
    return int(getattr(settings, "CASE_SWEEP_BATCH_SIZE", 200))


def max_batches() -> int:
    return int(getattr(settings, "CASE_SWEEP_MAX_BATCHES", 50))


def level_name(level: int) -> str:
    return AlarmLevel(level).name.lower()


def sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Fire every ladder step due by ``now`` (default: the current time); returns counts per kind.

    ``{"cases": claimed, "assignments": claimed, "timers": claimed, "fired": events, "<level>": events of
    that level, "timer_fired": timer events, "timer_<level>": …}``.
    """
    now = now or timezone.now()
    totals: Counter[str] = Counter()
    due = _due_kinds(now)
    for name in ("cases", "assignments", "timers"):
        if name not in due:
            continue
        for _batch in range(max_batches()):
            claimed = _run_batch(name, now, totals)
            if claimed < batch_size():
                break
    result = {"cases": 0, "assignments": 0, "timers": 0, "fired": 0, **totals}
    if result["fired"] or result.get("timer_fired"):
        logger.info("deadline sweep at %s: %s", now.isoformat(), result)
    return result


def _due_kinds(now: datetime) -> set[str]:
    """Which kinds of clock have anything due: one query over the three partial indexes, so a sweep with
    nothing due opens no transaction and claims nothing (its cost does not grow with what is stored)."""
    quote = connection.ops.quote_name
    tables = {"cases": Case, "assignments": Assignment, "timers": CaseTimer}
    probes = [
        f"EXISTS (SELECT 1 FROM {quote(model._meta.db_table)} WHERE {quote('next_alarm_at')} <= %s)"  # noqa: S608
        for model in tables.values()
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(probes)}", [now] * len(probes))
        flags = cursor.fetchone()
    return {name for name, flag in zip(tables, flags, strict=True) if flag}


def _run_batch(name: str, now: datetime, totals: Counter) -> int:
    claim, fire = KINDS[name]
    with transaction.atomic():
        rows = claim(now)
        if rows:
            fired = fire(rows, now)
            # Timers are counted apart: "fired" and the level counts stay the completion ladders'.
            prefix = "timer_" if name == "timers" else ""
            for level in fired:
                totals[f"{prefix}fired"] += 1
                totals[f"{prefix}{level_name(level)}"] += 1
            for row in rows:
                _test_delay(row)
        totals[name] += len(rows)
        return len(rows)


def _claim_cases(now: datetime) -> list[Case]:
    return list(
        Case.objects.filter(next_alarm_at__lte=now)
        .select_related("lead_department")
        .order_by("next_alarm_at", "pk")
        .select_for_update(skip_locked=True, of=("self",))[: batch_size()]
    )


def _claim_assignments(now: datetime) -> list[Assignment]:
    # The case row is locked too (its version counts the events); both skipped when either is busy.
    return _share_cases(
        list(
            Assignment.objects.filter(next_alarm_at__lte=now)
            .select_related("case", "department")
            .order_by("next_alarm_at", "pk")
            .select_for_update(skip_locked=True, of=("self", "case"))[: batch_size()]
        )
    )


def _claim_timers(now: datetime) -> list[CaseTimer]:
    rows = list(
        CaseTimer.objects.filter(next_alarm_at__lte=now)
        .select_related("case", "case__lead_department")
        .order_by("next_alarm_at", "pk")
        .select_for_update(skip_locked=True, of=("self", "case"))[: batch_size()]
    )
    return _share_cases(rows)


def _share_cases(rows: list) -> list:
    # Several clocks of one case in a batch must bump ONE in-memory case (its version numbers the events).
    cases: dict[int, Case] = {}
    for row in rows:
        row.case = cases.setdefault(row.case_id, row.case)
    return rows


def _test_delay(row) -> None:
    delay = os.environ.get(TEST_DELAY_ENV)
    if delay:
        logger.warning("sweep: inside a batch (%s %s, uncommitted)", type(row).__name__, row.pk)
        time.sleep(float(delay))


# --- One batch: decide each clock's step, then write the batch at once -----------------------------------


@dataclass
class Notice:
    """A message a step sends: to whom is decided later, with the batch's ``notices.Directory``."""

    purpose: str
    template: str
    recipients: Callable[[notices.Directory], list[int]]
    context: dict


@dataclass
class Plan:
    """What one claimed clock does in this batch: the step it fires (None: only re-armed) and its message."""

    step: workflow.SweepStep | None = None
    level: int = AlarmLevel.NONE
    notice: Notice | None = None
    departments: tuple[int, ...] = field(default=())


class _Calendars(dict):
    """The batch's working-day calendars by county (the snapshot cache is per process; this spares its lock
    and freshness check per clock)."""

    def of(self, case: Case) -> CalendarSnapshot:
        key = county_code(case.region_path)
        if key not in self:
            self[key] = sla.calendar_for(case)
        return self[key]


def _fire(
    rows: list, plans: list[Plan], now: datetime, *, model, case_fields: tuple[str, ...] = ()
) -> list[int]:
    """Write a planned batch: the steps' events (with the cases: ``case_fields`` of the fired case clocks
    ride along), the clocks that only moved, then every message of the batch. Returns the fired levels."""
    steps = [plan.step for plan in plans if plan.step is not None]
    created = workflow.record_sweep_events(steps, now=now, update_fields=case_fields)
    if model is Case:
        # A fired case clock was saved with its event; the others only moved their next look.
        moved = [row for row, plan in zip(rows, plans, strict=True) if plan.step is None]
    else:
        moved = rows
    stamp = timezone.now()
    for row in moved:
        row.updated_at = stamp
    bulk_set(model, moved, CLOCK_FIELDS)
    _tell(
        [
            (event, plan)
            for event, plan in zip(created, [p for p in plans if p.step is not None], strict=True)
            if plan.notice is not None
        ],
        cases=[step.case for step in steps],
        departments=[pk for plan in plans for pk in plan.departments],
    )
    return [plan.level for plan in plans if plan.step is not None]


def _tell(fired: list[tuple], *, cases: list[Case], departments: list[int]) -> None:
    """The batch's messages: recipients resolved with one directory, rows written with one call."""
    from notifications.services import StaffNotice, notify_staff_many

    if not fired:
        return
    directory = notices.Directory(cases, departments)
    batch = []
    for event, plan in fired:
        notice = plan.notice
        users = notice.recipients(directory)
        if not users:
            logger.warning("case %s: nobody to tell about %s", event.case.tracking_number, event.kind)
            continue
        batch.append(
            StaffNotice(
                event_key=notices.event_key(event, notice.purpose),
                template_code=notice.template,
                user_ids=tuple(users),
                context=notice.context,
                emergency=notices.is_emergency(event.case),
            )
        )
    notify_staff_many(batch)


# --- The case clock: yellow → 催办 → 督办 → 通报 ----------------------------------------------------------

CASE_FIELDS = ("next_alarm_at", "alarm_level", "supervision_due_at", "bulletin_at")


def _fire_cases(cases: list[Case], now: datetime) -> list[int]:
    calendars = _Calendars()
    plans = [_plan_case(case, now, calendars.of(case)) for case in cases]
    return _fire(cases, plans, now, model=Case, case_fields=CASE_FIELDS)


def _plan_case(case: Case, now: datetime, calendar: CalendarSnapshot) -> Plan:
    if not sla.case_clock_active(case):
        case.next_alarm_at = None
        return Plan()
    ladder = sla.case_ladder(case, calendar)
    reached = d.level_reached(ladder, now)
    if reached <= case.alarm_level:
        case.next_alarm_at = d.next_alarm_at(ladder, case.alarm_level)
        return Plan()
    skipped = d.skipped_levels(ladder, case.alarm_level, reached)
    steps = {step.level: step.at for step in ladder}
    if reached >= AlarmLevel.SUPERVISE and case.supervision_due_at is None:
        # The supervision order's own deadline, counted from when it was due to be issued.
        case.supervision_due_at = steps[AlarmLevel.BULLETIN]
    if reached == AlarmLevel.BULLETIN:
        case.bulletin_at = now
    case.alarm_level = reached
    case.next_alarm_at = d.next_alarm_at(ladder, reached)
    step = workflow.SweepStep(
        case,
        step_event(reached),
        reason=_case_reason(reached),
        payload=events.ladder_step(
            clock="case",
            level=level_name(reached),
            skipped=[level_name(level) for level in skipped],
            deadline=case.due_at,
            supervision_due_at=case.supervision_due_at,
        ),
        department_id=case.lead_department_id,
    )
    return Plan(step, reached, _case_notice(case, reached))


def _case_reason(level: int) -> str:
    return {
        AlarmLevel.YELLOW: _("办理时限将至（黄灯）。"),
        AlarmLevel.RED: _("已超过办理时限（红灯），催办。"),
        AlarmLevel.SUPERVISE: _("超期未办结，上一级督办。"),
        AlarmLevel.BULLETIN: _("督办期限已过仍未办结，列入月度通报。"),
    }[level]


def _case_notice(case: Case, level: int) -> Notice:
    from notifications.choices import TemplateCode

    department = case.lead_department.name if case.lead_department_id else ""
    context = notices.staff_context(case, deadline=case.due_at, department=department)
    if level == AlarmLevel.YELLOW:
        return Notice("warn", TemplateCode.WARNING_YELLOW, lambda to: to.case_holders(case), context)
    if level == AlarmLevel.RED:
        return Notice(
            "urge",
            TemplateCode.URGE,
            lambda to: to.case_holders(case, heads_only=True) or to.case_holders(case),
            {**context, "note": _("已超过办理时限，请立即办理。")},
        )
    order = {**context, "deadline": case.supervision_due_at}
    if level == AlarmLevel.BULLETIN:
        order["note"] = _("督办期限已过仍未办结，已列入本月通报。")
        template = TemplateCode.URGE
    else:
        template = TemplateCode.SUPERVISE
    return Notice(
        level_name(level),
        template,
        lambda to: sorted({*to.supervisors_above(case), *to.case_holders(case, heads_only=True)}),
        order,
    )


# --- Assignment clocks: sign-for reminder; yellow and 催办 for assisting departments ---------------------


def _fire_assignments(assignments: list[Assignment], now: datetime) -> list[int]:
    plans = [_plan_assignment(assignment, now) for assignment in assignments]
    return _fire(assignments, plans, now, model=Assignment)


def _plan_assignment(assignment: Assignment, now: datetime) -> Plan:
    case = assignment.case
    if not sla.assignment_clock_active(assignment) or not case.is_open:
        assignment.next_alarm_at = None
        return Plan()
    ladder = sla.assignment_ladder(assignment)
    reached = d.level_reached(ladder, now)
    if reached <= assignment.alarm_level:
        assignment.next_alarm_at = d.next_alarm_at(ladder, assignment.alarm_level)
        return Plan()
    skipped = d.skipped_levels(ladder, assignment.alarm_level, reached)
    assignment.alarm_level = reached
    assignment.next_alarm_at = d.next_alarm_at(ladder, reached)
    deadline = assignment.accept_due_at if reached == AlarmLevel.SIGN else assignment.due_at
    step = workflow.SweepStep(
        case,
        step_event(reached),
        reason=_assignment_reason(reached, assignment),
        payload=events.ladder_step(
            clock="assignment",
            assignment=assignment.pk,
            role=assignment.role,
            level=level_name(reached),
            skipped=[level_name(level) for level in skipped],
            deadline=deadline,
        ),
        department_id=assignment.department_id,
    )
    notice = _assignment_notice(assignment, reached, deadline)
    return Plan(step, reached, notice, departments=(assignment.department_id,))


def _assignment_reason(level: int, assignment: Assignment) -> str:
    if level == AlarmLevel.SIGN:
        return _("派单超过签收时限仍未签收。")
    if level == AlarmLevel.YELLOW:
        return _("协办时限将至（黄灯）。")
    return _("已超过协办时限（红灯），催办。")


def _assignment_notice(assignment: Assignment, level: int, deadline) -> Notice:
    from notifications.choices import TemplateCode

    context = notices.staff_context(assignment.case, deadline=deadline, department=assignment.department.name)
    department_id = assignment.department_id
    if level == AlarmLevel.SIGN:
        return Notice(
            "sign", TemplateCode.SIGN_REMINDER, lambda to: to.department_staff(department_id), context
        )
    if level == AlarmLevel.YELLOW:
        return Notice(
            "warn", TemplateCode.WARNING_YELLOW, lambda to: to.department_staff(department_id), context
        )
    return Notice(
        "urge",
        TemplateCode.URGE,
        lambda to: to.department_heads(department_id) or to.department_staff(department_id),
        {**context, "note": _("协办已超过时限，请立即办理。")},
    )


# --- Timers: reply, first contact, suspension, extension decision, review, callback ----------------------


def _fire_timers(timers: list[CaseTimer], now: datetime) -> list[int]:
    calendars = _Calendars()
    plans = [_plan_timer(timer, now, calendars) for timer in timers]
    return _fire(timers, plans, now, model=CaseTimer)


def _plan_timer(timer: CaseTimer, now: datetime, calendars: _Calendars) -> Plan:
    case = timer.case
    if timer.stopped_at is not None:
        timer.next_alarm_at = None
        return Plan()
    ladder = sla.timer_ladder(timer, calendars.of(case))
    reached = d.level_reached(ladder, now)
    if reached <= timer.alarm_level:
        timer.next_alarm_at = d.next_alarm_at(ladder, timer.alarm_level)
        return Plan()
    skipped = d.skipped_levels(ladder, timer.alarm_level, reached)
    timer.alarm_level = reached
    timer.next_alarm_at = d.next_alarm_at(ladder, reached)
    step = workflow.SweepStep(
        case,
        step_event(reached),
        reason=timer_reason(timer.kind, reached),
        payload=events.ladder_step(
            clock=timer.kind,
            timer=timer.pk,
            subject=timer.subject_id,
            level=level_name(reached),
            skipped=[level_name(level) for level in skipped],
            deadline=timer.due_at,
        ),
        department_id=case.lead_department_id if timer.kind in HOLDER_TIMERS else None,
    )
    return Plan(step, reached, _timer_notice(timer, reached))


# Timers a department (or whoever holds the case) must act on; the others wait on supervisors or the window.
HOLDER_TIMERS = frozenset(
    {TimerKind.REPLY, TimerKind.REASONED_REPLY, TimerKind.FIRST_CONTACT, TimerKind.SUSPENSION}
)
SUPERVISOR_TIMERS = frozenset({TimerKind.EXTENSION_DECISION, TimerKind.REVIEW})

_TIMER_DUE_TEXT = {
    TimerKind.REPLY: _("答复期限已到，请答复反映人。"),
    TimerKind.REASONED_REPLY: _("说明答复期限已到：不能按期办结的，请向反映人说明理由并告知预计办结日期。"),
    TimerKind.FIRST_CONTACT: _("首次联系期限已到，请当日联系反映人。"),
    TimerKind.SUSPENSION: _("挂起期限已到，请恢复办理或申请督办批准。"),
    TimerKind.EXTENSION_DECISION: _("延期申请审批期限已到，请审批。"),
    TimerKind.REVIEW: _("否定答复审核期限已到，请审核。"),
    TimerKind.CALLBACK: _("回访期限已到，请回访反映人并销号。"),
}


def timer_reason(kind: str, level: int) -> str:
    text = str(_TIMER_DUE_TEXT[TimerKind(kind)])
    if level == AlarmLevel.RED:
        return _("催办：%(text)s") % {"text": text}
    if level == AlarmLevel.SUPERVISE:
        return _("督办：%(text)s") % {"text": text}
    return text


def timer_recipients(timer: CaseTimer, level: int, directory: notices.Directory | None = None) -> list[int]:
    """Who must act on a timer's step: the holder (department staff; heads for 催办), the window's clerks
    for the callback, the case's supervisors for decisions; 督办 adds the supervisors of the tier above.
    ``directory``: the batch's (default: one for this timer's case)."""
    case = timer.case
    to = directory or notices.Directory([case])
    kind = TimerKind(timer.kind)
    if kind in SUPERVISOR_TIMERS:
        users = set(to.case_supervisors(case))
    elif kind == TimerKind.CALLBACK:
        users = set(to.window_clerks(case))
    elif level >= AlarmLevel.RED:
        users = set(to.case_holders(case, heads_only=True) or to.case_holders(case))
    else:
        users = set(to.case_holders(case))
    if level >= AlarmLevel.SUPERVISE:
        users |= set(to.supervisors_above(case))
    return sorted(users)


def _timer_notice(timer: CaseTimer, level: int) -> Notice:
    from notifications.choices import TemplateCode

    case = timer.case
    department = case.lead_department.name if case.lead_department_id else ""
    context = notices.staff_context(
        case, deadline=timer.due_at, department=department, note=timer_reason(timer.kind, level)
    )
    template = {
        AlarmLevel.REMIND: TemplateCode.WARNING_RED,
        AlarmLevel.RED: TemplateCode.URGE,
        AlarmLevel.SUPERVISE: TemplateCode.SUPERVISE,
    }[level]
    return Notice(
        f"timer-{level_name(level)}", template, lambda to: timer_recipients(timer, level, to), context
    )


# Each kind of clock: how a batch is claimed, and how it is fired.
KINDS = {
    "cases": (_claim_cases, _fire_cases),
    "assignments": (_claim_assignments, _fire_assignments),
    "timers": (_claim_timers, _fire_timers),
}
