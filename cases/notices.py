"""Who hears about a case event and what they read: the closed loop's notifications (issue 6).

``NOTICES`` (bottom of the module) is the one decision per event kind: every kind in ``CASE_EVENT_KINDS``
(commands and sweep steps) maps to its handler or to an explicit ``Silent(reason)``; a kind without a
decision stops the app from starting (``CasesConfig.ready``) and fails ``tests/cases/test_notices_table.py``,
so no kind can notify nobody by accident. ``CasesConfig.ready`` registers ``notify_event``, which dispatches
through the table, as an in-transaction handler of every kind (``cases.effects``): each handler runs inside
the command's transaction right after its ``CaseEvent`` is written and writes outbox rows through
``notifications.services`` (which enqueues delivery on commit by itself and never waits on Redis). So a
notification exists exactly when its cause committed: a refused command (400/403/404/409) writes no event
and no row, and a command rolled back takes its rows with it.

Event keys are ``case-event:<event id>:<purpose>``: derived from the event, so processing one event again
sends nothing twice (the outbox is unique on event key + channel + recipient); the purpose keeps two
messages of one event to one recipient apart (the resolve SMS and the survey SMS).

| event | template | to |
|---|---|---|
| intake | receipt (SMS) | requester; plus survey (SMS) when resolved at the window (即办) |
| not_accept | reply (SMS, "不予受理" with reason and guidance) | requester |
| assign, coordinate | assignment | staff of the lead and each assisting department |
| transfer, escalate, delegate | assignment | staff of the new lead; when the ping-pong guard trips: reopen (re-route notice) to the coordination centre |
| reassign | assignment | staff of the new lead |
| return (by the lead) | reopen (re-route notice with the reason) | window clerks, or the coordination centre when the case goes there |
| reply | reply (SMS, the answer) | requester |
| resolve | resolve (SMS, the summary) + survey (SMS, single-use link) | requester |
| reopen | reopen (with the reason) | staff of the lead; the window clerks when the case was never routed |
| urge 催办 by hand | urge (the supervisor's reason as the note, the case's deadline) | staff of the lead; whoever holds the case (``sla.case_holders``) when no department leads it |
| supervise 督办 by hand | supervise (the reason as the note, the order's own deadline) | the same |
| extension_request | extension_request (department, days, reason) | the case's supervisors (``case_supervisors``) |
| extension_decide | extension_decision (approved or not, the new deadline) | who asked; the requester (SMS) when an approved extension moved the case's deadline |
| any command that files a "no" for review (``payload["review"]``) | review | the case's supervisors |

催办 and 督办 are also steps of the deadline ladder: the sweep (``cases.sweep``) records the same event kinds
with no actor and tells its own recipients, so the handlers here act only on the commands a supervisor ran
(``payload["manual"]``): a sweep step is never told twice.

"Staff of a department" = its active handlers and head(s). Requester SMS go to mainland mobile numbers
only (a landline cannot receive them; the printed receipt stays the record). 急事 and green-channel cases
are emergencies: their SMS to the requester are not held by the quiet hours (21:00–08:00), and staff
messages go first in the relay; the survey never is (it can wait for the morning). Requesters read
zh-hans; staff read their preferred language. Deadline reminders and escalations belong to the deadlines
code, which can reuse the recipient helpers here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import Q
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import translation
from django.utils.translation import gettext as _

from notifications.choices import Channel, TemplateCode
from notifications.services import notification_request, notify_staff
from routing.choices import DepartmentRole, StaffRole
from routing.models import Department, Membership
from routing.paths import path_prefixes
from windowsvc.personal import is_mobile, mask_phone

from . import events
from .choices import CASE_EVENT_KINDS, CaseStatus, EventKind, ExtensionStatus, MatterKind, SweepEventKind
from .models import Case, CaseEvent, Extension
from .surveys import survey_token_issue, survey_url

logger = logging.getLogger(__name__)

E = EventKind
S = CaseStatus

# Longest free text (an answer, a handling summary, a not-accept reason) quoted in an SMS: about three
# parts. The full text stays on the case's status page.
SMS_QUOTE_LIMIT = 200
# A department handing a case back needs a "returned: route it again" message to the window or the centre.
# The outbox has no code of its own for it yet; the reopen text ("已退回…请重新办理", with the reason)
# says exactly that, so it is used until a dedicated code exists.
# A return (or the ping-pong guard) hands the case back to whoever routes it: worded as a return to route
# again, not as a redo (重办 is the requester's or a supervisor's reopen).
REROUTE_TEMPLATE = TemplateCode.REROUTE
REQUESTER_LANGUAGE = "zh-hans"


# --- Keys, links, contexts --------------------------------------------------------------------------


def event_key(event: CaseEvent, purpose: str) -> str:
    """The outbox event key of one message purpose of one case event."""
    return f"case-event:{event.pk}:{purpose}"


def case_path(case: Case) -> str:
    """The staff link of the case (its detail page), as shown in the inbox and e-mails."""
    return _case_path_pattern().replace(_PATH_SENTINEL, str(case.pk), 1)


_PATH_SENTINEL = "918273645"
_case_paths: dict[tuple, str] = {}


def _case_path_pattern() -> str:
    # ``reverse`` once per URLconf, script prefix and language rather than once per message (a sweep batch
    # links hundreds of cases): the link of a sentinel id, the real id put in its place.
    key = (get_urlconf(), get_script_prefix(), translation.get_language())
    if key not in _case_paths:
        _case_paths[key] = reverse("cases:detail", kwargs={"pk": int(_PATH_SENTINEL)})
    return _case_paths[key]


def staff_context(case: Case, **extra) -> dict:
    return {"tracking_number": case.tracking_number, "title": case.title, "url": case_path(case), **extra}


def is_emergency(case: Case) -> bool:
    """紧急, 急事 or green channel: time matters more than the quiet hours."""
    return case.matter_kind in (MatterKind.EMERGENCY, MatterKind.URGENT) or case.green_channel


def _quote(text: str, limit: int = SMS_QUOTE_LIMIT) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- Recipients ---------------------------------------------------------------------------------------


class Directory:
    """Who is told, for a set of cases and departments at once: the one home of the recipient rules
    (department staff and heads, the window's clerks, the coordination centre, the case's supervisors, the
    supervisors of the tier above, whoever holds the case).

    Each kind of membership is read on first use with ONE query for the whole set (the deadline sweep
    builds one directory per batch), so asking about a hundred cases costs what asking about one does.
    The single-case helpers below (``department_staff``, ``window_clerks`` …, and ``sla.case_holders``,
    ``sla.supervisors_above``) are this directory for one case. Only active users count. Every answer is a
    sorted list of distinct user ids.
    """

    def __init__(self, cases: Iterable[Case] = (), department_ids: Iterable[int | None] = ()) -> None:
        self.cases = list(cases)
        self.department_ids = sorted(
            {pk for pk in department_ids if pk}
            | {c.lead_department_id for c in self.cases if c.lead_department_id}
        )
        self._loaded: dict[str, dict] = {}

    # Loading: one query per kind of membership, for every case and department of the directory.

    def _paths(self) -> list[str]:
        return sorted(
            {
                p
                for c in self.cases
                for path in (c.region_path, c.handling_region_path)
                for p in path_prefixes(path)
            }
        )

    def _load(self, kind: str) -> dict:
        if kind not in self._loaded:
            self._loaded[kind] = getattr(self, f"_load_{kind}")()
        return self._loaded[kind]

    def _load_departments(self) -> dict:
        staff: dict[int, set[int]] = {}
        heads: dict[int, set[int]] = {}
        rows = Membership.objects.filter(
            department_id__in=self.department_ids,
            role__in=(StaffRole.HANDLER, StaffRole.DEPARTMENT_HEAD),
            user__is_active=True,
        ).values_list("department_id", "user_id", "role")
        for department_id, user_id, role in rows:
            staff.setdefault(department_id, set()).add(user_id)
            if role == StaffRole.DEPARTMENT_HEAD:
                heads.setdefault(department_id, set()).add(user_id)
        return {"staff": staff, "heads": heads}

    def _load_supervisors(self) -> dict:
        by_path: dict[str, set[int]] = {}
        rows = Membership.objects.filter(
            role=StaffRole.SUPERVISOR, region__path__in=self._paths(), user__is_active=True
        ).values_list("region__path", "user_id")
        for path, user_id in rows:
            by_path.setdefault(path, set()).add(user_id)
        return by_path

    def _load_coordinators(self) -> dict:
        by_path: dict[str, set[int]] = {}
        rows = Membership.objects.filter(
            role=StaffRole.COORDINATOR,
            department__role=DepartmentRole.COORDINATOR,
            region__path__in=self._paths(),
            user__is_active=True,
        ).values_list("region__path", "user_id")
        for path, user_id in rows:
            by_path.setdefault(path, set()).add(user_id)
        return by_path

    def _load_clerks(self) -> dict:
        by_window: dict[int, set[int]] = {}
        by_region: dict[int, set[int]] = {}
        windows = sorted({c.window_id for c in self.cases if c.window_id})
        regions = sorted({c.region_id for c in self.cases})
        rows = (
            Membership.objects.filter(role=StaffRole.CLERK, user__is_active=True)
            .filter(Q(window_id__in=windows) | Q(window__isnull=True, region_id__in=regions))
            .values_list("window_id", "region_id", "user_id")
        )
        for window_id, region_id, user_id in rows:
            if window_id is not None:
                by_window.setdefault(window_id, set()).add(user_id)
            else:
                by_region.setdefault(region_id, set()).add(user_id)
        return {"window": by_window, "region": by_region}

    # The rules.

    def department_staff(self, department_id: int | None) -> list[int]:
        """Active handlers and heads of the department."""
        return sorted(self._load("departments")["staff"].get(department_id, ()))

    def department_heads(self, department_id: int | None) -> list[int]:
        return sorted(self._load("departments")["heads"].get(department_id, ()))

    def window_clerks(self, case: Case) -> list[int]:
        """Clerks of the window that took the case in (or of its region without a window): 首问负责."""
        clerks = self._load("clerks")
        return sorted(
            clerks["window"].get(case.window_id, set()) | clerks["region"].get(case.region_id, set())
        )

    def centre_coordinators(self, case: Case) -> list[int]:
        """Members of the coordination centre over the case (the same rule as the coordinator relation)."""
        by_path = self._load("coordinators")
        return sorted({u for path in path_prefixes(case.region_path) for u in by_path.get(path, ())})

    def case_supervisors(self, case: Case) -> list[int]:
        """Active supervisors whose region subtree holds the case (taken in or handled there), every tier
        up: the workflow's supervisor relation (``workflow._relations``), who decides its extensions."""
        by_path = self._load("supervisors")
        prefixes = {*path_prefixes(case.region_path), *path_prefixes(case.handling_region_path)}
        return sorted({u for path in prefixes for u in by_path.get(path, ())})

    def supervisors_above(self, case: Case) -> list[int]:
        """The supervisors of the tier above whoever holds the case (督办 goes one tier up); at the county,
        the county's own supervisors. Walks further up while a tier has no supervisor."""
        by_path = self._load("supervisors")
        prefixes = path_prefixes(case.handling_region_path or case.region_path)
        # Every region above, nearest first; a county has none above it, so its own supervisors.
        for region_path in reversed(prefixes[:-1] or prefixes):
            if by_path.get(region_path):
                return sorted(by_path[region_path])
        return []

    def case_holders(self, case: Case, *, heads_only: bool = False) -> list[int]:
        """Who holds the case now: the lead department's staff (its heads only, for 催办), else the
        coordination centre while the case waits there, else the intake window's clerks (首问负责)."""
        if case.lead_department_id:
            if heads_only:
                return self.department_heads(case.lead_department_id)
            return self.department_staff(case.lead_department_id)
        if case.status == CaseStatus.COORDINATING:
            return self.centre_coordinators(case)
        return self.window_clerks(case)


def department_staff(department_ids: Iterable[int]) -> dict[int, list[int]]:
    """Active handlers and heads of each department: ``{department id: [user ids]}`` (departments without
    any left out)."""
    directory = Directory(department_ids=department_ids)
    staff = {pk: directory.department_staff(pk) for pk in directory.department_ids}
    return {pk: users for pk, users in staff.items() if users}


def window_clerks(case: Case) -> list[int]:
    """Clerks of the window that took the case in (or of its region without a window): 首问负责."""
    return Directory([case]).window_clerks(case)


def centre_coordinators(case: Case) -> list[int]:
    """Members of the coordination centre over the case (the same rule as the coordinator relation)."""
    return Directory([case]).centre_coordinators(case)


def case_supervisors(case: Case) -> list[int]:
    """The case's supervisors (``Directory.case_supervisors``). One query."""
    return Directory([case]).case_supervisors(case)


def lead_department_staff(event: CaseEvent) -> tuple[list[int], str]:
    """Who a supervisor's 催办 / 督办 reaches, and the department's name: the active heads and handlers of
    the department that led the case when the order was given (the event's ``lead_department``); when no
    department leads it, whoever holds the case now (``sla.case_holders``: the coordination centre or the
    intake window) and no name."""
    from . import sla  # sla imports this module lazily too; importing it at the top would be circular

    lead = events.read(event).lead_department or event.department_id
    if not lead:
        return sla.case_holders(event.case), ""
    name = Department.objects.filter(pk=lead).values_list("name", flat=True).first() or ""
    return department_staff([lead]).get(lead, []), name


# --- Senders --------------------------------------------------------------------------------------------


def _sms_to_requester(event: CaseEvent, purpose: str, template: str, context: dict, *, emergency: bool):
    case = event.case
    phone = case.requester.phone
    if not is_mobile(phone):
        logger.info(
            "case %s: no %s SMS, requester phone %s is not a mobile number",
            case.tracking_number,
            purpose,
            mask_phone(phone),
        )
        return None
    return notification_request(
        event_key=event_key(event, purpose),
        template_code=template,
        channel=Channel.SMS,
        recipient_phone=phone,
        context={"tracking_number": case.tracking_number, **context},
        language=REQUESTER_LANGUAGE,
        emergency=emergency,
    )


def _notify_users(event: CaseEvent, purpose: str, template: str, user_ids: list[int], context: dict) -> None:
    if not user_ids:
        logger.warning(
            "case %s: nobody to tell about %s (%s)", event.case.tracking_number, event.kind, purpose
        )
        return
    notify_staff(
        event_key=event_key(event, purpose),
        template_code=template,
        user_ids=user_ids,
        context=context,
        emergency=is_emergency(event.case),
    )


def _notify_departments(event: CaseEvent, department_ids: Iterable[int | None], template: str) -> None:
    """One message per department (its name in the text) to its staff."""
    ids = list(dict.fromkeys(pk for pk in department_ids if pk))
    names = dict(Department.objects.filter(pk__in=ids).values_list("pk", "name"))
    staff = department_staff(ids)
    for pk in ids:
        context = staff_context(event.case, department=names.get(pk, ""), reason=event.reason)
        _notify_users(event, "department", template, staff.get(pk, []), context)


def _notify_router(event: CaseEvent, template: str) -> None:
    """Whoever must route the case now: the coordination centre while it waits there, else the window."""
    case = event.case
    users = centre_coordinators(case) if event.to_status == S.COORDINATING else window_clerks(case)
    _notify_users(event, "reroute", template, users, staff_context(case, reason=event.reason))


def _survey(event: CaseEvent) -> None:
    if not is_mobile(event.case.requester.phone):
        return  # no link to send: the window calls back instead
    token = survey_token_issue(event=event)
    _sms_to_requester(
        event, "survey", TemplateCode.SURVEY, {"survey_url": survey_url(token.token)}, emergency=False
    )


# --- Handlers, one per event kind --------------------------------------------------------------------


def on_intake(event: CaseEvent) -> None:
    case = event.case
    _sms_to_requester(
        event, "receipt", TemplateCode.RECEIPT, {"query_code": case.query_code}, emergency=is_emergency(case)
    )
    if event.to_status == S.RESOLVED:  # 即办: taken in and resolved at the window
        _survey(event)


def on_not_accept(event: CaseEvent) -> None:
    # 一次性告知: the requester is told why and where to go, in one message.
    with translation.override(REQUESTER_LANGUAGE):
        text = _("不予受理，原因：%(reason)s；办理建议：%(guidance)s") % {
            "reason": event.reason,
            "guidance": events.read(event).guidance,
        }
    _sms_to_requester(
        event, "not_accept", TemplateCode.REPLY, {"reply": _quote(text)}, emergency=is_emergency(event.case)
    )


def on_routed(event: CaseEvent) -> None:
    """assign, coordinate, reassign: the newly named lead (and assisting) departments."""
    payload = events.read(event)
    departments = [payload.lead_department, *payload.assisting_departments]
    _notify_departments(event, departments, TemplateCode.ASSIGNMENT)


def on_moved(event: CaseEvent) -> None:
    """transfer, escalate, delegate: the new lead, or the centre when the ping-pong guard tripped."""
    payload = events.read(event)
    if payload.pingpong_guard:
        _notify_router(event, REROUTE_TEMPLATE)
    else:
        _notify_departments(event, [payload.requested_department], TemplateCode.ASSIGNMENT)


def on_return(event: CaseEvent) -> None:
    # An assisting department stepping out leaves the routing as it is: nobody has to route again.
    if event.to_status in (S.ROUTING, S.COORDINATING):
        _notify_router(event, REROUTE_TEMPLATE)


def on_reply(event: CaseEvent) -> None:
    _sms_to_requester(
        event,
        "reply",
        TemplateCode.REPLY,
        {"reply": _quote(event.reason)},
        emergency=is_emergency(event.case),
    )


def on_resolve(event: CaseEvent) -> None:
    _sms_to_requester(
        event,
        "resolve",
        TemplateCode.RESOLVE,
        {"result": _quote(event.reason)},
        emergency=is_emergency(event.case),
    )
    _survey(event)


def on_reopen(event: CaseEvent) -> None:
    lead = events.read(event).lead_department
    if lead:
        _notify_departments(event, [lead], TemplateCode.REOPEN)
    else:  # resolved at the window and never routed: the window routes the redo
        _notify_router(event, TemplateCode.REOPEN)


def on_review_requested(event: CaseEvent) -> None:
    """A "no" entered the review queue (not accepted, cannot be done, late withdrawal, long suspension):
    the case's supervisors must decide by the review's deadline."""
    from .models import RefusalReview

    review = RefusalReview.objects.select_related("reason").get(pk=events.read(event).review)
    context = staff_context(
        event.case,
        kind=review.get_kind_display(),
        deadline=review.due_at,
        reason=str(review.reason) if review.reason_id else event.reason,
    )
    _notify_users(event, "review", TemplateCode.REVIEW, case_supervisors(event.case), context)


def on_review(event: CaseEvent) -> None:
    """A supervisor decided a review: who said no hears the decision; an overturned refusal or withdrawal
    goes back to whoever routes the case, an overturned "cannot be done" to the lead department (with the
    new date); a confirmed "cannot be done" is the final answer, so the requester gets the survey link."""
    from .choices import ReviewDecision, ReviewKind
    from .models import RefusalReview

    payload = events.read(event)
    review = RefusalReview.objects.get(pk=payload.review)
    case = event.case
    context = staff_context(
        case,
        kind=review.get_kind_display(),
        decision=ReviewDecision(payload.decision).label,
        note=event.reason,
    )
    if payload.follow_up_due_at:
        context["deadline"] = case.follow_up_due_at
    told = {review.requested_by_id} if review.requested_by_id else set()
    if payload.decision == ReviewDecision.OVERTURN:
        if review.kind in (ReviewKind.NOT_ACCEPTED, ReviewKind.LATE_WITHDRAWAL):
            told |= set(
                centre_coordinators(case) if event.to_status == S.COORDINATING else window_clerks(case)
            )
        elif case.lead_department_id:
            told |= set(department_staff([case.lead_department_id]).get(case.lead_department_id, []))
    _notify_users(event, "review-decision", TemplateCode.REVIEW_DECISION, sorted(told), context)
    if event.to_status == S.RESOLVED:
        _survey(event)


def on_urge(event: CaseEvent) -> None:
    """催办 by a supervisor: the lead department's heads and handlers read the supervisor's reason and the
    case's deadline. A step of the deadline ladder (no ``manual`` flag) is left to ``cases.sweep``."""
    if not events.read(event).manual:
        return
    case = event.case
    users, department = lead_department_staff(event)
    context = staff_context(case, deadline=case.due_at or _("未定"), department=department, note=event.reason)
    _notify_users(event, "urge", TemplateCode.URGE, users, context)


def on_supervise(event: CaseEvent) -> None:
    """督办 by a supervisor: as 催办, with the order's own deadline (the payload's ``due_at``) as the deadline."""
    payload = events.read(event)
    if not payload.manual:
        return
    case = event.case
    users, department = lead_department_staff(event)
    deadline = payload.due_at or case.supervision_due_at or case.due_at
    context = staff_context(case, deadline=deadline or _("未定"), department=department, note=event.reason)
    _notify_users(event, "supervise", TemplateCode.SUPERVISE, users, context)


def on_extension_request(event: CaseEvent) -> None:
    """延期申请: the case's supervisors (who may decide it) read the department, the days and the reason."""
    case = event.case
    context = staff_context(
        case,
        department=event.department.name if event.department_id else "",
        days=events.read(event).days,
        reason=event.reason,
    )
    due_before = events.read(event).due_before
    if due_before is not None:
        context["deadline"] = due_before
    _notify_users(event, "extension_request", TemplateCode.EXTENSION_REQUEST, case_supervisors(case), context)


def on_extension_decided(event: CaseEvent) -> None:
    """延期审批: the decision is told to the staff member who asked and, when an approved extension moved the
    case's deadline, to the requester (群众/企业) by SMS with the new deadline."""
    extension = Extension.objects.select_related("case__requester").get(pk=events.read(event).extension)
    case = extension.case
    approved = extension.status == ExtensionStatus.APPROVED
    context = {"approved": approved, "reason": extension.decision_note}
    if approved and extension.due_after:
        context["new_deadline"] = extension.due_after
    if extension.requested_by_id:
        notify_staff(
            event_key=event_key(event, "extension"),
            template_code=TemplateCode.EXTENSION_DECISION,
            user_ids=[extension.requested_by_id],
            context=staff_context(case, **context),
            emergency=is_emergency(case),
        )
    if approved and extension.applies_to_case:
        # ``_sms_to_requester`` decides whether the requester can get an SMS at all (mobile numbers only).
        _sms_to_requester(
            event,
            "extension",
            TemplateCode.EXTENSION_DECISION,
            {"approved": True, "new_deadline": extension.due_after},
            emergency=is_emergency(case),
        )


# --- The decision table: who is told about each kind of event ------------------------------------------


@dataclass(frozen=True)
class Silent:
    """The explicit decision that an event kind notifies nobody, with the one-line reason why."""

    reason: str


Handler = Callable[[CaseEvent], None]

# Every kind in ``CASE_EVENT_KINDS`` has exactly one entry. A command that files a "no" for review
# (``payload["review"]``: not_accept, a late withdraw, a long suspend, a "cannot be done" reply) also tells
# the case's supervisors, whatever its entry says (``notify_event``).
NOTICES: dict[str, Handler | Silent] = {
    E.INTAKE: on_intake,
    E.NOT_ACCEPT: on_not_accept,
    E.WITHDRAW: Silent("the requester withdrew it; a late withdrawal's review tells the supervisors"),
    E.CLASSIFY: Silent("nobody needs telling: the window (or the centre) routes it next from its queue"),
    E.RECLASSIFY: Silent("nobody needs telling: a new classification moves deadlines, not people"),
    E.ASSIGN: on_routed,
    E.ACCEPT: Silent("the lead signing for it is its own act; its queue and the timeline show it"),
    E.RETURN: on_return,
    E.TRANSFER: on_moved,
    E.ESCALATE: on_moved,
    E.DELEGATE: on_moved,
    E.COORDINATE: on_routed,
    E.REASSIGN: on_routed,
    E.NOTE: Silent("a progress note is for the record: the timeline shows it"),
    E.SUSPEND: Silent("the department asked the requester itself; a long suspension's review is told"),
    E.RESUME: Silent("the department resumes its own work; the clock restarts without anyone to tell"),
    E.REPLY: on_reply,
    E.RESOLVE: on_resolve,
    E.CALLBACK: Silent("the callback is a conversation with the requester; closure follows"),
    E.REOPEN: on_reopen,
    E.CLOSE: Silent("销号 ends the loop: the requester already had the resolve SMS and the survey"),
    E.EXTENSION_REQUEST: on_extension_request,
    E.EXTENSION_DECIDE: on_extension_decided,
    E.REVIEW: on_review,
    # Steps of the deadline ladder: the sweep (``cases.sweep``) tells their recipients itself.
    SweepEventKind.SIGN_REMINDER: Silent("a sweep step: told by cases.sweep itself"),
    SweepEventKind.REMIND: Silent("a sweep step: told by cases.sweep itself"),
    SweepEventKind.WARN: Silent("a sweep step: told by cases.sweep itself"),
    # Also steps of the ladder: the handlers act on a supervisor's commands only (``manual``).
    SweepEventKind.URGE: on_urge,
    SweepEventKind.SUPERVISE: on_supervise,
    SweepEventKind.BULLETIN: Silent("a sweep step: told by cases.sweep itself"),
}


def undecided_kinds() -> list[str]:
    """Event kinds without an entry in ``NOTICES`` (must be none), and entries naming no event kind."""
    kinds = {value for value, _label in CASE_EVENT_KINDS}
    return sorted(kinds.symmetric_difference(str(kind) for kind in NOTICES))


def notify_event(event: CaseEvent) -> None:
    """Write the notifications of one event (in its transaction), as ``NOTICES`` decides for its kind; then,
    when the event filed a "no" for review, the supervisors' review notice."""
    notice = NOTICES[event.kind]
    if not isinstance(notice, Silent):
        notice(event)
    if event.kind != E.REVIEW and events.read(event).review:
        on_review_requested(event)
