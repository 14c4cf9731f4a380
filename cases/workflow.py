"""The closed loop's state machine: THE ONLY module that changes ``Case.status``.

``run(case_id, command, actor, data)`` is the single entry point of every write on a case:

1. it locks the case row (``SELECT … FOR UPDATE``) through ``Case.objects.visible_to(actor)`` — a case the
   actor may not see is ``NotFound``, exactly like a missing one;
2. re-checks the state against the command's allowed source states (``TransitionNotAllowed``: 409 with the
   current status and the commands this actor may run now), then the actor's relation to *this* case
   (``PermissionDenied``), then the command's own guard (``TransitionNotAllowed``), then validates its
   input, once, against the row's declaration (``cases.commands``; ``ValidationFailed`` with every field's
   error); the handler gets the cleaned values;
3. applies the change — to a status among the row's ``targets`` only —, saves the case with
   ``update_fields`` and bumps its version, and writes exactly one ``CaseEvent`` (payload from
   ``cases.events``) in the same transaction; ``cases.effects`` hooks run in the transaction and on commit.

The table ``RULES`` lists every command with its source and target states, who may run it and its input;
its services (``cases.services``), API request schemas and page forms are drawn from the same rows. Docs
(``docs/ARCHITECTURE.md``, "The closed loop: state machine") describe the same table in prose.

Who may run a command is a relation of the actor to the case (``Relation``), computed from their
memberships: the intake window's clerks, the staff or head of a department holding a current assignment
(or the current lead one), the coordination centre of the case's county, a supervisor whose subtree holds
the case. Superusers hold every relation; ``actor=None`` is the system (citizen links, sweeps) and may run
only commands marked ``system``.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from routing.choices import DepartmentRole, StaffRole
from routing.models import Department, Membership, Region, ServiceWindow
from routing.paths import county_code, path_prefixes
from windowsvc.bulk import bulk_set
from windowsvc.errors import NotFound, PermissionDenied, TransitionNotAllowed, ValidationFailed
from windowsvc.personal import mask_phone, normalize_credit_code, normalize_id_number, normalize_phone
from windowsvc.refcache import ReferenceCache

from . import effects, events, sla
from .choices import (
    CLOSING_SATISFACTION,
    COORDINATION_MODES,
    CURRENT_ASSIGNMENT_STATUSES,
    PUBLIC_EVENT_KINDS,
    SWEEP_EVENT_KINDS,
    AssignmentOrigin,
    AssignmentRole,
    AssignmentStatus,
    CaseStatus,
    Channel,
    Complexity,
    EventKind,
    ExtensionStatus,
    HandlingMode,
    MatterKind,
    ReasonPurpose,
    RequesterKind,
    ReviewDecision,
    ReviewKind,
    ReviewStatus,
    Satisfaction,
    SweepEventKind,
)
from .clocks import supervision_deadline as d_supervision_deadline
from .commands import (
    EXPECTED_VERSION,
    Input,
    choice,
    clean_inputs,
    clean_value,
    flag,
    moment,
    nested,
    number,
    ref,
    refs,
    text,
    when,
)
from .models import (
    Assignment,
    Case,
    CaseAttachment,
    CaseEvent,
    CaseNumberCounter,
    Category,
    CategoryDefaultDepartment,
    CoordinationMeeting,
    DepartmentCase,
    Extension,
    Reason,
    RefusalReview,
    Requester,
)

logger = logging.getLogger(__name__)

S = CaseStatus
E = EventKind


class Relation(enum.StrEnum):
    """How an actor stands to one case; commands list the relations allowed to run them."""

    WINDOW_CLERK = "window_clerk"  # a clerk of the window that took the case in (首问负责)
    ASSIGNEE_STAFF = "assignee_staff"  # handler or head of a department with a current assignment
    ASSIGNEE_HEAD = "assignee_head"  # head of a department with a current assignment
    LEAD_STAFF = "lead_staff"  # handler or head of the current lead department
    LEAD_HEAD = "lead_head"  # head of the current lead department
    COORDINATOR = "coordinator"  # the coordination centre of the case's county
    SUPERVISOR = "supervisor"  # a supervisor whose subtree holds the case (taken in or handled there)
    # A supervisor whose subtree holds the window that took the case in: only the tier that took a case in
    # (or one above it) may end it or move its lead; a case delegated down stays the intake tier's to end.
    INTAKE_SUPERVISOR = "intake_supervisor"
    SYSTEM = "system"  # no user: citizen links, Celery sweeps


R = Relation
STAFF_RELATIONS = frozenset(r for r in Relation if r is not R.SYSTEM)

_OPEN_BEFORE_RESOLVE = frozenset(
    {S.REGISTERED, S.ROUTING, S.COORDINATING, S.ASSIGNED, S.IN_PROGRESS, S.SUSPENDED, S.REPLIED}
)
_IN_FLIGHT = frozenset({S.ASSIGNED, S.IN_PROGRESS, S.SUSPENDED, S.REPLIED})


# In a row's targets: the command may leave the status as it is.
SAME = "="


@dataclass(frozen=True)
class Rule:
    """One row of the state machine's table: the command, the statuses it runs from (``sources``) and may
    lead to (``targets``; ``SAME``: it may leave the status as it is), who may run it, its input (declared
    once, ``cases.commands``) and whether the system may run it without a user (actor None)."""

    command: EventKind
    sources: frozenset[CaseStatus]
    targets: frozenset[str]
    relations: frozenset[Relation]
    inputs: tuple[Input, ...] = ()
    system: bool = False

    @property
    def is_public(self) -> bool:
        return self.command in PUBLIC_EVENT_KINDS

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(i.name for i in self.inputs if i.required)

    def leads_to(self, from_status: str, to_status: str) -> bool:
        """Whether the table allows this command to move a case from ``from_status`` to ``to_status``."""
        if to_status == from_status and SAME in self.targets:
            return True
        return to_status in self.targets and (from_status in self.sources or not self.sources)


def _rule(command, sources, targets, relations, inputs=(), system=False) -> Rule:
    return Rule(command, frozenset(sources), frozenset(targets), frozenset(relations), tuple(inputs), system)


_REASON = text("reason", required=True)
_CLASSIFICATION = (
    ref("category", help=_lazy("事项类别 id")),
    choice("matter_kind", MatterKind),
    choice("complexity", Complexity),
    choice("handling_mode", HandlingMode),
    # None: leave the case's green channel as it is.
    flag("green_channel", default=None),
)
_CLASSIFICATION_REQUIRED = tuple(
    replace(i, required=True) if i.name != "green_channel" else i for i in _CLASSIFICATION
)
_MOVE = (ref("department", required=True, help=_lazy("接收部门")), _REASON)

# fmt: off
RULES: dict[str, Rule] = {rule.command.value: rule for rule in [
    # intake creates the case; it has no source state (its event's from_status is empty).
    _rule(E.INTAKE, (), (S.REGISTERED, S.ROUTING, S.COORDINATING, S.RESOLVED), (R.WINDOW_CLERK,), (
        ref("window", required=True, help=_lazy("受理窗口 id（须为本人所在窗口）")),
        choice("channel", Channel, required=True),
        nested("requester", required=True),
        text("title", required=True, max_length=Case._meta.get_field("title").max_length),
        text("description", required=True),
        text("expectation"),
        *_CLASSIFICATION,
        text("resolution_summary", help=_lazy("即办事项：受理时直接办结的结果")),
        moment("external_due_at", help=_lazy("来源渠道（如12345热线）规定的办理时限：办结时限取两者中较早者")),
    ), system=True),
    _rule(E.NOT_ACCEPT, (S.REGISTERED, S.ROUTING), (S.NOT_ACCEPTED,), (R.WINDOW_CLERK, R.INTAKE_SUPERVISOR), (
        text("reason", required=True, help=_lazy("不予受理的理由")),
        text("guidance", required=True, help=_lazy("一次性告知的救济途径")),
        text("reason_code", help=_lazy("理由选项代码（/api/v1/reasons/），默认“其他”")),
    )),
    _rule(E.WITHDRAW, _OPEN_BEFORE_RESOLVE, (S.WITHDRAWN,), (R.WINDOW_CLERK, R.INTAKE_SUPERVISOR), (
        _REASON,
        flag("requester_confirmed", help=_lazy("超过办理时限后撤回：反映人已确认")),
    )),
    _rule(E.CLASSIFY, (S.REGISTERED,), (S.ROUTING, S.COORDINATING), (R.WINDOW_CLERK, R.COORDINATOR),
          _CLASSIFICATION_REQUIRED),
    _rule(E.RECLASSIFY, (S.ROUTING, S.COORDINATING, *_IN_FLIGHT), (SAME,),
          (R.WINDOW_CLERK, R.COORDINATOR, R.SUPERVISOR), (_REASON, *_CLASSIFICATION)),
    _rule(E.ASSIGN, (S.ROUTING, S.COORDINATING), (S.ASSIGNED,), (R.WINDOW_CLERK, R.COORDINATOR), (
        ref("lead_department", help=_lazy("主办部门；不填则用事项类别的默认主办部门")),
        refs("assisting_departments", help=_lazy("协办部门")),
        text("note"),
    )),
    _rule(E.ACCEPT, _IN_FLIGHT, (SAME, S.IN_PROGRESS), (R.ASSIGNEE_STAFF,), (
        ref("assignment", help=_lazy("承办单；本部门只有一张待签收时可不填")),
    )),
    _rule(E.RETURN, (S.ASSIGNED, S.IN_PROGRESS), (SAME, S.ROUTING, S.COORDINATING), (R.ASSIGNEE_HEAD,), (
        _REASON,
        ref("assignment"),
    )),
    _rule(E.TRANSFER, (S.ASSIGNED, S.IN_PROGRESS), (S.ASSIGNED, S.COORDINATING), (R.LEAD_HEAD,), _MOVE),
    _rule(E.ESCALATE, (S.ASSIGNED, S.IN_PROGRESS), (S.ASSIGNED, S.COORDINATING), (R.LEAD_HEAD,), _MOVE),
    _rule(E.DELEGATE, (S.ASSIGNED, S.IN_PROGRESS), (S.ASSIGNED, S.COORDINATING), (R.LEAD_HEAD,), _MOVE),
    _rule(E.COORDINATE, (S.ROUTING, S.COORDINATING, S.ASSIGNED, S.IN_PROGRESS, S.REPLIED), (S.ASSIGNED,),
          (R.COORDINATOR,), (
        ref("lead_department", required=True),
        text("decisions", required=True, help=_lazy("协调会决定")),
        refs("assisting_departments"),
        refs("participants", help=_lazy("其他参会部门")),
        moment("held_at"),
        choice("handling_mode", HandlingMode, allowed=COORDINATION_MODES),
    )),
    _rule(E.REASSIGN, _IN_FLIGHT, (S.ASSIGNED,), (R.INTAKE_SUPERVISOR,), (ref("lead_department", required=True), _REASON)),
    _rule(E.NOTE, (*_OPEN_BEFORE_RESOLVE, S.RESOLVED), (SAME,),
          (R.ASSIGNEE_STAFF, R.WINDOW_CLERK, R.COORDINATOR, R.SUPERVISOR), (
        text("text", required=True),
        flag("contacted_requester"),
    )),
    _rule(E.SUSPEND, (S.IN_PROGRESS, S.REPLIED), (S.SUSPENDED,), (R.LEAD_STAFF,), (
        _REASON,
        text("reason_code", required=True, help=_lazy("挂起理由代码（/api/v1/reasons/?purpose=suspension）")),
        number("days", max_value=60, help=_lazy("挂起期限（工作日）；不填按默认期限")),
    )),
    # Back to where it was suspended from (handling or replied).
    _rule(E.RESUME, (S.SUSPENDED,), (S.IN_PROGRESS, S.REPLIED), (R.LEAD_STAFF, R.SUPERVISOR), (_REASON,)),
    _rule(E.REPLY, (S.IN_PROGRESS, S.REPLIED), (S.REPLIED,), (R.LEAD_STAFF,), (
        text("answer", required=True),
        flag("can_be_done", default=True, help=_lazy("否：暂不能办理的答复（须说明理由）")),
        when("follow_up_due_at", help=_lazy("暂不能办结时的预计办结日期（YYYY-MM-DD）")),
        flag("cannot_be_done", help=_lazy("是：不能办理（须选择理由并写明依据，报督办审核）")),
        text("reason_code"),
        text("basis", help=_lazy("法律或政策依据")),
    )),
    _rule(E.RESOLVE, (S.IN_PROGRESS, S.REPLIED), (S.RESOLVED,), (R.LEAD_STAFF,), (
        text("summary", required=True),
        refs("evidence", help=_lazy("证明材料（本案附件 id）")),
    )),
    _rule(E.CALLBACK, (S.RESOLVED,), (SAME,), (R.WINDOW_CLERK, R.COORDINATOR, R.SUPERVISOR), (
        choice("satisfaction", Satisfaction, required=True),
        text("comment", help=_lazy("不满意时必填")),
    ), system=True),
    _rule(E.REOPEN, (S.RESOLVED,), (S.ROUTING, S.ASSIGNED, S.IN_PROGRESS), (R.WINDOW_CLERK, R.SUPERVISOR), (
        _REASON,
        ref("lead_department", help=_lazy("仅督办人员可改派")),
    ), system=True),
    _rule(E.CLOSE, (S.RESOLVED,), (S.CLOSED,), (R.WINDOW_CLERK, R.COORDINATOR, R.SUPERVISOR), (
        text("reason"),
        flag("override", help=_lazy("督办销号（须写明理由）")),
        refs("evidence", help=_lazy("证明材料（本案附件 id）")),
    )),
    # Deadlines (cases/sla.py): a department asks for more time before its deadline, a supervisor decides.
    _rule(E.EXTENSION_REQUEST, _IN_FLIGHT, (SAME,), (R.ASSIGNEE_STAFF,), (
        number("days", required=True, help=_lazy("申请延长的工作日数")),
        _REASON,
        ref("assignment", help=_lazy("申请部门的承办单；本部门只有一张时可不填")),
    )),
    _rule(E.EXTENSION_DECIDE, _IN_FLIGHT, (SAME,), (R.SUPERVISOR,), (
        flag("approve", required=True, help=_lazy("是：批准；否：不批准（须写明理由）")),
        text("note", help=_lazy("审批意见")),
        ref("extension", help=_lazy("延期申请；只有一件待审批时可不填")),
    )),
    # 否定答复报告: a supervisor confirms or overturns a "no" (not accepted, cannot be done, a withdrawal
    # after the deadline, a suspension beyond its limit). Overturned, the case goes back to where the
    # "no" took it from; confirmed, a "cannot be done" is resolved with that answer.
    _rule(E.REVIEW, (S.NOT_ACCEPTED, S.WITHDRAWN, S.REPLIED, S.SUSPENDED),
          (SAME, S.IN_PROGRESS, S.RESOLVED, S.REGISTERED, S.ROUTING, S.COORDINATING), (R.SUPERVISOR,), (
        choice("decision", ReviewDecision, required=True),
        text("instruction", help=_lazy("督办意见（纠正时必填）")),
        when("follow_up_due_at", help=_lazy("纠正不能办理时的预计办结日期")),
    )),
    # Supervision (supervision/): a supervisor's 催办 / 督办 on a case a department holds; no status change.
    # The same event kinds as the deadline ladder's steps, run by a person instead of the sweep.
    _rule(SweepEventKind.URGE, _IN_FLIGHT, (SAME,), (R.SUPERVISOR,), (_REASON,)),
    _rule(SweepEventKind.SUPERVISE, _IN_FLIGHT, (SAME,), (R.SUPERVISOR,), (
        _REASON,
        number("days", max_value=30, help=_lazy("督办期限（工作日）；不填按默认期限")),
    )),
]}
# fmt: on

COMMANDS: tuple[str, ...] = tuple(RULES)  # in loop order
CASE_COMMANDS: tuple[str, ...] = tuple(c for c in COMMANDS if c != E.INTAKE)


# The seeded reason recorded when a refusal names none (the list is editable; this code is kept).
OTHER_REASON = "other"


def pingpong_limit() -> int:
    return int(getattr(settings, "CASE_PINGPONG_LIMIT", 2))


# --- The command context ---------------------------------------------------------------------------


@dataclass
class Outcome:
    """What a command handler hands back to the engine, which writes the case and the event."""

    to_status: str
    reason: str = ""
    payload: dict[str, Any] = field(default_factory=dict)
    department: Department | None = None


@dataclass
class Context:
    """Everything a command sees: the locked case, the actor, their memberships and relations."""

    case: Case
    actor: Any
    memberships: list[Membership]
    current: list[Assignment]
    relations: frozenset[Relation]
    now: datetime
    changed: set[str] = field(default_factory=set)

    def set(self, **values) -> None:
        """Change case fields and remember them for ``save(update_fields=…)``."""
        for name, value in values.items():
            setattr(self.case, name, value)
            self.changed.add(name)

    def has(self, *relations: Relation) -> bool:
        return bool(self.relations.intersection(relations))

    @property
    def lead(self) -> Assignment | None:
        return next((a for a in self.current if a.role == AssignmentRole.LEAD), None)

    def staff_departments(self, *, heads_only: bool = False) -> set[int] | None:
        """Departments the actor works in (None = any: the superuser)."""
        if self.actor is not None and self.actor.is_superuser:
            return None
        roles = {StaffRole.DEPARTMENT_HEAD} if heads_only else {StaffRole.HANDLER, StaffRole.DEPARTMENT_HEAD}
        return {m.department_id for m in self.memberships if m.role in roles and m.department_id}

    def my_assignments(self, *, heads_only: bool = False) -> list[Assignment]:
        departments = self.staff_departments(heads_only=heads_only)
        return [a for a in self.current if departments is None or a.department_id in departments]

    def coordination_centre(self) -> Department | None:
        for m in self.memberships:
            if (
                m.role == StaffRole.COORDINATOR
                and m.department
                and self.case.region_path.startswith(m.region.path)
            ):
                return m.department
        return None


def _relations(
    case: Case, actor, memberships: list[Membership], current: list[Assignment]
) -> frozenset[Relation]:
    if actor is None:
        return frozenset({R.SYSTEM})
    if actor.is_superuser:
        return STAFF_RELATIONS
    relations: set[Relation] = set()
    assigned = {a.department_id for a in current}
    lead = next((a.department_id for a in current if a.role == AssignmentRole.LEAD), None)
    for m in memberships:
        path = m.region.path
        if m.role == StaffRole.CLERK:
            if m.window_id == case.window_id or (m.window_id is None and m.region_id == case.region_id):
                relations.add(R.WINDOW_CLERK)
        elif m.role == StaffRole.SUPERVISOR:
            if case.region_path.startswith(path) or case.handling_region_path.startswith(path):
                relations.add(R.SUPERVISOR)
            if case.region_path.startswith(path):
                relations.add(R.INTAKE_SUPERVISOR)
        elif m.role == StaffRole.COORDINATOR:
            if (
                m.department is not None
                and m.department.role == DepartmentRole.COORDINATOR
                and case.region_path.startswith(path)
            ):
                relations.add(R.COORDINATOR)
        elif m.role in (StaffRole.HANDLER, StaffRole.DEPARTMENT_HEAD) and m.department_id in assigned:
            head = m.role == StaffRole.DEPARTMENT_HEAD
            relations.add(R.ASSIGNEE_STAFF)
            if head:
                relations.add(R.ASSIGNEE_HEAD)
            if m.department_id == lead:
                relations.add(R.LEAD_STAFF)
                if head:
                    relations.add(R.LEAD_HEAD)
    return frozenset(relations)


def _memberships(actor) -> list[Membership]:
    if actor is None or actor.is_superuser:
        return []
    return list(Membership.objects.filter(user_id=actor.pk).select_related("region", "department"))


def _current_assignments(case: Case) -> list[Assignment]:
    return list(case.assignments.filter(is_current=True).select_related("department__region").order_by("id"))


def _context(case: Case, actor, now: datetime | None = None) -> Context:
    memberships = _memberships(actor)
    current = _current_assignments(case)
    return Context(
        case=case,
        actor=actor,
        memberships=memberships,
        current=current,
        relations=_relations(case, actor, memberships, current),
        now=now or timezone.now(),
    )


# --- Input helpers ---------------------------------------------------------------------------------


def _invalid(field_name: str, message: str) -> ValidationFailed:
    return ValidationFailed({field_name: [message]})


def _handling_department(case: Case, pk: int | None, key: str) -> Department:
    """An active handling department of the case's county (not a coordination centre)."""
    if pk is None:
        raise _invalid(key, _("该字段是必填项。"))
    department = Department.objects.select_related("region").filter(pk=pk).first()
    if (
        department is None
        or not department.is_active
        or department.role != DepartmentRole.HANDLING
        or not department.region.path.startswith(case.county_path)
    ):
        raise _invalid(key, _("请选择本县(市、区)内有效的承办部门。"))
    return department


# Active categories by (county code, id), their parents loaded (``Category.ancestors_and_self``): read on
# every intake and classification, changed by administrators now and then.
_categories = ReferenceCache("categories", Category, Region)


def _load_category(county: str, pk: int) -> Category | None:
    category = Category.objects.filter(pk=pk, county__code=county, is_active=True).first()
    if category is not None:
        category.ancestors_and_self()  # loads the parents once, before the row is shared
    return category


def _category(case_region_path: str, pk: int | None, key: str = "category") -> Category | None:
    """The active category ``pk`` of the case's county (cached per process, ``windowsvc.refcache``)."""
    if pk is None:
        return None
    county = county_code(case_region_path)
    category = _categories.get((county, pk), lambda: _load_category(county, pk))
    if category is None:
        raise _invalid(key, _("请选择本县(市、区)内有效的事项类别。"))
    return category


def default_lead_department(category: Category | None, region_path: str) -> Department | None:
    """The category's default lead department for a region (``default_lead_rule`` decides)."""
    if category is None:
        return None
    candidates = CategoryDefaultDepartment.objects.filter(
        category__in=category.ancestors_and_self(), region__path__in=path_prefixes(region_path)
    ).select_related("region", "department")
    rule = default_lead_rule(candidates, category, region_path)
    return rule.department if rule else None


def default_lead_rule(
    rules: Iterable[CategoryDefaultDepartment], category: Category, region_path: str
) -> CategoryDefaultDepartment | None:
    """Which of ``rules`` names the category's default lead department for a region: rules naming an
    inactive department do not count; the most specific region on the path wins; a category without a
    rule falls back to its parent's.

    Pure (``rules`` with their region and department loaded), so the callers that fetch differently share
    it: ``default_lead_department`` one case at a time, ``manage.py seed_cases`` once for a whole county.
    """
    on_path = set(path_prefixes(region_path))
    live = [r for r in rules if r.department.is_active and r.region.path in on_path]
    for node in category.ancestors_and_self():
        mine = [r for r in live if r.category_id == node.pk]
        if mine:
            return max(mine, key=lambda r: len(r.region.path))
    return None


# --- Assignment helpers ----------------------------------------------------------------------------


def _end(assignment: Assignment, status: str, now: datetime, **extra) -> None:
    assignment.status = status
    assignment.is_current = False
    assignment.ended_at = now
    for name, value in extra.items():
        setattr(assignment, name, value)
    assignment.save(update_fields=["status", "is_current", "ended_at", "updated_at", *extra])


def _finish_current(ctx: Context) -> None:
    """The case is resolved: signed assignments are completed, the ones never signed for cancelled."""
    for assignment in ctx.current:
        done = assignment.status == AssignmentStatus.ACCEPTED
        _end(assignment, AssignmentStatus.COMPLETED if done else AssignmentStatus.CANCELLED, ctx.now)
    ctx.current = []


def _cancel_current(ctx: Context, *, keep: Iterable[Assignment] = ()) -> None:
    kept = {a.pk for a in keep}
    for assignment in ctx.current:
        if assignment.pk not in kept:
            _end(assignment, AssignmentStatus.CANCELLED, ctx.now)
    ctx.current = [a for a in ctx.current if a.pk in kept]


def _create_assignment(
    ctx: Context, department: Department, role: str, origin: str, *, can_return: bool
) -> Assignment:
    # A department holds at most one current assignment per case: a department promoted from assisting to
    # lead gives its assisting assignment up first.
    for other in [a for a in ctx.current if a.department_id == department.pk]:
        _end(other, AssignmentStatus.CANCELLED, ctx.now)
        ctx.current.remove(other)
    assignment = Assignment.objects.create(
        case=ctx.case,
        department=department,
        role=role,
        origin=origin,
        can_return=can_return,
        assigned_by=ctx.actor,
    )
    # The department's access row (the visibility rule's copy, ``DepartmentCase``): written once, with the
    # department's first assignment on the case, in this transaction.
    DepartmentCase.objects.bulk_create(
        [DepartmentCase(department=department, case=ctx.case, taken_in_at=ctx.case.taken_in_at)],
        ignore_conflicts=True,
    )
    ctx.current.append(assignment)
    return assignment


def _route_to_lead(ctx: Context, department: Department) -> None:
    ctx.set(lead_department=department, handling_region_path=department.region.path)


def _route_to_window(ctx: Context) -> None:
    ctx.set(lead_department=None, handling_region_path=ctx.case.region_path)


def _route_to_centre(ctx: Context) -> None:
    ctx.set(lead_department=None, handling_region_path=ctx.case.county_path)


def _pick_assignment(ctx: Context, data: Mapping, *, heads_only: bool, statuses: Iterable[str]) -> Assignment:
    """The actor's current assignment the command is about: the given one, else the only candidate."""
    statuses = tuple(statuses)
    mine = ctx.my_assignments(heads_only=heads_only)
    wanted = data["assignment"]
    if wanted is not None:
        assignment = next((a for a in ctx.current if a.pk == wanted), None)
        if assignment is None:
            raise _invalid("assignment", _("该承办单不属于本案或已失效。"))
        if assignment not in mine:
            raise PermissionDenied(_("您不是该承办部门的人员。"))
    else:
        candidates = [a for a in mine if a.status in statuses] or mine
        if not candidates:
            raise PermissionDenied(_("您所在部门没有本案的有效承办单。"))
        leads = [a for a in candidates if a.role == AssignmentRole.LEAD]
        if len(candidates) > 1 and len(leads) != 1:
            raise _invalid("assignment", _("请指明承办单。"))
        assignment = leads[0] if len(candidates) > 1 else candidates[0]
    if assignment.status not in statuses:
        raise TransitionNotAllowed(
            _("该承办单当前状态为“%(status)s”，不能执行此操作。")
            % {"status": assignment.get_status_display()},
            current=ctx.case.status,
            allowed=allowed_commands_in(ctx),
        )
    return assignment


# --- Guards: refusals that depend on more than the status (409) ------------------------------------

Guard = Callable[[Context], str | None]


def _guard_accept(ctx: Context) -> str | None:
    if not any(a.status == AssignmentStatus.PENDING for a in ctx.my_assignments()):
        return _("没有待签收的承办单。")
    return None


def _guard_return(ctx: Context) -> str | None:
    mine = ctx.my_assignments(heads_only=True)
    if not any(a.can_return for a in mine):
        return _("该案件由协调中心或督办确定承办，不能退回。")
    return None


def _guard_move(ctx: Context) -> str | None:
    lead = ctx.lead
    if lead is None or not lead.can_return:
        return _("该案件由协调中心或督办确定承办，不能转办、上报或下派。")
    return None


def _guard_callback(ctx: Context) -> str | None:
    if ctx.case.callback_satisfaction:
        return _("本轮办结已回访。")
    return None


def _guard_reopen(ctx: Context) -> str | None:
    if ctx.case.callback_satisfaction != Satisfaction.UNSATISFIED and not ctx.has(R.SUPERVISOR):
        return _("回访不满意时方可重办（督办人员除外）。")
    return None


def _guard_close(ctx: Context) -> str | None:
    if ctx.case.callback_satisfaction not in CLOSING_SATISFACTION and not ctx.has(R.SUPERVISOR):
        return _("办结并回访满意或基本满意后方可销号（督办人员可说明理由后销号）。")
    return None


def _guard_assign(ctx: Context) -> str | None:
    # Once at the coordination centre, only the centre routes the case.
    if ctx.case.status == S.COORDINATING and not ctx.has(R.COORDINATOR):
        return _("该案件待协调中心处理。")
    return None


def _guard_extension_request(ctx: Context) -> str | None:
    # Listed only while one of the actor's signed assignments could ask: before its deadline, under the
    # caps (a department that has not signed for the case has taken on no deadline to extend).
    signed = [a for a in ctx.my_assignments() if a.status == AssignmentStatus.ACCEPTED]
    refusals = [sla.extension_blocker(ctx.case, a, now=ctx.now) for a in signed]
    if not refusals:
        return _("您所在部门没有已签收的承办单。")
    return None if None in refusals else refusals[0]


def _guard_extension_decide(ctx: Context) -> str | None:
    if not Extension.objects.filter(case=ctx.case, status=ExtensionStatus.REQUESTED).exists():
        return _("没有待审批的延期申请。")
    return None


def _guard_review(ctx: Context) -> str | None:
    if not ctx.case.needs_review:
        return _("没有待审核的否定答复。")
    return None


def _guard_not_in_review(ctx: Context) -> str | None:
    # A "cannot be done" answer waits for the supervisor: the department acts again after the decision.
    if ctx.case.needs_review and ctx.case.status == S.REPLIED:
        return _("不能办理的答复正待督办审核。")
    return None


def _guard_urge(ctx: Context) -> str | None:
    # Counted on the locked case, so two supervisors urging at once cannot both pass the last slot.
    limit = sla.urge_limit_per_day()
    midnight = timezone.localtime(ctx.now).replace(hour=0, minute=0, second=0, microsecond=0)
    sent = CaseEvent.objects.filter(
        case=ctx.case, kind=SweepEventKind.URGE, actor__isnull=False, created_at__gte=midnight
    ).count()
    if sent >= limit:
        return _("该案件今天已催办 %(count)d 次，已达每日上限；如需加强督促请督办。") % {"count": sent}
    return None


GUARDS: dict[str, Guard] = {
    SweepEventKind.URGE: _guard_urge,
    E.REVIEW: _guard_review,
    E.REPLY: _guard_not_in_review,
    E.RESOLVE: _guard_not_in_review,
    E.SUSPEND: _guard_not_in_review,
    E.ACCEPT: _guard_accept,
    E.RETURN: _guard_return,
    E.TRANSFER: _guard_move,
    E.ESCALATE: _guard_move,
    E.DELEGATE: _guard_move,
    E.CALLBACK: _guard_callback,
    E.REOPEN: _guard_reopen,
    E.CLOSE: _guard_close,
    E.ASSIGN: _guard_assign,
    E.EXTENSION_REQUEST: _guard_extension_request,
    E.EXTENSION_DECIDE: _guard_extension_decide,
}


# --- Command handlers ------------------------------------------------------------------------------


def _classification(data: Mapping, case_region_path: str) -> dict[str, Any]:
    """The classification fields given in ``data`` (already cleaned: which are required is the command's
    row), the category checked against the case's county; a field not given is left out."""
    values: dict[str, Any] = {k: data[k] for k in ("matter_kind", "complexity", "handling_mode") if data[k]}
    category = _category(case_region_path, data["category"])
    if category is not None:
        values["category"] = category
    if data["green_channel"] is not None:
        values["green_channel"] = data["green_channel"]
    return values


# --- Saying no is reported (否定答复报告) ---------------------------------------------------------------


def _reason(data: Mapping, key: str, purpose: str, *, default: str | None = None) -> Reason | None:
    """An active reason of a configurable list, by code (``default`` when none is given)."""
    code = data[key]
    if not code and default:
        # The fallback is kept even when an administrator emptied the list: a refusal is always counted.
        return Reason.objects.get_or_create(purpose=purpose, code=default, defaults={"label": _("其他")})[0]
    if not code:
        return None
    reason = Reason.objects.filter(purpose=purpose, code=code, is_active=True).first()
    if reason is None:
        raise _invalid(key, _("请从列表中选择理由。"))
    return reason


def _open_review(ctx: Context, kind: str, *, reason: Reason | None, explanation: str, basis: str = "",
                 department: Department | None = None) -> RefusalReview:  # fmt: skip
    """Put a "no" in the supervisors' review queue, with its own decision deadline (a swept clock)."""
    review = RefusalReview.objects.create(
        case=ctx.case,
        kind=kind,
        reason=reason,
        explanation=explanation,
        basis=basis,
        department=department,
        requested_by=ctx.actor,
        from_status=ctx.case.status,
        due_at=sla.working_days_after(ctx.now, sla.review_days(), ctx.case),
    )
    ctx.set(needs_review=True)
    return review


def _do_not_accept(ctx: Context, data: Mapping) -> Outcome:
    reason = _reason(data, "reason_code", ReasonPurpose.REFUSAL, default=OTHER_REASON)
    text = data["reason"]
    review = _open_review(ctx, ReviewKind.NOT_ACCEPTED, reason=reason, explanation=text)
    payload = events.not_accept(guidance=data["guidance"], reason_code=reason.code, review=review.pk)
    return Outcome(S.NOT_ACCEPTED, text, payload)


def _do_withdraw(ctx: Context, data: Mapping) -> Outcome:
    case = ctx.case
    deadline = case.deadline_in_force
    late = deadline is not None and ctx.now > deadline and not case.clock_settled
    text = data["reason"]
    review = None
    if late and not ctx.has(R.SUPERVISOR):
        # A withdrawal after the deadline needs the requester's own confirmation (or a supervisor), counts
        # as late, and is reviewed like every other "no".
        if not data["requester_confirmed"]:
            raise _invalid("requester_confirmed", _("已超过办理时限，撤回须经反映人确认或由督办人员批准。"))
        review = _open_review(ctx, ReviewKind.LATE_WITHDRAWAL, reason=None, explanation=text).pk
    _cancel_current(ctx)
    ctx.set(withdrawn_at=ctx.now)
    payload = events.withdraw(late=late, review=review, approved_by_supervisor=late and review is None)
    return Outcome(S.WITHDRAWN, text, payload)


def _do_classify(ctx: Context, data: Mapping) -> Outcome:
    values = _classification(data, ctx.case.region_path)
    values.setdefault("green_channel", ctx.case.green_channel)
    ctx.set(**values)
    # 协调办 / 特事特办 belong to the county coordination centre; everything else is routed by the window.
    if values["handling_mode"] in COORDINATION_MODES:
        _route_to_centre(ctx)
        to_status = S.COORDINATING
    else:
        to_status = S.ROUTING
    return Outcome(to_status, "", events.classification(values))


def _do_reclassify(ctx: Context, data: Mapping) -> Outcome:
    values = _classification(data, ctx.case.region_path)
    changes = {k: v for k, v in values.items() if getattr(ctx.case, k) != v}
    if not changes:
        raise _invalid("category", _("请至少修改一项分类。"))
    before = {k: getattr(ctx.case, k) for k in changes}
    ctx.set(**changes)
    return Outcome(
        ctx.case.status,
        data["reason"],
        events.reclassify(before=before, after=changes),
    )


def _acting_centre(ctx: Context) -> Department | None:
    return ctx.coordination_centre() if ctx.has(R.COORDINATOR) else None


def _do_assign(ctx: Context, data: Mapping) -> Outcome:
    case = ctx.case
    lead_pk = data["lead_department"]
    if lead_pk is None:
        default = default_lead_department(case.category, case.region_path)
        if default is None:
            raise _invalid("lead_department", _("该字段是必填项。"))
        lead_pk = default.pk
    lead = _handling_department(case, lead_pk, "lead_department")
    assisting = [
        _handling_department(case, pk, "assisting_departments") for pk in data["assisting_departments"]
    ]
    if lead in assisting:
        raise _invalid("assisting_departments", _("主办部门不能同时作为协办部门。"))
    # The window routes what it took in; the coordination centre's routing is final (no return).
    by_window = case.status == S.ROUTING and ctx.has(R.WINDOW_CLERK)
    _cancel_current(ctx)
    lead_assignment = _create_assignment(
        ctx, lead, AssignmentRole.LEAD, AssignmentOrigin.ASSIGN, can_return=by_window
    )
    for department in assisting:
        _create_assignment(
            ctx, department, AssignmentRole.ASSISTING, AssignmentOrigin.ASSIGN, can_return=by_window
        )
    _route_to_lead(ctx, lead)
    return Outcome(
        S.ASSIGNED,
        data["note"],
        events.assign(
            lead_department=lead.pk,
            assisting_departments=[d.pk for d in assisting],
            assignment=lead_assignment.pk,
            can_return=by_window,
        ),
        department=None if by_window else _acting_centre(ctx),
    )


def _do_accept(ctx: Context, data: Mapping) -> Outcome:
    assignment = _pick_assignment(ctx, data, heads_only=False, statuses=(AssignmentStatus.PENDING,))
    assignment.status = AssignmentStatus.ACCEPTED
    assignment.accepted_at = ctx.now
    assignment.accepted_by = ctx.actor
    assignment.save(update_fields=["status", "accepted_at", "accepted_by", "updated_at"])
    to_status = ctx.case.status
    if assignment.role == AssignmentRole.LEAD and ctx.case.status == S.ASSIGNED:
        to_status = S.IN_PROGRESS
    return Outcome(
        to_status,
        "",
        events.accept(assignment=assignment.pk, role=assignment.role),
        department=assignment.department,
    )


def _over_pingpong_limit(case: Case) -> bool:
    return case.bounce_count() > pingpong_limit()


def _do_return(ctx: Context, data: Mapping) -> Outcome:
    assignment = _pick_assignment(ctx, data, heads_only=True, statuses=CURRENT_ASSIGNMENT_STATUSES)
    if not assignment.can_return:
        raise TransitionNotAllowed(
            _("该案件由协调中心或督办确定承办，不能退回。"),
            current=ctx.case.status,
            allowed=allowed_commands_in(ctx),
        )
    reason = data["reason"]
    _end(assignment, AssignmentStatus.RETURNED, ctx.now, returned_reason=reason)
    ctx.current.remove(assignment)
    if assignment.role == AssignmentRole.ASSISTING:
        # An assisting department stepping out does not move the case; it counts against that department.
        payload = events.return_(assignment=assignment.pk, role=assignment.role)
        return Outcome(ctx.case.status, reason, payload, department=assignment.department)
    ctx.set(return_count=ctx.case.return_count + 1)
    _cancel_current(ctx)
    guard = _over_pingpong_limit(ctx.case)
    payload = events.return_(assignment=assignment.pk, role=assignment.role, pingpong_guard=guard)
    if guard or ctx.case.handling_mode in COORDINATION_MODES:
        _route_to_centre(ctx)
        to_status = S.COORDINATING
    else:
        _route_to_window(ctx)
        to_status = S.ROUTING
    return Outcome(to_status, reason, payload, department=assignment.department)


def _move_target(ctx: Context, command: str, data: Mapping) -> Department:
    lead = ctx.lead
    target = _handling_department(ctx.case, data["department"], "department")
    here = lead.department.region
    if target.pk == lead.department_id:
        raise _invalid("department", _("不能转给本部门。"))
    if command == E.ESCALATE and target.region_id != here.parent_id:
        raise _invalid("department", _("上报应选择上一级区划的部门。"))
    if command == E.DELEGATE and target.region.parent_id != here.pk:
        raise _invalid("department", _("下派应选择下一级区划的部门。"))
    return target


def _do_move(command: str) -> Callable[[Context, Mapping], Outcome]:
    """transfer (转办), escalate (上报) and delegate (下派): the lead hands the case to another department."""

    def handler(ctx: Context, data: Mapping) -> Outcome:
        target = _move_target(ctx, command, data)
        lead = ctx.lead
        reason = data["reason"]
        _end(lead, AssignmentStatus.TRANSFERRED, ctx.now)
        ctx.current.remove(lead)
        ctx.set(transfer_count=ctx.case.transfer_count + 1)
        if _over_pingpong_limit(ctx.case):
            # 推诿扯皮: the case has bounced too often; the coordination centre names who must do it.
            _cancel_current(ctx)
            _route_to_centre(ctx)
            payload = events.move(from_assignment=lead.pk, requested_department=target.pk, assignment=None)
            return Outcome(S.COORDINATING, reason, payload, department=lead.department)
        new = _create_assignment(ctx, target, AssignmentRole.LEAD, AssignmentOrigin(command), can_return=True)
        _route_to_lead(ctx, target)
        payload = events.move(from_assignment=lead.pk, requested_department=target.pk, assignment=new.pk)
        return Outcome(S.ASSIGNED, reason, payload, department=lead.department)

    return handler


def _do_coordinate(ctx: Context, data: Mapping) -> Outcome:
    case = ctx.case
    lead = _handling_department(case, data["lead_department"], "lead_department")
    assisting = [
        _handling_department(case, pk, "assisting_departments") for pk in data["assisting_departments"]
    ]
    if lead in assisting:
        raise _invalid("assisting_departments", _("主办部门不能同时作为协办部门。"))
    participants = [_handling_department(case, pk, "participants") for pk in data["participants"]]
    mode = data["handling_mode"]
    if not mode:
        mode = case.handling_mode if case.handling_mode in COORDINATION_MODES else HandlingMode.COORDINATED
    held_at = data["held_at"] or ctx.now
    decisions = data["decisions"]
    meeting = CoordinationMeeting.objects.create(
        case=case, decisions=decisions, lead_department=lead, held_at=held_at, convened_by=ctx.actor
    )
    meeting.departments.set({lead, *assisting, *participants})
    # The meeting's decision replaces the routing: the named departments sign for fresh assignments they
    # can no longer return.
    _cancel_current(ctx)
    lead_assignment = _create_assignment(
        ctx, lead, AssignmentRole.LEAD, AssignmentOrigin.COORDINATE, can_return=False
    )
    for department in assisting:
        _create_assignment(
            ctx, department, AssignmentRole.ASSISTING, AssignmentOrigin.COORDINATE, can_return=False
        )
    ctx.set(handling_mode=mode, status_before_suspend="")
    _route_to_lead(ctx, lead)
    return Outcome(
        S.ASSIGNED,
        decisions,
        events.coordinate(
            meeting=meeting.pk,
            lead_department=lead.pk,
            assisting_departments=[d.pk for d in assisting],
            assignment=lead_assignment.pk,
            handling_mode=mode,
        ),
        department=ctx.coordination_centre(),
    )


def _do_reassign(ctx: Context, data: Mapping) -> Outcome:
    target = _handling_department(ctx.case, data["lead_department"], "lead_department")
    old = ctx.lead
    if old is not None and old.department_id == target.pk:
        raise _invalid("lead_department", _("新的主办部门与当前相同。"))
    if old is not None:
        _end(old, AssignmentStatus.CANCELLED, ctx.now)
        ctx.current.remove(old)
    new = _create_assignment(ctx, target, AssignmentRole.LEAD, AssignmentOrigin.REASSIGN, can_return=False)
    _route_to_lead(ctx, target)
    ctx.set(status_before_suspend="", suspended_at=None, suspended_until=None)
    return Outcome(
        S.ASSIGNED,
        data["reason"],
        events.reassign(
            from_department=old.department_id if old else None, lead_department=target.pk, assignment=new.pk
        ),
    )


def _acting_department(ctx: Context) -> Department | None:
    mine = ctx.my_assignments()
    if ctx.actor is None or ctx.actor.is_superuser or not mine:
        return None
    lead = [a for a in mine if a.role == AssignmentRole.LEAD]
    return (lead or mine)[0].department


def _do_note(ctx: Context, data: Mapping) -> Outcome:
    contacted = data["contacted_requester"]
    if contacted and ctx.case.first_contacted_at is None:
        ctx.set(first_contacted_at=ctx.now)
    return Outcome(
        ctx.case.status,
        data["text"],
        events.note(contacted_requester=contacted),
        department=_acting_department(ctx) if ctx.has(R.ASSIGNEE_STAFF) else None,
    )


def _lead_department(ctx: Context) -> Department | None:
    return ctx.lead.department if ctx.lead else None


def _do_suspend(ctx: Context, data: Mapping) -> Outcome:
    """挂起 with a reason from the list, for ``days`` working days (default ``CASE_SUSPENSION_DAYS``);
    longer than ``CASE_SUSPENSION_MAX_DAYS`` goes to a supervisor's review (approve or cut it short)."""
    reason = _reason(data, "reason_code", ReasonPurpose.SUSPENSION)
    days = data["days"] or sla.suspension_days()
    until = sla.working_days_after(ctx.now, days, ctx.case)
    ctx.set(status_before_suspend=ctx.case.status, suspended_at=ctx.now, suspended_until=until)
    text = data["reason"]
    department = _lead_department(ctx)
    review = None
    if days > sla.suspension_max_days():
        review = _open_review(
            ctx, ReviewKind.LONG_SUSPENSION, reason=reason, explanation=text, department=department
        ).pk
    payload = events.suspend(reason_code=reason.code, days=days, suspended_until=until, review=review)
    return Outcome(S.SUSPENDED, text, payload, department=department)


def _do_resume(ctx: Context, data: Mapping) -> Outcome:
    back = ctx.case.status_before_suspend or S.IN_PROGRESS
    suspended_at = ctx.case.suspended_at
    ctx.set(status_before_suspend="", suspended_at=None, suspended_until=None)
    payload = events.resume(suspended_at=suspended_at)
    department = _lead_department(ctx) if ctx.has(R.LEAD_STAFF) else None
    return Outcome(back, data["reason"], payload, department=department)


def _follow_up_date(ctx: Context, data: Mapping, key: str = "follow_up_due_at") -> datetime | None:
    """A new expected date in the future: a date means close of business that day on the case's calendar."""
    value = data[key]
    if value is None:
        return None
    if not isinstance(value, datetime):
        calendar = sla.calendar_for(ctx.case)
        value = datetime.combine(value, calendar.close, tzinfo=calendar.tz)
    if value <= ctx.now:
        raise _invalid(key, _("预计办结日期应晚于现在。"))
    return value


def _do_reply(ctx: Context, data: Mapping) -> Outcome:
    """答复. A "cannot be done yet" answer (``can_be_done`` false) carries either the new expected date
    (``follow_up_due_at``: the follow-up clock then runs against it until the case is resolved), or
    ``cannot_be_done`` with a reason from the list and its legal or policy basis, which puts the case in
    the supervisors' review queue (否定答复报告)."""
    can_be_done = data["can_be_done"]
    case = ctx.case
    if case.replied_at is None:
        ctx.set(replied_at=ctx.now)
    answer = data["answer"]
    department = _lead_department(ctx)
    new_date = review = reason_code = None
    if not can_be_done:
        follow_up = _follow_up_date(ctx, data)
        cannot = data["cannot_be_done"]
        if follow_up is not None and cannot:
            raise _invalid("follow_up_due_at", _("不能办理的答复无需预计办结日期。"))
        if follow_up is not None:
            if case.follow_up_due_at is not None:
                raise _invalid("follow_up_due_at", _("本轮已给出预计办结日期；如需更多时间请申请延期。"))
            # A far date would take the case out of every month's ranking until then: beyond the limit, a
            # department asks for an extension, which a supervisor decides.
            latest = sla.working_days_after(ctx.now, sla.follow_up_max_days(), case)
            if follow_up > latest:
                raise _invalid(
                    "follow_up_due_at",
                    _("预计办结日期最迟为 %(date)s（%(days)s 个工作日内）；更长时间请申请延期。")
                    % {
                        "date": timezone.localtime(latest).date().isoformat(),
                        "days": sla.follow_up_max_days(),
                    },
                )
            ctx.set(follow_up_due_at=follow_up)
            new_date = follow_up
        elif cannot:
            # "Cannot be done" replaces an earlier new date: the clock stops until the supervisor decides.
            if case.follow_up_due_at is not None:
                ctx.set(follow_up_due_at=None)
            reason = _reason(data, "reason_code", ReasonPurpose.REFUSAL)
            basis = data["basis"]
            errors = {}
            if reason is None:
                errors["reason_code"] = [_("请从列表中选择理由。")]
            if not basis:
                errors["basis"] = [_("请写明法律或政策依据。")]
            if errors:
                raise ValidationFailed(errors)
            review = _open_review(
                ctx,
                ReviewKind.CANNOT_BE_DONE,
                reason=reason,
                explanation=answer,
                basis=basis,
                department=department,
            ).pk
            reason_code = reason.code
        else:
            raise _invalid(
                "follow_up_due_at", _("暂不能办理的答复须给出预计办结日期，或说明不能办理的理由和依据。")
            )
    payload = events.reply(
        can_be_done=can_be_done,
        follow_up_due_at=new_date,
        cannot_be_done=review is not None,
        reason_code=reason_code,
        review=review,
    )
    return Outcome(S.REPLIED, answer, payload, department=department)


def _do_review(ctx: Context, data: Mapping) -> Outcome:
    """否定答复审核 by a supervisor: ``decision`` confirm or overturn (``instruction`` required to overturn).

    Confirming a "cannot be done" resolves the case with that answer (callback and closure follow);
    overturning it sends the case back to the lead with the supervisor's instruction and a new date.
    Overturning a refusal or a late withdrawal puts the case back into routing (the window is told);
    overturning a long suspension cuts it to the longest allowed.
    """
    case = ctx.case
    review = RefusalReview.objects.select_for_update().filter(case=case, status=ReviewStatus.PENDING).first()
    if review is None:
        raise TransitionNotAllowed(_("没有待审核的否定答复。"), current=case.status, allowed=[])
    decision = data["decision"]
    instruction = data["instruction"]
    overturn = decision == ReviewDecision.OVERTURN
    if overturn and not instruction:
        raise _invalid("instruction", _("纠正时请写明督办意见。"))
    follow_up = _follow_up_date(ctx, data) if overturn and review.kind == ReviewKind.CANNOT_BE_DONE else None
    review.status = ReviewStatus.OVERTURNED if overturn else ReviewStatus.CONFIRMED
    review.decided_by = ctx.actor
    review.decided_at = ctx.now
    review.instruction = instruction
    review.save(update_fields=["status", "decided_by", "decided_at", "instruction", "updated_at"])
    ctx.set(needs_review=False)
    new_date = shortened = None
    to_status = case.status
    if review.kind == ReviewKind.CANNOT_BE_DONE:
        if overturn:
            follow_up = follow_up or sla.working_days_after(
                ctx.now, sla.limits_for(case)[0].completion_days, case
            )
            ctx.set(follow_up_due_at=follow_up)
            new_date = follow_up
            to_status = S.IN_PROGRESS
        else:
            _finish_current(ctx)
            ctx.set(resolution_summary=review.explanation, resolved_at=ctx.now)
            to_status = S.RESOLVED
    elif review.kind in (ReviewKind.NOT_ACCEPTED, ReviewKind.LATE_WITHDRAWAL) and overturn:
        ctx.set(withdrawn_at=None)
        classified = case.category_id is not None and bool(case.handling_mode)
        if classified and case.handling_mode in COORDINATION_MODES:
            _route_to_centre(ctx)
            to_status = S.COORDINATING
        else:
            _route_to_window(ctx)
            to_status = S.ROUTING if classified else S.REGISTERED
    elif review.kind == ReviewKind.LONG_SUSPENSION and overturn:
        until = sla.working_days_after(case.suspended_at or ctx.now, sla.suspension_max_days(), case)
        shortened = max(until, ctx.now)
        ctx.set(suspended_until=shortened)
    payload = events.review(
        review=review.pk,
        kind=review.kind,
        decision=decision,
        follow_up_due_at=new_date,
        suspended_until=shortened,
    )
    return Outcome(to_status, instruction, payload)


# Whether a pending review still has something to decide once the case is in a status (else it lapses).
_REVIEW_STANDS = {
    ReviewKind.NOT_ACCEPTED: S.NOT_ACCEPTED,
    ReviewKind.LATE_WITHDRAWAL: S.WITHDRAWN,
    ReviewKind.CANNOT_BE_DONE: S.REPLIED,
    ReviewKind.LONG_SUSPENSION: S.SUSPENDED,
}


def _lapse_moot_requests(ctx: Context, to_status: str) -> None:
    """A case that moved on leaves nothing to decide: a pending review whose "no" no longer stands, and a
    pending extension request once its case left handling or its assignment ended, lapse (so no clock
    keeps asking a supervisor for a decision nobody can take)."""
    pending = Extension.objects.filter(case=ctx.case, status=ExtensionStatus.REQUESTED)
    if to_status in _IN_FLIGHT:
        pending = pending.exclude(assignment_id__in=[a.pk for a in ctx.current])
    pending.update(status=ExtensionStatus.LAPSED, decided_at=ctx.now, updated_at=ctx.now)
    if not ctx.case.needs_review:
        return
    review = RefusalReview.objects.filter(case=ctx.case, status=ReviewStatus.PENDING).first()
    if review is not None and _REVIEW_STANDS[review.kind] != to_status:
        review.status = ReviewStatus.LAPSED
        review.decided_at = ctx.now
        review.save(update_fields=["status", "decided_at", "updated_at"])
        ctx.set(needs_review=False)
        if review.kind == ReviewKind.CANNOT_BE_DONE:
            # The case was routed on (coordination, reassignment …): the "no" no longer stands, so the
            # clock runs again against the completion deadline; the late answer earns nothing.
            ctx.set(reasoned_reply_at=None)


def _check_evidence(ctx: Context, evidence) -> None:
    """Evidence (办结, 销号) must be attachments of this very case."""
    if evidence:
        found = set(
            CaseAttachment.objects.filter(case=ctx.case, pk__in=evidence).values_list("pk", flat=True)
        )
        if found != set(evidence):
            raise _invalid("evidence", _("证明材料应为本案的附件。"))


def _do_resolve(ctx: Context, data: Mapping) -> Outcome:
    evidence = data["evidence"]
    _check_evidence(ctx, evidence)
    department = _lead_department(ctx)
    _finish_current(ctx)
    summary = data["summary"]
    ctx.set(resolution_summary=summary, resolved_at=ctx.now)
    return Outcome(S.RESOLVED, summary, events.resolve(evidence=evidence), department=department)


def _do_callback(ctx: Context, data: Mapping) -> Outcome:
    satisfaction = data["satisfaction"]
    comment = data["comment"]
    if satisfaction == Satisfaction.UNSATISFIED and not comment:
        raise _invalid("comment", _("不满意时请记录原因。"))
    ctx.set(
        callback_satisfaction=satisfaction,
        callback_comment=comment,
        callback_at=ctx.now,
        callback_by=ctx.actor,
    )
    return Outcome(ctx.case.status, comment, events.callback(satisfaction=satisfaction))


def _do_reopen(ctx: Context, data: Mapping) -> Outcome:
    case = ctx.case
    requested = data["lead_department"]
    if requested is not None and not ctx.has(R.SUPERVISOR):
        raise PermissionDenied(_("只有督办人员可以改派重办的主办部门。"))
    satisfaction = case.callback_satisfaction
    ctx.set(
        reopen_count=case.reopen_count + 1,
        callback_satisfaction="",
        callback_comment="",
        callback_at=None,
        callback_by=None,
        replied_at=None,
        resolved_at=None,
    )
    target = (
        _handling_department(case, requested, "lead_department")
        if requested is not None
        else case.lead_department
    )
    if target is None:
        # Resolved at the window (即办) and never routed: the window routes the redo.
        _route_to_window(ctx)
        return Outcome(S.ROUTING, data["reason"], events.reopen(satisfaction=satisfaction))
    same_lead = target.pk == case.lead_department_id
    # 重办 goes to the same lead (or the supervisor's choice), which may not hand the redo back.
    new = _create_assignment(ctx, target, AssignmentRole.LEAD, AssignmentOrigin.REOPEN, can_return=False)
    _route_to_lead(ctx, target)
    payload = events.reopen(satisfaction=satisfaction, lead_department=target.pk, assignment=new.pk)
    if same_lead:
        # The same lead signed for this case before: a redo is an order to it, not a new routing, so it
        # goes straight back to handling (no second sign-for; the department is told by notification).
        new.status = AssignmentStatus.ACCEPTED
        new.accepted_at = ctx.now
        new.save(update_fields=["status", "accepted_at", "updated_at"])
        return Outcome(S.IN_PROGRESS, data["reason"], payload)
    return Outcome(S.ASSIGNED, data["reason"], payload)


def _do_close(ctx: Context, data: Mapping) -> Outcome:
    reason = data["reason"]
    satisfied = ctx.case.callback_satisfaction in CLOSING_SATISFACTION
    override = data["override"] or not satisfied
    if override:
        if not ctx.has(R.SUPERVISOR):
            raise PermissionDenied(_("只有督办人员可以不经满意回访直接销号。"))
        if not reason:
            raise _invalid("reason", _("督办销号须写明理由。"))
    _check_evidence(ctx, data["evidence"])
    ctx.set(closed_at=ctx.now)
    return Outcome(
        S.CLOSED,
        reason,
        events.close(
            override=override, satisfaction=ctx.case.callback_satisfaction, evidence=data["evidence"]
        ),
    )


def _do_extension_request(ctx: Context, data: Mapping) -> Outcome:
    """延期申请 by a department with a signed assignment, before its deadline (cases/sla.py): the lead's
    request is about the case's completion deadline, an assisting department's about its own."""
    assignment = _pick_assignment(ctx, data, heads_only=False, statuses=(AssignmentStatus.ACCEPTED,))
    refusal = sla.extension_blocker(ctx.case, assignment, now=ctx.now)
    if refusal:
        raise TransitionNotAllowed(refusal, current=ctx.case.status, allowed=allowed_commands_in(ctx))
    days = data["days"]
    room = sla.extension_room(ctx.case, assignment)
    if days > room:
        raise _invalid("days", _("最多还可延长 %(days)s 个工作日。") % {"days": room})
    reason = data["reason"]
    extension = Extension.objects.create(
        case=ctx.case,
        assignment=assignment,
        applies_to_case=assignment.role == AssignmentRole.LEAD,
        department=assignment.department,
        requested_by=ctx.actor,
        reason=reason,
        days=days,
        due_before=sla.extension_target_due(ctx.case, assignment),
    )
    payload = events.extension_request(
        extension=extension.pk,
        assignment=assignment.pk,
        days=days,
        applies_to_case=extension.applies_to_case,
        due_before=extension.due_before,
    )
    return Outcome(ctx.case.status, reason, payload, department=assignment.department)


def _do_extension_decide(ctx: Context, data: Mapping) -> Outcome:
    """延期审批 by a supervisor: approval moves only the due time(s); who asked is told either way
    (``notices.on_extension_decided``, its entry in ``notices.NOTICES``)."""
    pending = list(
        Extension.objects.select_for_update()
        .filter(case=ctx.case, status=ExtensionStatus.REQUESTED)
        .select_related("case")
        .order_by("id")
    )
    wanted = data["extension"]
    if wanted is not None:
        extension = next((x for x in pending if x.pk == wanted), None)
        if extension is None:
            raise _invalid("extension", _("该延期申请不存在或已处理。"))
    elif len(pending) == 1:
        extension = pending[0]
    else:
        raise _invalid("extension", _("请指明延期申请。"))
    approve = data["approve"]
    note = data["note"]
    if not approve and not note:
        raise _invalid("note", _("不批准时请写明理由。"))
    extension.case = ctx.case  # the locked instance: the approval changes its deadline
    extension.status = ExtensionStatus.APPROVED if approve else ExtensionStatus.REFUSED
    extension.decided_by = ctx.actor
    extension.decided_at = ctx.now
    extension.decision_note = note
    if approve:
        extension.due_after = sla.extension_apply(extension, now=ctx.now, current=ctx.current)
    extension.save(
        update_fields=["status", "decided_by", "decided_at", "decision_note", "due_after", "updated_at"]
    )
    payload = events.extension_decide(
        extension=extension.pk,
        approved=approve,
        days=extension.days,
        due_before=extension.due_before,
        due_after=extension.due_after,
    )
    return Outcome(ctx.case.status, note, payload)


def _supervisor_order(ctx: Context, data: Mapping, *, days: int | None = None,
                      due_at: datetime | None = None) -> Outcome:  # fmt: skip
    """The event of a supervisor's 催办 / 督办 (the status stays): the reason, addressed to the department
    holding the case; one payload (``events.supervisor_order``), so every way of running them (case page
    and API, supervision pages and API, a ticked or a department's set) records the same event."""
    department = _lead_department(ctx)
    payload = events.supervisor_order(
        lead_department=department.pk if department else None, days=days, due_at=due_at
    )
    return Outcome(ctx.case.status, data["reason"], payload, department=department)


def _do_urge(ctx: Context, data: Mapping) -> Outcome:
    """催办 by a supervisor: a reminder to the department holding the case."""
    return _supervisor_order(ctx, data)


def _do_supervise(ctx: Context, data: Mapping) -> Outcome:
    """督办 by a supervisor: a formal order with its own deadline, ``days`` working days from now (default
    ``CASE_SUPERVISION_DAYS``), recorded in the event."""
    days = data["days"] or sla.supervision_days()
    due = d_supervision_deadline(ctx.now, days, calendar=sla.calendar_for(ctx.case))
    return _supervisor_order(ctx, data, days=days, due_at=due)


HANDLERS: dict[str, Callable[[Context, Mapping], Outcome]] = {
    E.NOT_ACCEPT: _do_not_accept,
    E.WITHDRAW: _do_withdraw,
    E.CLASSIFY: _do_classify,
    E.RECLASSIFY: _do_reclassify,
    E.ASSIGN: _do_assign,
    E.ACCEPT: _do_accept,
    E.RETURN: _do_return,
    E.TRANSFER: _do_move(E.TRANSFER),
    E.ESCALATE: _do_move(E.ESCALATE),
    E.DELEGATE: _do_move(E.DELEGATE),
    E.COORDINATE: _do_coordinate,
    E.REASSIGN: _do_reassign,
    E.NOTE: _do_note,
    E.SUSPEND: _do_suspend,
    E.RESUME: _do_resume,
    E.REPLY: _do_reply,
    E.RESOLVE: _do_resolve,
    E.CALLBACK: _do_callback,
    E.REOPEN: _do_reopen,
    E.CLOSE: _do_close,
    E.EXTENSION_REQUEST: _do_extension_request,
    E.EXTENSION_DECIDE: _do_extension_decide,
    E.REVIEW: _do_review,
    SweepEventKind.URGE: _do_urge,
    SweepEventKind.SUPERVISE: _do_supervise,
}


# --- Which commands an actor may run now -----------------------------------------------------------


def _permitted(rule: Rule, ctx: Context) -> bool:
    if R.SYSTEM in ctx.relations:
        return rule.system
    return bool(rule.relations & ctx.relations)


def allowed_commands_in(ctx: Context) -> list[str]:
    result = []
    for name in CASE_COMMANDS:
        rule = RULES[name]
        if ctx.case.status not in rule.sources or not _permitted(rule, ctx):
            continue
        guard = GUARDS.get(name)
        if guard is not None and guard(ctx) is not None:
            continue
        result.append(name)
    return result


def allowed_commands(case: Case, user) -> list[str]:
    """The commands ``user`` may run on ``case`` now (buttons); empty when the case is not visible."""
    if user is not None and not Case.objects.visible_to(user).filter(pk=case.pk).exists():
        return []
    return allowed_commands_in(_context(case, user))


# --- The engine ------------------------------------------------------------------------------------


def _lock(case_id: int, actor) -> Case:
    queryset = Case.objects.all() if actor is None else Case.objects.visible_to(actor)
    try:
        pk = int(case_id)
    except (TypeError, ValueError):
        raise NotFound(_("未找到该案件。")) from None
    case = queryset.select_for_update(of=("self",)).filter(pk=pk).first()
    if case is None:
        raise NotFound(_("未找到该案件。"))
    return case


def _keep_clocks(ctx: Context, rule: Rule, outcome: Outcome) -> None:
    """Deadlines follow every command (``cases.sla.command_applied``): computed again on classification,
    paused and resumed with suspensions, started for new assignments, re-armed for the sweep."""
    sla.command_applied(
        ctx.case,
        ctx.current,
        command=rule.command,
        to_status=outcome.to_status,
        now=ctx.now,
        payload=outcome.payload,
    )
    ctx.changed.update(sla.CASE_CLOCK_FIELDS)


@dataclass
class SweepStep:
    """One step of the deadline ladder to record on a case (``record_sweep_events``)."""

    case: Case
    kind: str
    reason: str = ""
    payload: dict[str, Any] | None = None
    department_id: int | None = None


def record_sweep_events(
    steps: list[SweepStep], *, now: datetime, update_fields: Iterable[str] = ()
) -> list[CaseEvent]:
    """Append steps of the deadline ladder (``cases.sweep``, a batch at a time): not commands, the status
    stays. Returns the events in the order of ``steps``.

    The caller holds every step's case row locked (``SELECT … FOR UPDATE``) in its transaction. Like a
    command, each step bumps its case's ``version`` and writes exactly one event, by the system (actor
    None), so ``version`` still counts the case's events; several steps of one case (one ``Case`` instance)
    are numbered in their order. Set-based: the cases are saved (``version``, ``updated_at`` and
    ``update_fields``) with one statement, the events inserted with one (``CaseEventQuerySet.bulk_create``
    chains them, the previous hashes read in one query), and the effects run once for the batch
    (``effects.events_recorded``).
    """
    for step in steps:
        if step.kind not in SWEEP_EVENT_KINDS:
            raise ValueError(f"{step.kind!r} is not a sweep event")
    if not steps:
        return []
    saved_at = timezone.now()
    rows = []
    for step in steps:
        case = step.case
        case.version += 1
        case.updated_at = saved_at
        rows.append(
            CaseEvent(
                case=case,
                sequence=case.version,
                kind=step.kind,
                actor=None,
                department_id=step.department_id,
                from_status=case.status,
                to_status=case.status,
                reason=step.reason,
                payload=step.payload or {},
                is_public=False,
                created_at=now,
            )
        )
    cases = list({id(step.case): step.case for step in steps}.values())
    bulk_set(Case, cases, sorted({*update_fields, "version", "updated_at"}))
    created = CaseEvent.objects.bulk_create(rows)
    effects.events_recorded(created)
    logger.info("deadline sweep: %s ladder step(s) recorded on %s case(s)", len(created), len(cases))
    return created


def _write_event(ctx: Context, rule: Rule, from_status: str, outcome: Outcome) -> CaseEvent:
    """Save the changed case fields with the bumped version, then append the command's one event."""
    case = ctx.case
    ctx.set(status=outcome.to_status, version=case.version + 1)
    case.save(update_fields=sorted(ctx.changed | {"updated_at"}))
    return _append_event(ctx, rule, from_status, outcome)


def _append_event(ctx: Context, rule: Rule, from_status: str, outcome: Outcome) -> CaseEvent:
    case = ctx.case
    event = CaseEvent.objects.create(
        case=case,
        sequence=case.version,
        kind=rule.command,
        actor=ctx.actor,
        department=outcome.department,
        from_status=from_status,
        to_status=outcome.to_status,
        reason=outcome.reason,
        payload=outcome.payload,
        is_public=rule.is_public,
        created_at=ctx.now,
    )
    effects.event_recorded(event)
    logger.info(
        "case %s: %s by user %s (%s → %s)",
        case.tracking_number,
        rule.command,
        getattr(ctx.actor, "pk", None),
        from_status or "-",
        outcome.to_status,
    )
    return event


def run(
    case_id: int | None,
    command: str,
    actor,
    data: Mapping | None = None,
    *,
    expected_version: int | None = None,
) -> CaseEvent:
    """Run one command on one case in one transaction and return its event (see the module docstring).

    ``case_id`` is None for ``intake``. ``expected_version`` (optional) refuses the command with
    ``TransitionNotAllowed`` when the case changed since the caller read it.
    """
    data = data or {}
    rule = RULES.get(str(command))
    if rule is None:
        raise _invalid("command", _("未知的操作。"))
    if actor is not None and not (actor.is_authenticated and actor.is_active):
        raise PermissionDenied(_("请先登录。"))
    if expected_version is not None:
        expected_version = clean_value(EXPECTED_VERSION, expected_version)
    if rule.command == E.INTAKE:
        return _intake(rule, actor, clean_inputs(rule.inputs, data))()
    with transaction.atomic():
        case = _lock(case_id, actor)
        ctx = _context(case, actor)
        if expected_version is not None and expected_version != case.version:
            raise TransitionNotAllowed(
                _("案件已被他人更新，请刷新后重试。"), current=case.status, allowed=allowed_commands_in(ctx)
            )
        if case.status not in rule.sources:
            raise TransitionNotAllowed(
                _("案件当前状态为“%(status)s”，不能执行“%(command)s”。")
                % {"status": case.get_status_display(), "command": rule.command.label},
                current=case.status,
                allowed=allowed_commands_in(ctx),
            )
        if not _permitted(rule, ctx):
            raise PermissionDenied(_("您无权对该案件执行“%(command)s”。") % {"command": rule.command.label})
        guard = GUARDS.get(rule.command)
        refusal = guard(ctx) if guard else None
        if refusal:
            raise TransitionNotAllowed(refusal, current=case.status, allowed=allowed_commands_in(ctx))
        from_status = case.status
        outcome = HANDLERS[rule.command](ctx, clean_inputs(rule.inputs, data))
        if not rule.leads_to(from_status, outcome.to_status):
            # A handler may not take a case where its row does not say it goes.
            raise AssertionError(f"{rule.command}: {from_status} → {outcome.to_status} is not in RULES")
        _lapse_moot_requests(ctx, outcome.to_status)
        _keep_clocks(ctx, rule, outcome)
        return _write_event(ctx, rule, from_status, outcome)


# --- Intake ----------------------------------------------------------------------------------------

_REQUESTER_FIELDS = ("kind", "name", "contact_name", "phone", "id_number", "credit_code", "address")


def _requester(data: Mapping) -> Requester:
    raw = data.get("requester")
    if isinstance(raw, Requester):
        raw = {name: getattr(raw, name) for name in _REQUESTER_FIELDS}
    if not isinstance(raw, Mapping):
        raise _invalid("requester", _("请填写反映人信息。"))
    values = {}
    for name in _REQUESTER_FIELDS:
        value = raw.get(name, "")
        values[name] = value.strip() if isinstance(value, str) else ("" if value is None else value)
    values["phone"] = normalize_phone(values["phone"])
    values["id_number"] = normalize_id_number(values["id_number"])
    values["credit_code"] = normalize_credit_code(values["credit_code"])
    requester = Requester(**values)
    errors: dict[str, list[str]] = {}
    try:
        requester.full_clean(validate_constraints=False)
    except DjangoValidationError as exc:
        errors = {f"requester.{k}": [str(m) for m in v] for k, v in exc.message_dict.items()}
    if requester.kind == RequesterKind.ENTERPRISE:
        if not requester.credit_code:
            errors.setdefault("requester.credit_code", []).append(_("企业须填写统一社会信用代码。"))
        if requester.id_number:
            errors.setdefault("requester.id_number", []).append(
                _("企业请填写统一社会信用代码，无需身份证号码。")
            )
    elif requester.kind == RequesterKind.PERSON and requester.credit_code:
        errors.setdefault("requester.credit_code", []).append(_("个人无需填写统一社会信用代码。"))
    if errors:
        raise ValidationFailed(errors)
    return requester


def _usable_window(actor, window_pk: int | None) -> ServiceWindow:
    """The active window ``window_pk`` with its region, if ``actor`` is a clerk there (of the window, or of
    its region without a window; superusers and the system anywhere): one query for both. Not cached:
    a membership taken away counts from the next request."""
    windows = ServiceWindow.objects.select_related("region").filter(pk=window_pk, is_active=True)
    if actor is not None and not actor.is_superuser:
        clerk = Membership.objects.filter(user_id=actor.pk, role=StaffRole.CLERK).filter(
            Q(window_id=OuterRef("pk")) | Q(window__isnull=True, region_id=OuterRef("region_id"))
        )
        windows = windows.annotate(actor_is_clerk=Exists(clerk))
    window = windows.first()
    if window is None:
        raise _invalid("window", _("请选择有效的受理窗口。"))
    if not getattr(window, "actor_is_clerk", True):
        raise PermissionDenied(_("您不是该受理窗口的工作人员。"))
    return window


def next_tracking_number(region, day) -> str:
    """Region code + YYYYMMDD + a zero-padded per-(region, day) sequence, from one atomic upsert.

    The intake calls it before it opens its transaction: in autocommit the upsert is a transaction of its
    own, so the counter row is locked for that one statement, and concurrent intakes at one region do not
    wait for each other's whole intake. Numbers stay unique (the upsert is atomic; ``tracking_number`` is
    unique too); an intake that fails after this point leaves a gap in the day's sequence, which is
    accepted (docs/ARCHITECTURE.md, "Tracking numbers"). Called inside a caller's transaction (an import
    that takes many cases in at once) it joins it, and the row stays locked until that commits.
    """
    table = connection.ops.quote_name(CaseNumberCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (region_id, day, last_value) VALUES (%s, %s, 1) "  # noqa: S608 (table name from model meta)
            f"ON CONFLICT (region_id, day) DO UPDATE SET last_value = {table}.last_value + 1 "
            "RETURNING last_value",
            [region.pk, day.isoformat()],
        )
        sequence = cursor.fetchone()[0]
    return f"{region.code}{day:%Y%m%d}{sequence:04d}"


def intake_prepare(actor, data: Mapping | None) -> Callable[[], CaseEvent]:
    """The intake's first half, before any transaction: the checks ``run`` makes (actor, input, window,
    requester, classification) and the tracking number (``next_tracking_number``). Returns the second half,
    which writes the requester, the case and its intake event in one transaction. ``run`` calls both; the
    idempotent intake (``services.case_intake``) opens its transaction between them, so its number, too,
    is allocated without a lock held to the end of the intake."""
    rule = RULES[E.INTAKE]
    if actor is not None and not (actor.is_authenticated and actor.is_active):
        raise PermissionDenied(_("请先登录。"))
    return _intake(rule, actor, clean_inputs(rule.inputs, data or {}))


def _intake(rule: Rule, actor, data: Mapping) -> Callable[[], CaseEvent]:
    window = _usable_window(actor, data["window"])
    channel = data["channel"]
    title, description = data["title"], data["description"]
    errors: dict[str, list[str]] = {}
    requester = None
    try:
        requester = _requester(data)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    try:
        classification = _classification(data, window.region.path)
    except ValidationFailed as exc:
        errors.update(exc.errors)
        classification = {}
    resolution = data["resolution_summary"]
    complete = all(k in classification for k in ("category", "matter_kind", "complexity", "handling_mode"))
    if resolution and (classification.get("handling_mode") != HandlingMode.IMMEDIATE or not complete):
        errors["resolution_summary"] = [_("只有分类完整的即办事项可以在受理时直接办结。")]
    if errors:
        raise ValidationFailed(errors)

    now = timezone.now()
    region = window.region
    if resolution:
        status = S.RESOLVED  # 即办: taken in and resolved at the window in one step
    elif complete:
        status = S.COORDINATING if classification["handling_mode"] in COORDINATION_MODES else S.ROUTING
    else:
        status = S.REGISTERED
    # Allocated before the intake's transaction opens (see ``next_tracking_number``): no lock held for it.
    tracking_number = next_tracking_number(region, timezone.localdate(now))
    assert requester is not None  # no errors: the requester was built

    def write() -> CaseEvent:
        # Within a caller's transaction (the idempotent intake, an import) no savepoint: a failure here
        # ends that transaction anyway, and a savepoint costs two round trips.
        with transaction.atomic(savepoint=False):
            requester.save()
            case = Case(
                tracking_number=tracking_number,
                channel=channel,
                window=window,
                clerk=actor,
                region=region,
                region_path=region.path,
                handling_region_path=region.path,
                requester=requester,
                title=title,
                description=description,
                expectation=data["expectation"],
                external_due_at=data.get("external_due_at"),
                status=status,
                taken_in_at=now,
                version=1,  # the intake event is event 1
                **classification,
            )
            if status == S.COORDINATING:
                case.handling_region_path = case.county_path
            if resolution:
                case.resolution_summary = resolution
                case.resolved_at = now
            sla.intake_started(
                case, now=now
            )  # the case clock starts at intake (the receipt shows its reply due)
            case.save()
            sla.intake_saved(case, now=now)
            ctx = Context(case=case, actor=actor, memberships=[], current=[], relations=frozenset(), now=now)
            payload = events.intake(
                window=window.pk,
                channel=channel,
                classification_values=classification,
                resolved_at_window=bool(resolution),
            )
            event = _append_event(ctx, rule, "", Outcome(status, resolution, payload))
        logger.info("case %s taken in for requester %s", case.tracking_number, mask_phone(requester.phone))
        return event

    return write
