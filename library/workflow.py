"""The write-up state machine: ``RULES`` (one row per command) and ``run``, the only writer of
``WriteUp.status``.

draft ──submit──▶ submitted ──publish──▶ published ──withdraw──▶ withdrawn
  ▲ edit            │  ▲                    │ mark_typical /          │ edit, submit
  └──────────  request_changes  submit      │ unmark_typical          ▼
               ▼          │                 ▼ (unchanged)          submitted …
         changes_requested (edit)

``run`` checks, in this order (the answers of docs/ARCHITECTURE.md): the write-up is visible to the actor
(else ``NotFound``, 404); ``expected_version`` is current and the status is a source of the command (else
``TransitionNotAllowed``, 409); the actor holds a role the row allows (else ``PermissionDenied``, 403); the
row's guard (409); the input (a required note, the handler's own checks: ``ValidationFailed``, 400). Then,
in one transaction with the write-up row locked, it applies the handler, saves with ``update_fields``, bumps
``version`` and writes exactly one ``WriteUpEvent``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.choices import AssignmentRole, AssignmentStatus
from cases.clocks import working_time_used
from cases.models import Case
from cases.sla import calendar_for
from routing.choices import StaffRole
from routing.models import Membership
from windowsvc.errors import NotFound, PermissionDenied, TransitionNotAllowed, ValidationFailed

from . import indexing, notices
from .choices import EDITABLE_STATUSES, WriteUpCommand, WriteUpRole, WriteUpStatus
from .models import WriteUp, WriteUpEvent

S = WriteUpStatus
C = WriteUpCommand
AUTHOR, REVIEWER = WriteUpRole.AUTHOR, WriteUpRole.REVIEWER


@dataclass(frozen=True)
class Rule:
    """Who may run a command, from which statuses, to which status (None: unchanged)."""

    sources: tuple[WriteUpStatus, ...]
    target: WriteUpStatus | None
    roles: frozenset[WriteUpRole]
    note_required: bool = False
    guard: Callable[[WriteUp], str | None] | None = field(default=None, compare=False)


def _not_typical(writeup: WriteUp) -> str | None:
    return _("已是典型案例。") if writeup.typical else None


def _typical(writeup: WriteUp) -> str | None:
    return None if writeup.typical else _("不是典型案例。")


RULES: dict[WriteUpCommand, Rule] = {
    C.CREATE: Rule((), S.DRAFT, frozenset({AUTHOR})),
    C.EDIT: Rule(EDITABLE_STATUSES, None, frozenset({AUTHOR})),
    C.SUBMIT: Rule(EDITABLE_STATUSES, S.SUBMITTED, frozenset({AUTHOR})),
    C.REQUEST_CHANGES: Rule((S.SUBMITTED,), S.CHANGES_REQUESTED, frozenset({REVIEWER}), note_required=True),
    C.PUBLISH: Rule((S.SUBMITTED,), S.PUBLISHED, frozenset({REVIEWER})),
    C.MARK_TYPICAL: Rule((S.PUBLISHED,), None, frozenset({REVIEWER}), guard=_not_typical),
    C.UNMARK_TYPICAL: Rule((S.PUBLISHED,), None, frozenset({REVIEWER}), guard=_typical),
    C.WITHDRAW: Rule((S.PUBLISHED,), S.WITHDRAWN, frozenset({REVIEWER}), note_required=True),
}

# Cases that may be written up: done (resolved, or struck off after it).
WRITABLE_CASE_STATUSES = indexing.SOLVED_STATUSES


# --- Who --------------------------------------------------------------------------------------------


def case_roles(case: Case, actor) -> frozenset[WriteUpRole]:
    """The actor's roles on write-ups of ``case``.

    Author: a clerk of the window that took the case in (首问负责), or a handler / head of the department
    that led it (the current lead, or the lead of a completed assignment). Reviewer: a supervisor whose
    subtree holds the case (taken in or handled there). Superusers hold both.
    """
    if actor is None or not actor.is_authenticated:
        return frozenset()
    if actor.is_superuser:
        return frozenset({AUTHOR, REVIEWER})
    lead_departments = set(
        case.assignments.filter(role=AssignmentRole.LEAD, status=AssignmentStatus.COMPLETED).values_list(
            "department_id", flat=True
        )
    )
    if case.lead_department_id:
        lead_departments.add(case.lead_department_id)
    roles: set[WriteUpRole] = set()
    for m in Membership.objects.filter(user_id=actor.pk).select_related("region"):
        if (
            m.role == StaffRole.CLERK
            and (m.window_id == case.window_id or (m.window_id is None and m.region_id == case.region_id))
        ) or (
            m.role in (StaffRole.HANDLER, StaffRole.DEPARTMENT_HEAD) and m.department_id in lead_departments
        ):
            roles.add(AUTHOR)
        elif m.role == StaffRole.SUPERVISOR and (
            case.region_path.startswith(m.region.path) or case.handling_region_path.startswith(m.region.path)
        ):
            roles.add(REVIEWER)
    return frozenset(roles)


def allowed_commands(writeup: WriteUp, actor) -> list[str]:
    """The commands ``actor`` may run on ``writeup`` now (buttons, and the 409's ``allowed_commands``)."""
    roles = case_roles(writeup.case, actor)
    return [
        command.value
        for command, rule in RULES.items()
        if command is not C.CREATE
        and writeup.status in rule.sources
        and roles & rule.roles
        and (rule.guard is None or rule.guard(writeup) is None)
    ]


# --- Facts ------------------------------------------------------------------------------------------


def working_days_taken(case: Case) -> int | None:
    """Working days from intake to resolution on the county's calendar, suspensions excluded, rounded up
    (a case solved within its first working day took 1). None for a case never resolved."""
    end: datetime | None = case.resolved_at or case.closed_at
    if end is None:
        return None
    calendar = calendar_for(case)
    used = working_time_used(
        origin=case.taken_in_at, now=end, paused_total=case.clock_paused_total, calendar=calendar
    )
    return max(1, math.ceil(used / calendar.working_day_length))


# --- Running a command ------------------------------------------------------------------------------


def _check(writeup: WriteUp, command: WriteUpCommand, actor, note: str, expected_version: int | None) -> None:
    rule = RULES[command]
    if expected_version is not None and expected_version != writeup.version:
        raise TransitionNotAllowed(
            _("案例已被他人修改，请刷新后重试。"),
            current=writeup.status,
            allowed=allowed_commands(writeup, actor),
        )
    if writeup.status not in rule.sources:
        raise TransitionNotAllowed(
            _("当前状态不能执行该操作。"), current=writeup.status, allowed=allowed_commands(writeup, actor)
        )
    if not case_roles(writeup.case, actor) & rule.roles:
        raise PermissionDenied(_("您无权对该案例执行此操作。"))
    if rule.guard is not None:
        refusal = rule.guard(writeup)
        if refusal:
            raise TransitionNotAllowed(
                refusal, current=writeup.status, allowed=allowed_commands(writeup, actor)
            )
    if rule.note_required and not (note or "").strip():
        raise ValidationFailed({"note": [_("请填写说明。")]})


def _record(writeup: WriteUp, command: WriteUpCommand, actor, from_status: str, note: str) -> WriteUpEvent:
    writeup.version += 1
    return WriteUpEvent.objects.create(
        writeup=writeup,
        sequence=writeup.version,
        kind=command,
        actor=actor,
        from_status=from_status,
        to_status=writeup.status,
        note=note or "",
    )


def run(
    *,
    writeup_id: int,
    command: WriteUpCommand,
    actor,
    note: str = "",
    apply: Callable[[WriteUp, datetime], list[str]] | None = None,
    expected_version: int | None = None,
) -> WriteUpEvent:
    """Run ``command`` on a write-up (see the module docstring); ``apply`` changes the fields the command
    owns and returns their names. The only place ``WriteUp.status`` changes."""
    rule = RULES[command]
    with transaction.atomic():
        writeup = (
            WriteUp.objects.visible_to(actor)
            .select_for_update(of=("self",))
            .select_related("case", "case__requester", "blocker_type", "category")
            .filter(pk=writeup_id)
            .first()
        )
        if writeup is None:
            raise NotFound("write-up")
        _check(writeup, command, actor, note, expected_version)
        now = timezone.now()
        from_status = writeup.status
        changed = list(apply(writeup, now)) if apply else []
        if rule.target is not None:
            writeup.status = rule.target
            changed.append("status")
        writeup.updated_at = now
        event = _record(writeup, command, actor, from_status, note)
        writeup.save(update_fields=sorted({*changed, "version", "updated_at"}))
        notices.writeup_event_told(writeup, event)
        return event


def create(*, actor, case_id: int, apply: Callable[[WriteUp], None], note: str = "") -> WriteUpEvent:
    """The create row of ``RULES``: a draft for a resolved or closed case that has none (409 otherwise)."""
    rule = RULES[C.CREATE]
    with transaction.atomic():
        case = (
            Case.objects.visible_to(actor)
            .select_for_update(of=("self",))
            .select_related("requester", "category")
            .filter(pk=case_id)
            .first()
        )
        if case is None:
            raise NotFound("case")
        if case.status not in WRITABLE_CASE_STATUSES:
            raise TransitionNotAllowed(_("只有已办结或已销号的案件可以撰写案例。"), current=case.status)
        if WriteUp.objects.filter(case=case).exists():
            raise TransitionNotAllowed(_("该案件已有案例。"), current=case.status)
        if not case_roles(case, actor) & rule.roles:
            raise PermissionDenied(_("只有主办部门或受理窗口的工作人员可以撰写案例。"))
        end = case.resolved_at or case.closed_at or timezone.now()
        writeup = WriteUp(
            case=case,
            created_by=actor,
            status=S.DRAFT,
            region_path=case.region_path,
            handling_region_path=case.handling_region_path,
            category_id=case.category_id,
            lead_department_id=case.lead_department_id,
            year=timezone.localtime(end).year,
            working_days=working_days_taken(case),
        )
        apply(writeup)
        indexing.writeup_refresh(writeup)
        writeup.save(force_insert=True)
        writeup.version = 0
        return _record_created(writeup, actor, note)


def _record_created(writeup: WriteUp, actor, note: str) -> WriteUpEvent:
    event = _record(writeup, C.CREATE, actor, "", note)
    writeup.save(update_fields=["version"])
    return event
