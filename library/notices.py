"""Who hears about a write-up's review (in-app, plus e-mail/SMS per preference).

Written through ``notifications.services.notify_staff`` in the transaction of the command (``workflow.run``),
keyed by the event, so a retried command sends nothing twice:

| command | told | event key |
|---|---|---|
| submit | the case's supervisors (who may review it) | ``writeup-event:<event id>`` |
| request_changes, publish, mark_typical, withdraw | the write-up's author | ``writeup-event:<event id>`` |

Drafting, editing and unmarking tell nobody: nothing waits on anyone.
"""

from __future__ import annotations

from django.urls import reverse

from cases.notices import case_supervisors
from notifications.choices import TemplateCode
from notifications.services import notify_staff

from .choices import WriteUpCommand as C
from .models import WriteUp, WriteUpEvent

TO_AUTHOR = frozenset({C.REQUEST_CHANGES, C.PUBLISH, C.MARK_TYPICAL, C.WITHDRAW})


def writeup_event_told(writeup: WriteUp, event: WriteUpEvent) -> None:
    """The message of one command on a write-up (see the table above)."""
    if event.kind == C.SUBMIT:
        users = case_supervisors(writeup.case)
    elif event.kind in TO_AUTHOR and writeup.created_by_id:
        users = [writeup.created_by_id]
    else:
        return
    users = [pk for pk in users if pk != event.actor_id]  # nobody is told of their own action
    if not users:
        return
    notify_staff(
        event_key=f"writeup-event:{event.pk}",
        template_code=TemplateCode.WRITEUP,
        user_ids=users,
        context={
            "tracking_number": writeup.case.tracking_number,
            "title": writeup.title,
            "action": str(event.get_kind_display()),
            "note": event.note,
            "url": reverse("library:detail", kwargs={"pk": writeup.pk}),
        },
    )
