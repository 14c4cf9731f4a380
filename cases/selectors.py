"""Reads on cases, all built on ``Case.objects.visible_to(user)``: lists, one case, timelines, queues.

A case the user may not see is ``NotFound`` exactly like a missing one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Case as Case_
from django.db.models import Count, Exists, F, IntegerField, Max, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from routing.models import Department
from routing.scoping import paths_q
from windowsvc.errors import NotFound
from windowsvc.personal import mask_credit_code, mask_id_number, mask_name, mask_phone, normalize_phone

from . import workflow
from .choices import AssignmentStatus, Light, SweepEventKind
from .events import Key
from .models import (
    Assignment,
    Case,
    CaseEvent,
    CaseTimer,
    Category,
    Extension,
    Reason,
    RefusalReview,
    Requester,
)

# What a list of cases shows without extra queries per row.
_LIST_JOINED = ("requester",)
# Small reference tables, read by id in one query each rather than joined: with five joins PostgreSQL
# spent 10-30 ms *planning* a 0.4 ms list query (the case table's many partial indexes multiply the join
# orders it weighs); four primary-key lookups plan and run in well under a millisecond together.
_LIST_REFERENCES = ("window", "region", "lead_department", "category")


def with_list_rows(queryset: QuerySet[Case]) -> QuerySet[Case]:
    """``queryset`` with what list rows and the case page display: the requester joined, the window,
    region, lead department and category fetched by id (one query each, only for the rows read)."""
    return queryset.select_related(*_LIST_JOINED).prefetch_related(*_LIST_REFERENCES)


def case_list_visible(*, user, open_only: bool = False) -> QuerySet[Case]:
    """The cases ``user`` may see, newest first, with what list rows display (filter it further)."""
    queryset = with_list_rows(Case.objects.listed_for(user))
    if open_only:
        queryset = queryset.open()
    return queryset


def case_get_visible(*, user, case_id: int | None = None, tracking_number: str | None = None) -> Case:
    """One case by id or tracking number, or ``NotFound`` when it is missing or out of the user's scope."""
    # One row: its joins plan in a few milliseconds, less than four more round trips.
    queryset = Case.objects.visible_to(user).select_related(*_LIST_JOINED, *_LIST_REFERENCES, "clerk")
    try:
        if case_id is not None:
            return queryset.get(pk=int(case_id))
        if tracking_number:
            return queryset.get(tracking_number=tracking_number.strip())
    except (Case.DoesNotExist, TypeError, ValueError):
        pass
    raise NotFound(_("未找到该案件。"))


def case_timeline(*, user, case_id: int, public_only: bool = False) -> QuerySet[CaseEvent]:
    """The case's events in order (``NotFound`` when the case is not visible)."""
    case = case_get_visible(user=user, case_id=case_id)
    events = case.events.select_related("actor", "department").order_by("sequence")
    return events.public() if public_only else events


def case_public_timeline(*, case: Case) -> QuerySet[CaseEvent]:
    """The events the citizens' status page may show; callers must show no staff names or personal data."""
    return case.events.public().select_related("department").order_by("sequence")


def case_allowed_commands(*, user, case: Case) -> list[str]:
    """The commands ``user`` may run on ``case`` now (for buttons and the API)."""
    return workflow.allowed_commands(case, user)


def case_assignments(*, user, case_id: int) -> QuerySet[Assignment]:
    case = case_get_visible(user=user, case_id=case_id)
    return case.assignments.select_related("department", "accepted_by").order_by("id")


def department_queue(
    *, user, department_id: int | None = None, status: str | None = None, sort: str = "urgency"
) -> QuerySet[Assignment]:
    """A department work queue: current assignments (to sign for, in progress) of the user's departments,
    with the department clock's ``light``, most urgent first (``sort="newest"``: newest first).

    ``status=returned`` lists the department's returned assignments instead (its 退回 history).
    """
    from routing.scoping import scope_for

    scope = scope_for(user)
    queryset = Assignment.objects.select_related("case", "case__requester", "department")
    if not scope.is_superuser:
        queryset = queryset.filter(department_id__in=sorted(scope.department_ids))
    if department_id is not None:
        queryset = queryset.filter(department_id=department_id)
    if status == AssignmentStatus.RETURNED:
        return queryset.filter(status=AssignmentStatus.RETURNED).order_by("-ended_at")
    queryset = queryset.filter(is_current=True)
    if status:
        queryset = queryset.filter(status=status)
    return assignment_urgency_ordered(queryset, sort=sort)


def department_bounce_counts(
    *, since: datetime | None = None, until: datetime | None = None, region_path: str | None = None
) -> list[dict]:
    """Returns and transfers (incl. escalations, delegations) per department, for rankings.

    Rows ``{"department_id", "returned", "transferred"}``; ``since``/``until`` bound when the department let
    the assignment go; ``region_path`` limits to departments within a subtree.
    """
    queryset = Assignment.objects.all()
    if since is not None:
        queryset = queryset.filter(ended_at__gte=since)
    if until is not None:
        queryset = queryset.filter(ended_at__lt=until)
    if region_path:
        queryset = queryset.filter(department__region__path__startswith=region_path)
    return list(queryset.bounce_counts())


def requester_open_cases(
    *,
    user,
    phone: str = "",
    id_number: str = "",
    credit_code: str = "",
    category_id: int | None = None,
) -> QuerySet[Case]:
    """Open visible cases of the same requester (by phone, id number or credit code), optionally one category.

    The intake form warns with these before a duplicate is taken in.
    """
    from django.db.models import Q

    match = Q(pk__in=[])
    if phone:
        match |= Q(requester__phone=normalize_phone(phone))
    # Id numbers and credit codes are encrypted: their blind indexes are what can be matched.
    if id_number:
        match |= Q(requester__id_number_index__in=Requester.digests("id_number", id_number))
    if credit_code:
        match |= Q(requester__credit_code_index__in=Requester.digests("credit_code", credit_code))
    queryset = Case.objects.visible_to(user).open().filter(match)
    if category_id is not None:
        queryset = queryset.filter(category_id=category_id)
    return queryset.select_related("category").order_by("-taken_in_at")


def requester_search_terms(
    *, name: str = "", phone: str = "", id_number: str = "", credit_code: str = ""
) -> dict[str, Any]:
    """A requester search as it may be kept (in the session): the name trimmed, the phone normalised like
    ``windowsvc.personal.normalize_phone`` stores it, and for the id number and credit code only their
    blind-index digests (they are encrypted at rest; the plain number is kept nowhere) and masks."""
    terms: dict[str, Any] = {"shown": []}
    if name.strip():
        terms["name"] = name.strip()
        terms["shown"].append(("name", mask_name(name)))
    if phone.strip():
        terms["phone"] = normalize_phone(phone)
        terms["shown"].append(("phone", mask_phone(phone)))
    if id_number.strip():
        terms["id_number_index"] = Requester.digests("id_number", id_number)
        terms["shown"].append(("id_number", mask_id_number(id_number)))
    if credit_code.strip():
        terms["credit_code_index"] = Requester.digests("credit_code", credit_code)
        terms["shown"].append(("credit_code", mask_credit_code(credit_code)))
    return terms


def case_requester_match(queryset: QuerySet[Case], *, terms: dict[str, Any]) -> QuerySet[Case]:
    """Narrow (already scoped) cases to a requester (``requester_search_terms``): every term matched exactly
    on its normalised value, numbers through their blind indexes (never a prefix or LIKE)."""
    if terms.get("name"):
        queryset = queryset.filter(requester__name=terms["name"])
    if terms.get("phone"):
        queryset = queryset.filter(requester__phone=terms["phone"])
    if terms.get("id_number_index"):
        queryset = queryset.filter(requester__id_number_index__in=list(terms["id_number_index"]))
    if terms.get("credit_code_index"):
        queryset = queryset.filter(requester__credit_code_index__in=list(terms["credit_code_index"]))
    return queryset


def category_search(*, user, county_path: str, text: str = "", limit: int = 20) -> QuerySet[Category]:
    """Active categories of a county matching ``text`` in code or name (the intake form's search)."""
    from django.db.models import Q

    queryset = Category.objects.visible_to(user).active().for_region_path(county_path)
    if text:
        queryset = queryset.filter(Q(name__icontains=text) | Q(code__istartswith=text))
    return queryset.select_related("parent").order_by("code")[:limit]


def category_default_department(*, category: Category, region_path: str) -> Department | None:
    """The default lead department of a category for a case taken in at ``region_path``."""
    return workflow.default_lead_department(category, region_path)


# --- 催办 / 督办 marks and extension requests -------------------------------------------------------


@dataclass(frozen=True)
class ActionMarks:
    """The 催办 / 督办 a case has had so far, by a supervisor or by the deadline sweep: how many of each and
    when the latest was (lists show "已催办 ×2 · 最近 2026-03-20"). False when there was none."""

    urged: int = 0
    urged_last: datetime | None = None
    supervised: int = 0
    supervised_last: datetime | None = None

    def __bool__(self) -> bool:
        return bool(self.urged or self.supervised)


def case_action_marks(*, user, case_ids: Iterable[int]) -> dict[int, ActionMarks]:
    """``{case id: ActionMarks}`` of the cases among ``case_ids`` the user may see and that were urged or
    supervised at least once: one grouped query over their events, whatever the number of cases (a list
    page asks once for its page, never per row)."""
    ids = sorted({int(pk) for pk in case_ids})
    if not ids:
        return {}
    rows = (
        CaseEvent.objects.visible_to(user)
        .filter(case_id__in=ids, kind__in=[SweepEventKind.URGE, SweepEventKind.SUPERVISE])
        # A supervisor's orders and the completion ladders' steps; a timer's 催办 (reply, callback …) is
        # a reminder about another deadline, not an order to get the matter done.
        .filter(Q(**{Key.MANUAL.lookup: True}) | Q(**{f"{Key.CLOCK.lookup}__in": ["case", "assignment"]}))
        .values("case_id", "kind")
        .annotate(n=Count("pk"), last=Max("created_at"))
        .order_by()
    )
    found: dict[int, dict] = {}
    for row in rows:
        entry = found.setdefault(row["case_id"], {})
        if row["kind"] == SweepEventKind.URGE:
            entry.update(urged=row["n"], urged_last=row["last"])
        else:
            entry.update(supervised=row["n"], supervised_last=row["last"])
    return {case_id: ActionMarks(**values) for case_id, values in found.items()}


def case_action_marks_attach(*, user, cases: Iterable[Case]) -> list[Case]:
    """Set ``action_marks`` (an ``ActionMarks``, empty when none) on each case of a page, in one query;
    returns the cases as a list."""
    cases = list(cases)
    marks = case_action_marks(user=user, case_ids=[case.pk for case in cases])
    for case in cases:
        case.action_marks = marks.get(case.pk, ActionMarks())
    return cases


def extension_list_visible(*, user, status: str | None = None) -> QuerySet[Extension]:
    """Extension requests (延期申请) of the cases the user may see, oldest first, with what a list shows:
    supervisors see their subtree's, department staff their departments' cases'. ``status`` narrows it
    (``requested``: waiting for a decision)."""
    queryset = Extension.objects.filter(case__in=Case.objects.visible_to(user).values("pk")).select_related(
        "case", "department", "requested_by", "decided_by"
    )
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("created_at", "pk")


def review_list_visible(*, user, status: str | None = None) -> QuerySet[RefusalReview]:
    """否定答复报告 of the cases the user may see (supervisors: their subtree's; department staff: their
    departments' cases'), oldest due first, with what a list shows. ``status`` narrows it (``pending``:
    waiting for a supervisor's ``review`` command)."""
    queryset = RefusalReview.objects.filter(
        case__in=Case.objects.visible_to(user).values("pk")
    ).select_related("case", "reason", "department", "requested_by", "decided_by")
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("due_at", "pk")


def reason_list(*, purpose: str | None = None) -> QuerySet[Reason]:
    """The active reasons of the configurable lists (refusal, suspension), in their display order."""
    queryset = Reason.objects.filter(is_active=True)
    if purpose:
        queryset = queryset.filter(purpose=purpose)
    return queryset.order_by("purpose", "sort_order", "code")


def case_running_timers(*, case: Case) -> list[CaseTimer]:
    """The deadlines the sweep watches on a case now (running ``CaseTimer`` rows), soonest first. The
    caller has already checked the case is visible."""
    return list(case.timers.filter(stopped_at__isnull=True).order_by("due_at", "pk"))


def case_reviews(*, case: Case) -> list[RefusalReview]:
    """The case's 否定答复审核 history, oldest first. The caller has already checked the case is visible."""
    return list(
        case.reviews.select_related("reason", "department", "requested_by", "decided_by").order_by(
            "created_at", "pk"
        )
    )


# --- Urgency and the home worklist ------------------------------------------------------------------

# Light first (red, yellow, green, no clock), then the time left: the order every worklist sorts by.
_LIGHT_RANK = Case_(
    When(light=Light.RED, then=Value(0)),
    When(light=Light.YELLOW, then=Value(1)),
    When(light=Light.GREEN, then=Value(2)),
    default=Value(3),
    output_field=IntegerField(),
)
SORTS = ("urgency", "newest")


def case_urgency_ordered(queryset: QuerySet[Case], *, sort: str = "urgency", now=None) -> QuerySet[Case]:
    """Cases with ``light`` and ``deadline`` annotated (``CaseQuerySet.with_light``, the one rule), most
    urgent first (red, yellow, green, none; then the earliest deadline), or newest first."""
    queryset = queryset.with_light(now)
    if sort == "newest":
        return queryset.newest_first()
    return queryset.annotate(light_rank=_LIGHT_RANK).order_by(
        "light_rank", F("deadline").asc(nulls_last=True), "pk"
    )


def assignment_urgency_ordered(queryset: QuerySet[Assignment], *, sort: str = "urgency", now=None):
    """Assignments with the department clock's ``light`` (``AssignmentQuerySet.with_light``), most urgent
    first (red, yellow, green, none; then the department's earliest deadline), or newest first."""
    queryset = queryset.with_light(now)
    if sort == "newest":
        return queryset.order_by("-created_at", "-pk")
    return queryset.annotate(light_rank=_LIGHT_RANK).order_by(
        "light_rank", F("due_at").asc(nulls_last=True), "pk"
    )


def days_left(deadline: datetime | None, now: datetime | None = None) -> int | None:
    """Whole calendar days from ``now`` to ``deadline`` (negative: overdue by that many), None without one.
    A list's “剩余天数”; the light, not this number, says whether a case is late."""
    if deadline is None:
        return None
    seconds = (deadline - (now or timezone.now())).total_seconds()
    return math.floor(seconds / 86400) if seconds >= 0 else -math.ceil(-seconds / 86400)


@dataclass
class WorkSection:
    """One list of the home worklist: what it holds, how many, its first rows (most urgent first), the
    command a row offers (a link to the command's page), and where the full list is."""

    key: str
    label: str
    count: int
    rows: list
    command: str = ""
    more_url: str = ""
    kind: str = "case"  # "case" rows are Cases; "assignment" rows are Assignments

    @property
    def command_label(self) -> str:
        from .choices import EventKind

        labels = dict(EventKind.choices) | dict(SweepEventKind.choices)
        return str(labels.get(self.command, "")) if self.command else ""


WORKLIST_ROWS = 10


def _returned_to_window():
    return Exists(Assignment.objects.filter(case_id=OuterRef("pk"), status=AssignmentStatus.RETURNED))


def _section(
    key, label, queryset, *, command="", more_url="", kind="case", sort="urgency", user=None, returned=False
):
    ordered = (
        assignment_urgency_ordered(queryset, sort=sort)
        if kind == "assignment"
        else case_urgency_ordered(queryset, sort=sort)
    )
    rows = list(ordered[:WORKLIST_ROWS])
    cases = [row.case for row in rows] if kind == "assignment" else rows
    case_action_marks_attach(user=user, cases=cases)
    work_rows_decorate(rows, kind=kind, returned=returned)
    return WorkSection(key, label, queryset.count(), rows, command, more_url, kind)


def work_rows_decorate(rows, *, kind: str = "case", returned: bool = False, now=None) -> list:
    """Give each row of a worklist (Cases, or Assignments with ``light`` annotated) the one shape the
    template ``cases/_work_rows.html`` reads: ``work_case``, ``work_deadline``, ``work_light``,
    ``days_left``, ``overdue_days``, ``returned``."""
    now = now or timezone.now()
    for row in rows:
        # One shape for the template whatever the row: the case, the deadline that counts, its light.
        row.work_case = row.case if kind == "assignment" else row
        row.work_deadline = row.due_at if kind == "assignment" else row.deadline
        row.work_light = Light(row.light) if row.light else None
        row.days_left = days_left(row.work_deadline, now)
        row.overdue_days = -row.days_left if row.days_left is not None and row.days_left < 0 else 0
        row.returned = returned
    return rows


def worklist(*, user, sort: str = "urgency") -> list[WorkSection]:
    """The home page's lists for every role the user holds, each built on ``Case.objects.visible_to`` (or
    the department queue) and sorted by urgency: a clerk's cases to route, returned to the window, waiting
    for the callback and for closure; a department's to sign for and in progress; the coordination centre's
    cases to coordinate; a supervisor's pending extension requests and reviews, red cases, and what is
    already urged or supervised; an administrator's red cases of the subtree."""
    from routing.choices import StaffRole
    from routing.scoping import scope_for

    from .choices import CaseStatus, ExtensionStatus, ReviewStatus, Satisfaction

    sort = sort if sort in SORTS else "urgency"
    scope = scope_for(user)
    visible = with_list_rows(Case.objects.visible_to(user))
    sections: list[WorkSection] = []

    def add(*args, **kwargs):
        sections.append(_section(*args, user=user, sort=sort, **kwargs))

    if scope.clerk_paths:
        mine = visible.filter(paths_q("region_path", scope.clerk_paths))
        returned = mine.filter(status=CaseStatus.ROUTING).filter(_returned_to_window())
        add("clerk-returned", _("退回窗口"), returned, command="assign", returned=True)
        add(
            "clerk-to-route",
            _("待分类/派单"),
            mine.filter(status__in=[CaseStatus.REGISTERED, CaseStatus.ROUTING]).exclude(
                pk__in=returned.values("pk")
            ),
            command="",
        )
        waiting_callback = Q(callback_at__isnull=True) | Q(callback_at__lt=F("resolved_at"))
        add(
            "clerk-callback",
            _("待回访"),
            mine.filter(status=CaseStatus.RESOLVED).filter(waiting_callback),
            command="callback",
        )
        add(
            "clerk-close",
            _("待销号"),
            mine.filter(status=CaseStatus.RESOLVED)
            .exclude(waiting_callback)
            .filter(callback_satisfaction__in=[Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED]),
            command="close",
        )
    if (
        scope.department_ids
        and not scope.is_superuser
        and scope.has_role(StaffRole.HANDLER, StaffRole.DEPARTMENT_HEAD)
    ):
        queue = Assignment.objects.filter(
            department_id__in=sorted(scope.department_ids), is_current=True
        ).select_related("case", "case__requester", "department")
        add(
            "dept-to-sign",
            _("待签收"),
            queue.filter(status=AssignmentStatus.PENDING),
            command="accept",
            kind="assignment",
            more_url="to-sign",
        )
        add(
            "dept-in-progress",
            _("办理中"),
            queue.filter(status=AssignmentStatus.ACCEPTED),
            kind="assignment",
            more_url="in-progress",
        )
    if scope.has_role(StaffRole.COORDINATOR) and not scope.is_superuser:
        add("coordinate", _("待协调"), visible.filter(status=CaseStatus.COORDINATING), command="coordinate")
    if scope.oversight_paths and scope.has_role(StaffRole.SUPERVISOR):
        extensions = extension_list_visible(user=user, status=ExtensionStatus.REQUESTED)
        add(
            "sup-extensions",
            _("待审批延期申请"),
            visible.filter(pk__in=extensions.values("case_id")),
            command="extension_decide",
        )
        reviews = review_list_visible(user=user, status=ReviewStatus.PENDING)
        add(
            "sup-reviews",
            _("待审核否定答复"),
            visible.filter(pk__in=reviews.values("case_id")),
            command="review",
        )
        urged = CaseEvent.objects.filter(
            case_id=OuterRef("pk"), kind__in=[SweepEventKind.URGE, SweepEventKind.SUPERVISE]
        )
        opened = visible.open()
        add(
            "sup-red",
            _("红灯案件（未催办）"),
            opened.with_light().filter(light=Light.RED).exclude(Exists(urged)),
            command="urge",
        )
        add("sup-urged", _("已催办/督办"), opened.filter(Exists(urged)), command="supervise")
    if (
        scope.oversight_paths
        and scope.has_role(StaffRole.ADMINISTRATOR)
        and not scope.has_role(StaffRole.SUPERVISOR)
    ):
        add("admin-red", _("红灯案件"), visible.open().with_light().filter(light=Light.RED))
        add("admin-yellow", _("黄灯案件"), visible.open().with_light().filter(light=Light.YELLOW))
    return sections


# --- Printable documents: 交办单, 督办通知书, 协调会纪要 ------------------------------------------------


@dataclass
class PrintedDocument:
    """One printable order of a case: who issues it, its number and date, its fields and text."""

    kind: str
    title: str
    issuer: str
    number: str
    issued_at: datetime
    fields: list[tuple[str, str]]
    text_label: str
    text: str
    addressee: str = ""


DOCUMENT_KINDS = ("assignment", "supervision", "coordination")


def case_document_kinds(*, case: Case) -> list[tuple[str, str]]:
    """The printable documents a (visible) case has now: ``[(kind, label)]`` for the case page's links."""
    from .choices import AssignmentRole

    found = []
    if case.assignments.filter(role=AssignmentRole.LEAD).exists():
        found.append(("assignment", _("交办单")))
    if case.events.filter(kind=SweepEventKind.SUPERVISE).exists():
        found.append(("supervision", _("督办通知书")))
    if case.coordination_meetings.exists():
        found.append(("coordination", _("协调会纪要")))
    return found


def _county_centre_name(case: Case) -> str:
    from routing.choices import DepartmentRole

    centre = Department.objects.filter(role=DepartmentRole.COORDINATOR, region__path=case.county_path).first()
    return centre.name if centre else ""


def case_document(*, user, case: Case, kind: str) -> PrintedDocument:
    """The latest 交办单 (lead assignment), 督办通知书 (supervision order) or 协调会纪要 (coordination meeting) of
    a case the caller has already checked is visible; ``NotFound`` when the case has none."""
    from django.utils.formats import date_format

    from routing.choices import StaffRole
    from routing.models import Membership, Region

    from .choices import AssignmentRole
    from .events import read

    def when(moment) -> str:
        return date_format(timezone.localtime(moment), "Y-m-d H:i") if moment else "—"

    requester = case.requester
    common = [
        (_("受理编号"), case.tracking_number),
        (_("反映事项"), case.title),
        (_("反映人"), f"{mask_name(requester.name)} {requester.masked_phone}".strip()),
        (_("受理时间"), when(case.taken_in_at)),
    ]
    if kind == "assignment":
        assignment = (
            case.assignments.filter(role=AssignmentRole.LEAD)
            .select_related("department")
            .order_by("-is_current", "-created_at", "-pk")
            .first()
        )
        if assignment is None:
            raise NotFound(_("该案件尚未派单。"))
        assisting = case.assignments.filter(role=AssignmentRole.ASSISTING, is_current=True).select_related(
            "department"
        )
        return PrintedDocument(
            kind=kind,
            title=str(_("交办单")),
            issuer=case.window.name if assignment.origin != "coordinate" else _county_centre_name(case),
            number=f"{assignment.created_at:%Y}-{case.tracking_number}-J{assignment.pk}",
            issued_at=assignment.created_at,
            addressee=assignment.department.name,
            fields=[
                *common,
                (_("主办部门"), assignment.department.name),
                (_("协办部门"), "、".join(a.department.name for a in assisting) or "—"),
                (_("签收时限"), when(assignment.accept_due_at)),
                (_("办理时限"), when(assignment.due_at)),
            ],
            text_label=str(_("反映内容")),
            text=case.description,
        )
    if kind == "supervision":
        event = (
            CaseEvent.objects.filter(case=case, kind=SweepEventKind.SUPERVISE)
            .select_related("actor")
            .order_by("-sequence")
            .first()
        )
        if event is None:
            raise NotFound(_("该案件没有督办记录。"))
        payload = read(event)
        membership = (
            Membership.objects.filter(user=event.actor, role=StaffRole.SUPERVISOR)
            .select_related("region")
            .first()
            if event.actor_id
            else None
        )
        region = membership.region if membership else Region.objects.filter(path=case.county_path).first()
        issuer = f"{region.name if region else ''}“办不成事”反映窗口督办"
        lead = (
            Department.objects.filter(pk=payload.lead_department).first() if payload.lead_department else None
        )
        return PrintedDocument(
            kind=kind,
            title=str(_("督办通知书")),
            issuer=issuer,
            number=f"{event.created_at:%Y}-{case.tracking_number}-D{event.sequence}",
            issued_at=event.created_at,
            addressee=lead.name if lead else (case.lead_department.name if case.lead_department else ""),
            fields=[
                *common,
                (_("办理时限"), when(case.deadline_in_force)),
                (_("督办时限（工作日）"), str(payload.days) if payload.days else "—"),
                (_("督办办结期限"), when(payload.due_at)),
            ],
            text_label=str(_("督办事由")),
            text=event.reason,
        )
    if kind == "coordination":
        meeting = (
            case.coordination_meetings.select_related("lead_department")
            .prefetch_related("departments")
            .order_by("-held_at", "-pk")
            .first()
        )
        if meeting is None:
            raise NotFound(_("该案件没有协调会记录。"))
        return PrintedDocument(
            kind=kind,
            title=str(_("协调会纪要")),
            issuer=_county_centre_name(case),
            number=f"{meeting.held_at:%Y}-{case.tracking_number}-X{meeting.pk}",
            issued_at=meeting.held_at,
            fields=[
                *common,
                (_("召开时间"), when(meeting.held_at)),
                (_("参会部门"), "、".join(d.name for d in meeting.departments.all()) or "—"),
                (_("确定的主办部门"), meeting.lead_department.name),
            ],
            text_label=str(_("会议决定")),
            text=meeting.decisions,
        )
    raise NotFound(_("没有这种文书。"))
