"""Who hears about recurring problems and standing-practice items (in-app, plus e-mail/SMS per preference).

Every message is written through ``notifications.services.notify_staff`` inside the transaction of its
cause, with an event key derived from it, so running the cause again (the nightly detector, a sweep, a
retried request) sends nothing twice:

| cause | template | to | event key |
|---|---|---|---|
| a new recurring problem | recurring_problem | supervisors of its region (the nearest tier up that has any) | ``recurring-problem:<id>:raised`` |
| item created, accepted, sent back, cancelled | practice_item | the responsible department's handlers and heads | ``practice-item-event:<event id>:department`` |
| item reported done | practice_item | the supervisor who opened it | ``practice-item-event:<event id>:supervisor`` |
| sweep: yellow, overdue | practice_due | the department's staff and the supervisor who opened it | ``practice-item-event:<event id>:due`` |

A problem found again by a later run is not told again: its key names the problem, not the run.
"""

from __future__ import annotations

import logging

from django.urls import reverse
from django.utils.translation import gettext as _

from notifications.choices import TemplateCode
from notifications.services import notify_staff
from routing.choices import StaffRole
from routing.models import Membership
from routing.paths import path_prefixes

from .choices import ItemCommand
from .models import PracticeItem, PracticeItemEvent, RecurringProblem

logger = logging.getLogger(__name__)


def problem_reference(problem: RecurringProblem) -> str:
    return f"GX-{problem.pk:06d}"


def region_supervisors(region_path: str) -> list[int]:
    """Active supervisors of the region; when it has none, of the nearest region above that has any."""
    for path in reversed(path_prefixes(region_path)):
        users = sorted(
            set(
                Membership.objects.filter(
                    role=StaffRole.SUPERVISOR, region__path=path, user__is_active=True
                ).values_list("user_id", flat=True)
            )
        )
        if users:
            return users
    return []


def department_staff(department_id: int) -> list[int]:
    return sorted(
        set(
            Membership.objects.filter(
                department_id=department_id,
                role__in=(StaffRole.HANDLER, StaffRole.DEPARTMENT_HEAD),
                user__is_active=True,
            ).values_list("user_id", flat=True)
        )
    )


def problem_raised(problem: RecurringProblem) -> None:
    """Tell the region's supervisors about a newly found cluster (once: the key names the problem)."""
    users = region_supervisors(problem.region_path)
    if not users:
        logger.warning("recurring problem %s: no supervisor to tell", problem.pk)
        return
    notify_staff(
        event_key=f"recurring-problem:{problem.pk}:raised",
        template_code=TemplateCode.RECURRING_PROBLEM,
        user_ids=users,
        context={
            "tracking_number": problem_reference(problem),
            "title": problem.title,
            "count": problem.window_count,
            "region": problem.region.name,
            "kind": str(problem.get_kind_display()),
            "url": reverse("practice:problem", kwargs={"pk": problem.pk}),
        },
    )


def _context(item: PracticeItem, **extra) -> dict:
    return {
        "tracking_number": item.number,
        "title": item.title,
        "department": item.responsible_department.name,
        "deadline": item.due_at,
        "url": reverse("practice:item", kwargs={"pk": item.pk}),
        **extra,
    }


def _tell(event: PracticeItemEvent, purpose: str, template: str, users: list[int], context: dict) -> None:
    if not users:
        logger.warning("practice item %s: nobody to tell about %s", event.item_id, event.kind)
        return
    notify_staff(
        event_key=f"practice-item-event:{event.pk}:{purpose}",
        template_code=template,
        user_ids=users,
        context=context,
    )


def item_event_told(event: PracticeItemEvent) -> None:
    """The message of one command on an item (see the table above); progress notes tell nobody."""
    item = event.item
    action = str(event.get_kind_display())
    if event.kind in (ItemCommand.CREATE, ItemCommand.ACCEPT, ItemCommand.REJECT, ItemCommand.CANCEL):
        context = _context(item, action=action, note=event.text)
        _tell(
            event,
            "department",
            TemplateCode.PRACTICE_ITEM,
            department_staff(item.responsible_department_id),
            context,
        )
    elif event.kind == ItemCommand.SUBMIT:
        context = _context(item, action=action, note=_("请验收。"))
        _tell(event, "supervisor", TemplateCode.PRACTICE_ITEM, [item.created_by_id], context)


def item_due_told(event: PracticeItemEvent) -> None:
    """A sweep step: the responsible department and the supervisor who opened the item."""
    item = event.item
    users = sorted({*department_staff(item.responsible_department_id), item.created_by_id})
    _tell(event, "due", TemplateCode.PRACTICE_DUE, users, _context(item, note=event.text))
