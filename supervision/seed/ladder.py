"""What the deadline sweep (``cases.sweep``) would have fired on a generated case, added to its draft.

Invariants
- A step fires once it is reached, within its minute, and only while the clock runs: from the start of
  the current round (a reopen restarts the clock) until the case is resolved, answered with reasons,
  suspended, ended, or now. So the live sweep finds nothing left to fire after a seed.
- Sweep steps never change the status (``CaseDraft.event`` with no status).
- The case keeps its ladder level and the next step due, as ``cases.clocks.case_ladder`` would leave them;
  an assignment keeps its sign-for reminder level.
"""

from __future__ import annotations

from cases import events
from cases.choices import STEP_EVENT, AlarmLevel, AssignmentRole, CaseStatus
from routing.calendar.fastclock import US

from .draft import CaseDraft
from .world import World
from .writer import ts


def ladder(w: World, draft: CaseDraft) -> None:
    """The case clock's ladder: 黄灯预警, 催办, 督办, 列入通报."""
    fast = w.fast
    due, yellow = draft.clock[2], draft.clock[4]
    paused_at = draft.clock_paused_at
    settled = draft.resolved_at is not None or draft.reasoned_reply_at is not None
    supervise_at = fast.overdue_days_at(due, w.supervise_after)
    bulletin_due = fast.add_working_days(supervise_at, w.supervision_days)
    stop_candidates = [w.now_us]
    if draft.resolved_at is not None:
        stop_candidates.append(draft.resolved_at)
    if draft.reasoned_reply_at is not None:
        stop_candidates.append(draft.reasoned_reply_at)
    if draft.terminal and draft.events:
        stop_candidates.append(draft.events[-1][0])
    if paused_at is not None:
        stop_candidates.append(paused_at)
    stop = min(stop_candidates)
    steps = (
        (AlarmLevel.YELLOW, yellow),
        (AlarmLevel.RED, due),
        (AlarmLevel.SUPERVISE, supervise_at),
        (AlarmLevel.BULLETIN, bulletin_due),
    )
    level = AlarmLevel.NONE
    for step_level, at in steps:
        if at < draft.clock_origin or at >= stop:
            continue
        fired = min(at + 30 * US, stop - 1)
        level = step_level
        if step_level == AlarmLevel.SUPERVISE:
            draft.supervision_due = bulletin_due
        if step_level == AlarmLevel.BULLETIN:
            draft.bulletin_at = fired
        payload = events.ladder_step(
            clock="case",
            level=AlarmLevel(step_level).name.lower(),
            skipped=[],
            deadline=ts(due),
            supervision_due_at=ts(draft.supervision_due) if draft.supervision_due else None,
        )
        draft.event(fired, STEP_EVENT[step_level].value, None, None, draft.lead, "", payload)
    draft.alarm_level = level
    if not draft.terminal and draft.status != CaseStatus.RESOLVED and not settled and paused_at is None:
        later = [at for step_level, at in steps if step_level > level]
        draft.next_alarm = min(later) if later else None


def sign_reminders(w: World, draft: CaseDraft) -> None:
    """签收提醒: an assignment signed for late, or still unsigned past its sign-for time, was reminded
    (only the lead's sign-for is watched on a lead assignment)."""
    now = w.now_us
    for a in draft.assignments:
        accept_due = a.clock[0]
        signed = a.accepted_at
        reminded = (signed is None and a.current and now > accept_due) or (
            signed is not None and signed > accept_due
        )
        a.alarm = AlarmLevel.SIGN if reminded else AlarmLevel.NONE
        a.next_alarm = accept_due if (a.current and signed is None and not reminded) else None
        if reminded:
            fired = min(accept_due + 30 * US, (signed or now) - 1)
            payload = events.ladder_step(
                clock="assignment",
                assignment=a.id,
                role=AssignmentRole.LEAD,
                level="sign",
                skipped=[],
                deadline=ts(accept_due),
            )
            draft.event(fired, STEP_EVENT[AlarmLevel.SIGN].value, None, None, a.department, "", payload)
