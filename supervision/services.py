"""Writes of supervision: 催办 (urge) and 督办 (supervise) on a set of cases — the cases ticked in a list, or
a department's overdue set.

One case's 催办 / 督办 belongs to ``cases.services.case_supervisor_action`` (a workflow command: checked,
locked and recorded like every other write on a case, notifications through ``cases.effects``); these
functions only choose the cases and call it once per case.

Transaction shape: one transaction per case, not all-or-nothing. Each case's command commits (or fails) on
its own; a case that changed meanwhile (resolved, moved out of the supervisor's reach, not visible) is
reported in ``BatchResult.refused`` and skipped, the others still get their event. The input (the action
and a reason) is checked once before any case is touched, so a bad input writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from cases.choices import Light
from cases.models import CaseEvent
from cases.services import case_supervisor_action, supervisor_action_kind
from routing.models import Department
from windowsvc.errors import NotFound, PermissionDenied, TransitionNotAllowed, ValidationFailed

from . import selectors


@dataclass
class BatchResult:
    """What an action on a set did: the events written, and the cases refused with the reason."""

    events: list[CaseEvent] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)


def _check_input(action: str, reason: str) -> None:
    supervisor_action_kind(action)
    if not (reason or "").strip():
        raise ValidationFailed({"reason": [_("该字段是必填项。")]})


def _each(case_ids: Iterable[int], *, actor, action: str, reason: str, days: int | None) -> BatchResult:
    """``case_supervisor_action`` per case, each in its own transaction; refusals are collected."""
    result = BatchResult()
    for case_id in case_ids:
        try:
            result.events.append(
                case_supervisor_action(actor=actor, case_id=case_id, action=action, reason=reason, days=days)
            )
        except (TransitionNotAllowed, PermissionDenied, NotFound) as exc:
            result.refused.append((case_id, str(exc)))
    return result


def cases_action(
    *, actor, case_ids: list[int], action: str, reason: str, days: int | None = None
) -> BatchResult:
    """催办 / 督办 on the ticked cases: one command (and one transaction) each; refusals are collected."""
    _check_input(action, reason)
    return _each(case_ids, actor=actor, action=action, reason=reason, days=days)


def department_overdue_action(
    *,
    actor,
    department_id: int,
    action: str,
    reason: str,
    days: int | None = None,
    region_code: str | None = None,
    now: datetime | None = None,
) -> BatchResult:
    """催办 / 督办 every overdue (red) open case led by the department, within the actor's region
    ``region_code`` (default: their own); one command (and one transaction) per case. A department outside
    the region is ``NotFound``."""
    _check_input(action, reason)
    node = selectors.region_node(user=actor, code=region_code)
    department = Department.objects.filter(pk=department_id, region__path__startswith=node.path).first()
    if department is None:
        raise NotFound(_("未找到该部门。"))
    now = now or timezone.now()
    case_ids = list(
        selectors.overdue_cases(
            user=actor, node=node, now=now, lights=(Light.RED,), filters={"lead_department": department.pk}
        ).values_list("case_id", flat=True)
    )
    return _each(case_ids, actor=actor, action=action, reason=reason, days=days)
