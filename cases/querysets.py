"""Querysets of the cases app; ``CaseQuerySet.visible_to(user)`` is the one scoping rule for cases.

Who sees a case (built on ``routing.scoping.scope_for``):
- superusers: every case;
- supervisors, administrators and coordinators of a region: cases taken in within their subtree
  (``region_path``) or held by a department within it (``handling_region_path``);
- clerks: cases taken in at windows in their region's subtree;
- handlers and department heads: cases with any assignment, current or past, to their department;
- everyone else: nothing.
It is one SQL query: prefix filters OR-ed with an EXISTS on assignments (no join, so no duplicate rows).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Exists, OuterRef, Q

from routing.scoping import paths_q, scope_for

from .choices import CURRENT_ASSIGNMENT_STATUSES, TERMINAL_STATUSES, AssignmentRole, AssignmentStatus


class CaseQuerySet(models.QuerySet):
    def visible_to(self, user):
        scope = scope_for(user)
        if scope.is_superuser:
            return self
        q = (
            paths_q("region_path", scope.oversight_paths)
            | paths_q("handling_region_path", scope.oversight_paths)
            | paths_q("region_path", scope.clerk_paths)
        )
        if scope.department_ids:
            from .models import Assignment

            q |= Exists(
                Assignment.objects.filter(
                    case_id=OuterRef("pk"), department_id__in=sorted(scope.department_ids)
                )
            )
        return self.filter(q)

    def open(self):
        """Not closed, not refused, not withdrawn: exactly the predicate of the partial indexes."""
        return self.exclude(status__in=TERMINAL_STATUSES)

    def in_subtree(self, path: str):
        """Cases taken in within a region's subtree (an indexed prefix filter)."""
        return self.filter(region_path__startswith=path)

    def handled_in_subtree(self, path: str):
        """Cases held now by a department (or centre, or window) within a region's subtree."""
        return self.filter(handling_region_path__startswith=path)


class AssignmentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Assignments of the cases the user may see."""
        from .models import Case

        return self.filter(case__in=Case.objects.visible_to(user).values("pk"))

    def current(self):
        return self.filter(is_current=True)

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


class CaseEventQuerySet(models.QuerySet):
    """Events are append-only: bulk updates and deletes are refused like single ones."""

    def update(self, **kwargs):
        from .models import CaseEventImmutable

        raise CaseEventImmutable("case events are append-only")

    def delete(self):
        from .models import CaseEventImmutable

        raise CaseEventImmutable("case events are append-only")

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
        county_code = path.strip("/").split("/")[0]
        return self.filter(county__code=county_code)

    def visible_to(self, user):
        """Categories of every county the user has a membership in (they are reference data)."""
        scope = scope_for(user)
        if scope.is_superuser:
            return self
        counties = {"/" + path.strip("/").split("/")[0] + "/" for path in scope.member_paths}
        return self.filter(county__path__in=sorted(counties))
