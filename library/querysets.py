"""Scoping of the library: a write-up (and a solved case of the suggestion index) is visible exactly when
its case is (``cases.querysets.CaseQuerySet.visible_to``, built on ``routing.scoping.scope_for``).

Published write-ups are also public, but only as their anonymised version (``WriteUp.public``), which
the public page and the intake suggestions read through ``published()``, never the staff text.
"""

from __future__ import annotations

from django.db import models

from cases.models import Case
from routing.scoping import scope_for
from windowsvc.models import AppendOnlyQuerySet, AppendOnlyViolation

from .choices import WriteUpStatus


class _CaseScoped(models.QuerySet):
    def visible_to(self, user):
        if scope_for(user).is_superuser:
            return self
        return self.filter(case__in=Case.objects.visible_to(user).values("pk"))


class WriteUpQuerySet(_CaseScoped):
    def published(self):
        return self.filter(status=WriteUpStatus.PUBLISHED)

    def typical(self):
        return self.published().filter(typical=True)


class SolvedCaseQuerySet(_CaseScoped):
    pass


class WriteUpEventQuerySet(AppendOnlyQuerySet):
    """Events are append-only (``windowsvc.models.AppendOnlyQuerySet``)."""


class WriteUpEventImmutable(AppendOnlyViolation):
    """Raised on any attempt to change or delete a ``WriteUpEvent``."""
