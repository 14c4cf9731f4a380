"""Scoping of the library: a write-up (and a solved case of the suggestion index) is visible exactly when
its case is: the one rule ``cases.querysets.case_visibility_q`` (built on ``routing.scoping.scope_for``),
applied to the row's own copies of the case's region paths. A write-up's ``handling_region_path`` follows
its case's on every case event (``library.indexing.writeup_follow_case``); its ``region_path`` (where the
case was taken in) never changes.

Published write-ups are also public, but only as their anonymised version (``WriteUp.public``), which
the public page and the intake suggestions read through ``published()``, never the staff text.
"""

from __future__ import annotations

from django.db import models

from cases.querysets import case_visibility_q
from windowsvc.models import AppendOnlyQuerySet, AppendOnlyViolation

from .choices import WriteUpStatus


class _CaseScoped(models.QuerySet):
    # The columns ``cases.querysets.case_visibility_q`` reads: the row's copies of its case's paths.
    scope_columns = {"region_path": "region_path", "handling_region_path": "handling_region_path"}

    def visible_to(self, user):
        q = case_visibility_q(user, case="case_id", **self.scope_columns)
        return self if q is None else self.filter(q)


class WriteUpQuerySet(_CaseScoped):
    def published(self):
        return self.filter(status=WriteUpStatus.PUBLISHED)

    def typical(self):
        return self.published().filter(typical=True)


class SolvedCaseQuerySet(_CaseScoped):
    # A solved case keeps its intake region (never changes); where it is handled is read from the case
    # (a join only for supervisors: clerks, who ask for suggestions, are scoped by the intake region).
    scope_columns = {"region_path": "region_path", "handling_region_path": "case__handling_region_path"}


class WriteUpEventQuerySet(AppendOnlyQuerySet):
    """Events are append-only (``windowsvc.models.AppendOnlyQuerySet``)."""


class WriteUpEventImmutable(AppendOnlyViolation):
    """Raised on any attempt to change or delete a ``WriteUpEvent``."""
