"""The deadline sweep: Celery beat runs it every minute (``cases.tasks.sweep_deadlines``), operators with
``manage.py sweep``. Timers are stored due times, never Celery countdowns.

Each clock (a case, an assignment) stores ``next_alarm_at`` (when its next ladder step is due; NULL when
nothing is watched, e.g. resolved or suspended) and ``alarm_level`` (the last step fired). A sweep claims
only the clocks whose ``next_alarm_at`` has come (a partial index holds the watched rows), in batches of
``CASE_SWEEP_BATCH_SIZE`` with ``SELECT … FOR UPDATE SKIP LOCKED``, one transaction per batch; for each
clock it fires the highest step reached, writes the step's ``CaseEvent`` (system actor; one kind per step,
``cases.choices.STEP_EVENT``, the same for every clock) and notification rows, raises ``alarm_level`` and
points ``next_alarm_at`` at the next step, all in that transaction.

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
    ``WINDOWSVC_SWEEP_TEST_DELAY`` (seconds, read on every clock): a sweep sleeps that long after each clock
    inside its batch, logging ``sweep: inside a batch`` first, so the tests can kill a worker mid-batch and
    run two sweeps at once. Unset in production.
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import clocks as d
from . import events, sla, workflow
from .choices import AlarmLevel, TimerKind, step_event
from .models import Assignment, Case, CaseTimer

logger = logging.getLogger(__name__)

TEST_DELAY_ENV = "WINDOWSVC_SWEEP_TEST_DELAY"


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
    for name, claim in (
        ("cases", _claim_cases),
        ("assignments", _claim_assignments),
        ("timers", _claim_timers),
    ):
        for _batch in range(max_batches()):
            claimed = _run_batch(name, claim, now, totals)
            if claimed < batch_size():
                break
    result = {"cases": 0, "assignments": 0, "timers": 0, "fired": 0, **totals}
    if result["fired"] or result.get("timer_fired"):
        logger.info("deadline sweep at %s: %s", now.isoformat(), result)
    return result


def _run_batch(name: str, claim, now: datetime, totals: Counter) -> int:
    with transaction.atomic():
        rows = claim(now)
        for row in rows:
            fired = PROCESSORS[name](row, now)
            if fired is not None:
                # Timers are counted apart: "fired" and the level counts stay the completion ladders'.
                prefix = "timer_" if name == "timers" else ""
                totals[f"{prefix}fired"] += 1
                totals[f"{prefix}{level_name(fired)}"] += 1
            _test_delay(row)
        totals[name] += len(rows)
        return len(rows)


def _claim_cases(now: datetime) -> list[Case]:
    return list(
        Case.objects.filter(next_alarm_at__lte=now)
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
        .select_related("case")
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


# --- The case clock: yellow → 催办 → 督办 → 通报 ----------------------------------------------------------


def _process_case(case: Case, now: datetime) -> int | None:
    calendar = sla.calendar_for(case)
    if not sla.case_clock_active(case):
        case.next_alarm_at = None
        case.save(update_fields=["next_alarm_at", "updated_at"])
        return None
    ladder = sla.case_ladder(case, calendar)
    reached = d.level_reached(ladder, now)
    fired = None
    fields = ["next_alarm_at", "alarm_level"]
    if reached > case.alarm_level:
        skipped = d.skipped_levels(ladder, case.alarm_level, reached)
        steps = {step.level: step.at for step in ladder}
        if reached >= AlarmLevel.SUPERVISE and case.supervision_due_at is None:
            # The supervision order's own deadline, counted from when it was due to be issued.
            case.supervision_due_at = steps[AlarmLevel.BULLETIN]
            fields.append("supervision_due_at")
        if reached == AlarmLevel.BULLETIN:
            case.bulletin_at = now
            fields.append("bulletin_at")
        case.alarm_level = reached
        case.next_alarm_at = d.next_alarm_at(ladder, reached)
        event = workflow.record_sweep_event(
            case,
            step_event(reached),
            now=now,
            reason=_case_reason(reached),
            payload=events.ladder_step(
                clock="case",
                level=level_name(reached),
                skipped=[level_name(level) for level in skipped],
                deadline=case.due_at,
                supervision_due_at=case.supervision_due_at,
            ),
            department=case.lead_department,
            update_fields=fields,
        )
        _notify_case(case, event, reached)
        fired = reached
    else:
        case.next_alarm_at = d.next_alarm_at(ladder, case.alarm_level)
        case.save(update_fields=[*fields, "updated_at"])
    return fired


def _case_reason(level: int) -> str:
    return {
        AlarmLevel.YELLOW: _("办理时限将至（黄灯）。"),
        AlarmLevel.RED: _("已超过办理时限（红灯），催办。"),
        AlarmLevel.SUPERVISE: _("超期未办结，上一级督办。"),
        AlarmLevel.BULLETIN: _("督办期限已过仍未办结，列入月度通报。"),
    }[level]


def _notify_case(case: Case, event, level: int) -> None:
    from notifications.choices import TemplateCode

    from . import notices

    department = case.lead_department.name if case.lead_department_id else ""
    context = notices.staff_context(case, deadline=case.due_at, department=department)
    if level == AlarmLevel.YELLOW:
        _tell(event, "warn", TemplateCode.WARNING_YELLOW, sla.case_holders(case), context)
    elif level == AlarmLevel.RED:
        heads = sla.case_holders(case, heads_only=True) or sla.case_holders(case)
        _tell(event, "urge", TemplateCode.URGE, heads, {**context, "note": _("已超过办理时限，请立即办理。")})
    else:
        order = {**context, "deadline": case.supervision_due_at}
        if level == AlarmLevel.BULLETIN:
            order["note"] = _("督办期限已过仍未办结，已列入本月通报。")
            template = TemplateCode.URGE
        else:
            template = TemplateCode.SUPERVISE
        users = sorted({*sla.supervisors_above(case), *sla.case_holders(case, heads_only=True)})
        _tell(event, level_name(level), template, users, order)


def _tell(event, purpose: str, template: str, user_ids: list[int], context: dict) -> None:
    from notifications.services import notify_staff

    from . import notices

    if not user_ids:
        logger.warning("case %s: nobody to tell about %s", event.case.tracking_number, event.kind)
        return
    notify_staff(
        event_key=notices.event_key(event, purpose),
        template_code=template,
        user_ids=user_ids,
        context=context,
        emergency=notices.is_emergency(event.case),
    )


# --- Assignment clocks: sign-for reminder; yellow and 催办 for assisting departments ---------------------


def _process_assignment(assignment: Assignment, now: datetime) -> int | None:
    case = assignment.case
    if not sla.assignment_clock_active(assignment) or not case.is_open:
        assignment.next_alarm_at = None
        assignment.save(update_fields=["next_alarm_at", "updated_at"])
        return None
    ladder = sla.assignment_ladder(assignment)
    reached = d.level_reached(ladder, now)
    fired = None
    if reached > assignment.alarm_level:
        skipped = d.skipped_levels(ladder, assignment.alarm_level, reached)
        assignment.alarm_level = reached
        assignment.next_alarm_at = d.next_alarm_at(ladder, reached)
        assignment.save(update_fields=["next_alarm_at", "alarm_level", "updated_at"])
        deadline = assignment.accept_due_at if reached == AlarmLevel.SIGN else assignment.due_at
        event = workflow.record_sweep_event(
            case,
            step_event(reached),
            now=now,
            reason=_assignment_reason(reached, assignment),
            payload=events.ladder_step(
                clock="assignment",
                assignment=assignment.pk,
                role=assignment.role,
                level=level_name(reached),
                skipped=[level_name(level) for level in skipped],
                deadline=deadline,
            ),
            department=assignment.department,
        )
        _notify_assignment(assignment, event, reached, deadline)
        fired = reached
    else:
        assignment.next_alarm_at = d.next_alarm_at(ladder, assignment.alarm_level)
        assignment.save(update_fields=["next_alarm_at", "alarm_level", "updated_at"])
    return fired


def _assignment_reason(level: int, assignment: Assignment) -> str:
    if level == AlarmLevel.SIGN:
        return _("派单超过签收时限仍未签收。")
    if level == AlarmLevel.YELLOW:
        return _("协办时限将至（黄灯）。")
    return _("已超过协办时限（红灯），催办。")


def _notify_assignment(assignment: Assignment, event, level: int, deadline) -> None:
    from notifications.choices import TemplateCode

    from . import notices

    context = notices.staff_context(assignment.case, deadline=deadline, department=assignment.department.name)
    staff = notices.department_staff([assignment.department_id]).get(assignment.department_id, [])
    if level == AlarmLevel.SIGN:
        _tell(event, "sign", TemplateCode.SIGN_REMINDER, staff, context)
    elif level == AlarmLevel.YELLOW:
        _tell(event, "warn", TemplateCode.WARNING_YELLOW, staff, context)
    else:
        heads = sla.department_heads(assignment.department_id) or staff
        _tell(event, "urge", TemplateCode.URGE, heads, {**context, "note": _("协办已超过时限，请立即办理。")})


# --- Timers: reply, first contact, suspension, extension decision, review, callback ----------------------


def _process_timer(timer: CaseTimer, now: datetime) -> int | None:
    case = timer.case
    if timer.stopped_at is not None:
        timer.next_alarm_at = None
        timer.save(update_fields=["next_alarm_at", "updated_at"])
        return None
    calendar = sla.calendar_for(case)
    ladder = sla.timer_ladder(timer, calendar)
    reached = d.level_reached(ladder, now)
    if reached <= timer.alarm_level:
        timer.next_alarm_at = d.next_alarm_at(ladder, timer.alarm_level)
        timer.save(update_fields=["next_alarm_at", "alarm_level", "updated_at"])
        return None
    skipped = d.skipped_levels(ladder, timer.alarm_level, reached)
    timer.alarm_level = reached
    timer.next_alarm_at = d.next_alarm_at(ladder, reached)
    timer.save(update_fields=["next_alarm_at", "alarm_level", "updated_at"])
    event = workflow.record_sweep_event(
        case,
        step_event(reached),
        now=now,
        reason=timer_reason(timer.kind, reached),
        payload=events.ladder_step(
            clock=timer.kind,
            timer=timer.pk,
            subject=timer.subject_id,
            level=level_name(reached),
            skipped=[level_name(level) for level in skipped],
            deadline=timer.due_at,
        ),
        department=case.lead_department if timer.kind in HOLDER_TIMERS else None,
    )
    _notify_timer(timer, event, reached)
    return reached


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


def timer_recipients(timer: CaseTimer, level: int) -> list[int]:
    """Who must act on a timer's step: the holder (department staff; heads for 催办), the window's clerks
    for the callback, the case's supervisors for decisions; 督办 adds the supervisors of the tier above."""
    from . import notices

    case = timer.case
    kind = TimerKind(timer.kind)
    if kind in SUPERVISOR_TIMERS:
        users = set(notices.case_supervisors(case))
    elif kind == TimerKind.CALLBACK:
        users = set(notices.window_clerks(case))
    elif level >= AlarmLevel.RED:
        users = set(sla.case_holders(case, heads_only=True) or sla.case_holders(case))
    else:
        users = set(sla.case_holders(case))
    if level >= AlarmLevel.SUPERVISE:
        users |= set(sla.supervisors_above(case))
    return sorted(users)


def _notify_timer(timer: CaseTimer, event, level: int) -> None:
    from notifications.choices import TemplateCode

    from . import notices

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
    _tell(event, f"timer-{level_name(level)}", template, timer_recipients(timer, level), context)


PROCESSORS = {"cases": _process_case, "assignments": _process_assignment, "timers": _process_timer}
