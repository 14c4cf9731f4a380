"""Scoping of 共性问题 and 常态建设 (built on ``routing.scoping.scope_for``, like every ``visible_to``).

- superusers: everything;
- supervisors, coordinators and administrators of a region: problems and items whose region lies in
  their subtree (a prefix query on the stored ``region_path``);
- department staff (handlers, heads): the items their department is responsible for, and the problems
  those items came from;
- everyone else: nothing.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from routing.scoping import paths_q, scope_for
from windowsvc.models import AppendOnlyQuerySet


class RecurringProblemQuerySet(models.QuerySet):
    def visible_to(self, user):
        scope = scope_for(user)
        if scope.is_superuser:
            return self
        q = paths_q("region_path", scope.oversight_paths)
        if scope.department_ids:
            q |= Q(items__responsible_department_id__in=sorted(scope.department_ids))
            return self.filter(pk__in=self.model.objects.filter(q).values("pk"))
        return self.filter(q)


class PracticeItemQuerySet(models.QuerySet):
    def visible_to(self, user):
        scope = scope_for(user)
        if scope.is_superuser:
            return self
        q = paths_q("region_path", scope.oversight_paths)
        if scope.department_ids:
            q |= Q(responsible_department_id__in=sorted(scope.department_ids))
        return self.filter(q)

    def opened_between(self, start, end):
        return self.filter(created_at__gte=start, created_at__lt=end)

    def done_between(self, start, end):
        return self.filter(done_at__gte=start, done_at__lt=end)


class PracticeItemEventQuerySet(AppendOnlyQuerySet):
    """History entries are append-only (``windowsvc.models.AppendOnlyQuerySet``)."""
