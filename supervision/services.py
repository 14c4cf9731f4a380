"""Writes of supervision: 催办 (urge) and 督办 (supervise) on one case or on a department's overdue set.

Both are workflow commands (``cases.workflow``: no status change, one ``CaseEvent`` each, run by a
supervisor whose subtree holds the case), so they are checked, locked and recorded like every other write
on a case; notifications hook in through ``cases.effects`` as for any event. A department's set is run
case by case, each in its own transaction: one case that changed meanwhile (resolved, moved out of the
supervisor's reach) is reported and skipped, the others still get their event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from cases import workflow
from cases.choices import Light
from routing.models import Department
from windowsvc.errors import NotFound, PermissionDenied, TransitionNotAllowed, ValidationFailed

from . import selectors

URGE, SUPERVISE = "urge", "supervise"
ACTIONS = (URGE, SUPERVISE)


def case_urge(*, actor, case_id: int, reason: str):
    """催办: remind the handling department of one case; returns the event."""
    return workflow.run(case_id, URGE, actor, {"reason": reason})


def case_supervise(*, actor, case_id: int, reason: str, days: int | None = None):
    """督办: a formal supervision order on one case, with its own deadline (``days`` working days, default
    the deadline setting); returns the event."""
    data = {"reason": reason}
    if days:
        data["days"] = days
    return workflow.run(case_id, SUPERVISE, actor, data)


@dataclass
class BatchResult:
    """What a department-wide action did: the events written, and the cases refused with the reason."""

    events: list = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)


def cases_action(
    *, actor, case_ids: list[int], action: str, reason: str, days: int | None = None
) -> BatchResult:
    """催办 / 督办 on several cases, one command (and one transaction) each; refusals are collected."""
    if action not in ACTIONS:
        raise ValidationFailed({"action": ["未知的操作。"]})
    result = BatchResult()
    for case_id in case_ids:
        try:
            if action == URGE:
                result.events.append(case_urge(actor=actor, case_id=case_id, reason=reason))
            else:
                result.events.append(case_supervise(actor=actor, case_id=case_id, reason=reason, days=days))
        except (TransitionNotAllowed, PermissionDenied, NotFound) as exc:
            result.refused.append((case_id, str(exc)))
    return result


def department_overdue_action(
    *,
    actor,
    department_id: int,
    action: str,
    reason: str,
    region_code: str | None = None,
    now: datetime | None = None,
) -> BatchResult:
    """催办 / 督办 every overdue (red) open case led by the department, within the actor's region
    ``region_code`` (default: their own); one event per case."""
    if action not in ACTIONS:
        raise ValidationFailed({"action": ["未知的操作。"]})
    if not (reason or "").strip():
        raise ValidationFailed({"reason": ["该字段是必填项。"]})
    node = selectors.region_node(user=actor, code=region_code)
    department = Department.objects.filter(pk=department_id, region__path__startswith=node.path).first()
    if department is None:
        raise NotFound("未找到该部门。")
    now = now or timezone.now()
    case_ids = list(
        selectors.overdue_cases(
            user=actor, node=node, now=now, lights=(Light.RED,), filters={"lead_department": department.pk}
        ).values_list("case_id", flat=True)
    )
    result = BatchResult()
    run = case_urge if action == URGE else case_supervise
    for case_id in case_ids:
        try:
            result.events.append(run(actor=actor, case_id=case_id, reason=reason))
        except (TransitionNotAllowed, PermissionDenied, NotFound) as exc:
            result.refused.append((case_id, str(exc)))
    return result
