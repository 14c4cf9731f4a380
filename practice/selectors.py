"""Reads of 共性问题 and 常态建设 for pages, API and the supervision bulletins; every one is scoped through
``visible_to(user)`` (``practice.querysets``): what the user may not see answers ``NotFound``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from cases.models import Case
from routing.models import Department, Region
from windowsvc.errors import NotFound

from . import conf, detector, text
from .choices import ItemStatus, RecurringKind
from .models import CaseTerms, PracticeItem, RecurringProblem

# A case counts as a matter of a text cluster when it holds this share of the cluster's core terms.
CORE_SHARE = 0.5


def problem_list_visible(*, user) -> QuerySet[RecurringProblem]:
    return RecurringProblem.objects.visible_to(user).select_related("region", "category", "department")


def problem_get_visible(*, user, problem_id: int) -> RecurringProblem:
    problem = problem_list_visible(user=user).filter(pk=problem_id).first()
    if problem is None:
        raise NotFound
    return problem


def problem_cases(*, user, problem: RecurringProblem) -> QuerySet[Case]:
    """The cluster's cases the user may see, newest first."""
    return (
        Case.objects.visible_to(user)
        .filter(pk__in=problem.memberships.values("case_id"))
        .select_related("category", "lead_department", "region")
        .order_by("-taken_in_at", "-pk")
    )


def item_list_visible(*, user, status: str | None = None) -> QuerySet[PracticeItem]:
    queryset = PracticeItem.objects.visible_to(user).select_related(
        "responsible_department", "region", "source_problem", "created_by"
    )
    if status in ItemStatus.values:
        queryset = queryset.filter(status=status)
    return queryset


def item_get_visible(*, user, item_id: int) -> PracticeItem:
    item = item_list_visible(user=user).filter(pk=item_id).first()
    if item is None:
        raise NotFound
    return item


def departments_for(*, user, region: Region) -> QuerySet[Department]:
    """Departments a supervisor may make responsible: active, visible, in the region's county."""
    return (
        Department.objects.visible_to(user)
        .filter(is_active=True, region__path__startswith=region.county_path)
        .select_related("region")
        .order_by("region__path", "code")
    )


# --- Before and since -----------------------------------------------------------------------------------


def matching_cases(problem: RecurringProblem, start: datetime, end: datetime) -> int:
    """How many matters *of this cluster* came in within [start, end), whether or not the detector has
    seen them: for a category × department cluster, the cases of that category led by that department in
    its region's subtree; for a text cluster, the cases of its region's subtree that hold at least half of
    its core terms (cases not segmented yet are segmented here)."""
    cases = Case.objects.filter(
        region_path__startswith=problem.region_path, taken_in_at__gte=start, taken_in_at__lt=end
    )
    if problem.kind == RecurringKind.CATEGORY_DEPARTMENT:
        return cases.filter(category_id=problem.category_id, lead_department_id=problem.department_id).count()
    core = problem.term_list
    if not core:
        return 0
    stored = dict(CaseTerms.objects.filter(case_id__in=cases.values("pk")).values_list("case_id", "terms"))
    count = 0
    for pk, title, description in cases.values_list("pk", "title", "description"):
        words = stored.get(pk)
        found = (
            frozenset(words.split())
            if words is not None
            else frozenset(text.terms(text.case_text(title, description)))
        )
        if detector.core_share_of(found, core) >= CORE_SHARE:
            count += 1
    return count


@dataclass(frozen=True)
class Effect:
    """Matters of the item's cluster in the ``days`` before completion and in as many days since."""

    days: int
    before: int
    since: int


def item_effect(item: PracticeItem, *, now: datetime | None = None) -> Effect | None:
    """Before/since counts of a done item made from a recurring problem (None otherwise). Both sides have
    the same length: the days since completion, at most ``PRACTICE_WINDOW_DAYS``."""
    if item.status != ItemStatus.DONE or item.done_at is None or item.source_problem_id is None:
        return None
    now = now or timezone.now()
    length = min(now - item.done_at, timedelta(days=conf.window_days()))
    problem = item.source_problem
    assert problem is not None
    before = matching_cases(problem, item.done_at - length, item.done_at)
    since = matching_cases(problem, item.done_at, item.done_at + length)
    return Effect(days=max(length.days, 0), before=before, since=since)


# --- Bulletins (supervision.reports calls this; practice never imports supervision) ----------------------


@dataclass
class PeriodItems:
    opened: list[PracticeItem] = field(default_factory=list)
    completed: list[PracticeItem] = field(default_factory=list)


def period_items(*, user, region_path: str, start: datetime, end: datetime, limit: int = 500) -> PeriodItems:
    """The items of a region's subtree opened and completed (accepted) within [start, end), as the user
    may see them: what the quarterly bulletin and the annual summary list."""
    items = item_list_visible(user=user).filter(region_path__startswith=region_path)
    return PeriodItems(
        opened=list(items.opened_between(start, end).order_by("created_at", "pk")[:limit]),
        completed=list(items.done_between(start, end).order_by("done_at", "pk")[:limit]),
    )
