"""Querysets of the cases app; ``CaseQuerySet.visible_to(user)`` is the one scoping rule for cases.

Who sees a case (built on ``routing.scoping.scope_for``):
- superusers: every case;
- supervisors, administrators and coordinators of a region: cases taken in within their subtree
  (``region_path``) or held by a department within it (``handling_region_path``);
- clerks: cases taken in at windows in their region's subtree;
- handlers and department heads: cases with any assignment, current or past, to their department;
- everyone else: nothing.
It is one SQL query: prefix filters OR-ed with an EXISTS on the departments' access rows
(``DepartmentCase``: one per department a case was ever assigned to; no join, so no duplicate rows).

Lists read the same rule through ``CaseQuerySet.listed_for``: newest first, and for a user who sees cases
only through one department, driven from that department's access rows in intake order, so the first page
and the capped count cost the same whatever the department's history (BENCHMARKS.md, "Case lists").
"""

from __future__ import annotations

from django.db import models
from django.db.models import Exists, F, OuterRef, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from routing.paths import county_code, county_path, is_above_county
from routing.scoping import paths_q, scope_for
from windowsvc.models import AppendOnlyQuerySet

from .choices import (
    CURRENT_ASSIGNMENT_STATUSES,
    TERMINAL_STATUSES,
    AssignmentRole,
    AssignmentStatus,
    Light,
)


def _light(now, *, running: Q, deadline: str = "due_at"):
    """The light rule of ``cases.clocks.light`` as SQL: a paused clock is judged when it was paused.
    ``deadline`` names the column (or annotation) holding the deadline the clock runs against."""
    moment = Coalesce(F("clock_paused_at"), Value(now, output_field=models.DateTimeField()))
    return models.Case(
        When(~running | Q(due_at__isnull=True), then=Value(None)),
        When(Q(**{f"{deadline}__lt": moment}), then=Value(Light.RED.value)),
        When(yellow_at__lte=moment, then=Value(Light.YELLOW.value)),
        default=Value(Light.GREEN.value),
        output_field=models.CharField(null=True),
    )


# ``cases.clocks.reasoned_in_time`` as SQL.
REASONED_IN_TIME = Q(
    reasoned_reply_at__isnull=False,
    reasoned_reply_due_at__isnull=False,
    reasoned_reply_at__lte=F("reasoned_reply_due_at"),
)
# ``cases.clocks.deadline_in_force`` as SQL: the later new date of a "cannot be done yet" answer given in
# time, else the completion deadline.
DEADLINE_IN_FORCE = models.Case(
    When(
        REASONED_IN_TIME & Q(follow_up_due_at__isnull=False, follow_up_due_at__gt=F("due_at")),
        then=F("follow_up_due_at"),
    ),
    default=F("due_at"),
    output_field=models.DateTimeField(null=True),
)
# ``cases.clocks.clock_settled`` negated, for open cases: the case clock runs (or is paused) while the
# case is open, not resolved, and not answered "cannot be done" without a new date.
CASE_CLOCK_RUNNING = (
    ~Q(status__in=TERMINAL_STATUSES)
    & Q(resolved_at__isnull=True)
    & ~Q(reasoned_reply_at__isnull=False, follow_up_due_at__isnull=True)
)


def case_visibility_q(
    user,
    *,
    region_path: str = "region_path",
    handling_region_path: str = "handling_region_path",
    case: str = "pk",
) -> Q | None:
    """THE rule of which cases a user sees, as a filter (None: everything, for a superuser), over the
    columns that hold a case's intake region path, its handling region path and its id. ``visible_to`` of
    cases reads the case's own columns; rows that copy them (the library's write-ups and solved cases)
    pass their own names, so a search there is not joined to a million cases to be scoped.

    Supervisors, administrators and coordinators see their subtree (taken in or handled there); clerks
    what was taken in within theirs; department staff what was ever assigned to their department.
    """
    scope = scope_for(user)
    if scope.is_superuser:
        return None
    q = (
        paths_q(region_path, scope.oversight_paths)
        | paths_q(handling_region_path, scope.oversight_paths)
        | paths_q(region_path, scope.clerk_paths)
    )
    if scope.department_ids:
        from .models import DepartmentCase

        q |= Exists(
            DepartmentCase.objects.filter(
                case_id=OuterRef(case), department_id__in=sorted(scope.department_ids)
            )
        )
    return q


def _only_department(user) -> int | None:
    """The one department through which the user sees cases, when that is all the user sees (a handler or
    department head without any oversight or clerk membership), else None."""
    scope = scope_for(user)
    if scope.is_superuser or scope.oversight_paths or scope.clerk_paths or len(scope.department_ids) != 1:
        return None
    (department_id,) = scope.department_ids
    return department_id


class CaseQuerySet(models.QuerySet):
    def visible_to(self, user):
        q = case_visibility_q(user)
        return self if q is None else self.filter(q)

    def listed_for(self, user):
        """``visible_to(user)`` newest first, for lists: the same rows, annotated ``listed_at`` (the intake
        time) and ordered by it. When the user sees cases only through one department, the rows are that
        department's access rows joined to their cases (``DepartmentCase`` is unique per department and
        case, so no row repeats) and ``listed_at`` is the access row's copy of the intake time: PostgreSQL
        reads the first page and the capped count from the department's index instead of probing every
        recent case, or every past assignment. ``newest_first()`` keeps that order after further filters."""
        department_id = _only_department(user)
        if department_id is None:
            return self.visible_to(user).annotate(listed_at=F("taken_in_at")).newest_first()
        return (
            self.filter(department_access__department_id=department_id)
            .annotate(listed_at=F("department_access__taken_in_at"))
            .newest_first()
        )

    def newest_first(self):
        """Newest intake first (ties: the higher id), by ``listed_at`` when ``listed_for`` set it."""
        if "listed_at" in self.query.annotations:
            return self.order_by(F("listed_at").desc(), F("pk").desc())
        return self.order_by("-taken_in_at", "-pk")

    def open(self):
        """Not closed, not refused, not withdrawn: exactly the predicate of the partial indexes."""
        return self.exclude(status__in=TERMINAL_STATUSES)

    def in_subtree(self, path: str):
        """Cases taken in within a region's subtree (an indexed prefix filter)."""
        return self.filter(region_path__startswith=path)

    def handled_in_subtree(self, path: str):
        """Cases held now by a department (or centre, or window) within a region's subtree."""
        return self.filter(handling_region_path__startswith=path)

    def clock_running(self):
        """Cases whose clock runs or is paused: open, not resolved, not answered with reasons."""
        return self.filter(CASE_CLOCK_RUNNING)

    def with_deadline(self):
        """Annotate ``deadline`` = the deadline in force (``Case.deadline_in_force``)."""
        if "deadline" in self.query.annotations:
            return self
        return self.annotate(deadline=DEADLINE_IN_FORCE)

    def with_light(self, now=None):
        """Annotate ``light`` (green / yellow / red, NULL without a running clock) as of ``now``; filter on
        it (``.with_light(now).filter(light=Light.RED)``). Same rule as ``Case.light_at``."""
        return self.with_deadline().annotate(
            light=_light(now or timezone.now(), running=CASE_CLOCK_RUNNING, deadline="deadline")
        )

    def with_on_time(self, now=None):
        """Annotate ``on_time`` (True / False / NULL = undecided): ``cases.clocks.on_time`` in SQL, the
        one rule every statistic counts with (e.g. ``aggregate(late=Count("pk", filter=Q(on_time=False)))``)."""
        now = now or timezone.now()
        moment = Coalesce(F("clock_paused_at"), Value(now, output_field=models.DateTimeField()))
        return self.with_deadline().annotate(
            on_time=models.Case(
                When(due_at__isnull=True, then=Value(None)),
                When(resolved_at__lte=F("deadline"), then=Value(True)),
                When(
                    REASONED_IN_TIME & Q(follow_up_due_at__isnull=True, withdrawn_at__isnull=True),
                    then=Value(True),
                ),
                When(resolved_at__isnull=False, then=Value(False)),
                When(withdrawn_at__gt=F("deadline"), then=Value(False)),
                When(status__in=TERMINAL_STATUSES, then=Value(None)),
                When(deadline__lt=moment, then=Value(False)),
                default=Value(None),
                output_field=models.BooleanField(null=True),
            )
        )


class AssignmentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Assignments of the cases the user may see."""
        from .models import Case

        return self.filter(case__in=Case.objects.visible_to(user).values("pk"))

    def current(self):
        return self.filter(is_current=True)

    def with_light(self, now=None):
        """Annotate ``light`` of each department's own clock (NULL once the assignment has ended)."""
        return self.annotate(light=_light(now or timezone.now(), running=Q(is_current=True)))

    def leads(self):
        return self.filter(role=AssignmentRole.LEAD)

    def pending(self):
        return self.filter(status=AssignmentStatus.PENDING)

    def open(self):
        return self.filter(status__in=CURRENT_ASSIGNMENT_STATUSES)

    def bounce_counts(self):
        """Per department: how many assignments it returned and how many it transferred away.

        Transfers include escalations (上报) and delegations (下派): pushing up or down is buck-passing too.
        Filter the queryset first (period on ``ended_at``, region) and read rows of
        ``{"department_id", "returned", "transferred"}``.
        """
        return (
            self.filter(status__in=[AssignmentStatus.RETURNED, AssignmentStatus.TRANSFERRED])
            .values("department_id")
            .annotate(
                returned=models.Count("pk", filter=Q(status=AssignmentStatus.RETURNED)),
                transferred=models.Count("pk", filter=Q(status=AssignmentStatus.TRANSFERRED)),
            )
            .order_by("department_id")
        )


class CaseEventQuerySet(AppendOnlyQuerySet):
    """Events are append-only (``windowsvc.models.AppendOnlyQuerySet``); a bulk insert is chained like
    ``save`` (``cases.auditchain``), the previous links read in one query."""

    def bulk_create(self, objs, *args, **kwargs):
        from django.db import connection

        from windowsvc.bulk import bulk_insert

        from . import auditchain

        objs = list(objs)
        wanted = sorted({(e.case_id, e.sequence - 1) for e in objs if e.sequence > 1})
        heads: dict[tuple[int, int], str] = {}
        if wanted and connection.vendor == "postgresql":
            # The previous links of the whole batch by one indexed lookup of (case, sequence) pairs.
            table = connection.ops.quote_name(self.model._meta.db_table)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT e.case_id, e.sequence, e.hash FROM {table} e "  # noqa: S608 (a model's table)
                    "JOIN unnest(%s::bigint[], %s::integer[]) AS w(case_id, sequence) "
                    "ON e.case_id = w.case_id AND e.sequence = w.sequence",
                    [[case_id for case_id, _s in wanted], [sequence for _c, sequence in wanted]],
                )
                heads.update(((case_id, sequence), head) for case_id, sequence, head in cursor.fetchall())
        elif wanted:
            q = models.Q(pk__in=[])
            for case_id, sequence in wanted:
                q |= models.Q(case_id=case_id, sequence=sequence)
            for case_id, sequence, head in self.model.objects.filter(q).values_list(
                "case_id", "sequence", "hash"
            ):
                heads[(case_id, sequence)] = head
        auditchain.seal_all(objs, heads)
        if connection.vendor != "postgresql" or args or kwargs or self.db != connection.alias:
            return super().bulk_create(objs, *args, **kwargs)
        # One JSON parameter instead of UNNEST arrays of every text (windowsvc.bulk); ids by (case, sequence).
        ids = {
            (case_id, sequence): pk
            for pk, case_id, sequence in bulk_insert(self.model, objs, returning=("id", "case", "sequence"))
        }
        for event in objs:
            event.pk = ids[(event.case_id, event.sequence)]
            event._state.adding, event._state.db = False, connection.alias
        return objs

    def public(self):
        return self.filter(is_public=True)

    def visible_to(self, user):
        from .models import Case

        return self.filter(case__in=Case.objects.visible_to(user).values("pk"))


class CategoryQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def for_region_path(self, path: str):
        """Categories of the county a region path belongs to."""
        return self.filter(county__code=county_code(path))

    def visible_to(self, user):
        """Categories of every county the user has a membership in (they are reference data)."""
        scope = scope_for(user)
        if scope.is_superuser:
            return self
        counties = {county_path(path) for path in scope.member_paths if not is_above_county(path)}
        # A city's or province's member sees the categories of every county below it.
        above = tuple(path for path in scope.member_paths if is_above_county(path))
        return self.filter(Q(county__path__in=sorted(counties)) | paths_q("county__path", above))


class RequesterQuerySet(models.QuerySet):
    """Requesters found by number. Id numbers and credit codes are encrypted, so these match their blind
    indexes (the digest of the normalised number under each configured key); filtering on the numbers
    themselves raises ``FieldError``."""

    def with_id_number(self, value: str):
        return self.filter(id_number_index__in=self.model.digests("id_number", value))

    def with_credit_code(self, value: str):
        return self.filter(credit_code_index__in=self.model.digests("credit_code", value))
