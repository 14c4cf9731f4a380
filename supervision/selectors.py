"""Reads of supervision: the region a supervisor looks at, open work by light and status, the overdue list,
the per-department table, trends. Every read is scoped: the region must lie in the user's oversight
(``routing.scoping``), case rows come through ``Case.objects.visible_to`` and facts through
``CaseFact.objects.visible_to``; a region outside the scope is ``NotFound`` exactly like a missing one.

Where the numbers come from (docs/RANKINGS.md has the definitions):
- "now" (open cases, lights, overdue): the cases table, through the partial indexes on open work;
- periods (on-time, resolutions, satisfaction, trends): the rollups ``RegionDayStat`` (by intake region)
  and ``DepartmentMonthStat`` (by lead department), plus one small live query for the clocks whose
  verdict depends on the current time (running clocks due between the start of the current bucket and
  now); handling-time percentiles from the facts.
All on-time verdicts are ``cases.clocks.on_time`` (via the projection's cohort classes and
``with_on_time``): on time when resolved, or answered with reasons where allowed, by the deadline; an open
case past its deadline is late.
"""

from __future__ import annotations

import weakref
from collections import defaultdict
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from cases import selectors as case_selectors
from cases.choices import (
    HANDLING_STATUSES,
    OPEN_STATUSES,
    TERMINAL_STATUSES,
    CaseStatus,
    Channel,
    EventKind,
    ExtensionStatus,
    Light,
    ReasonPurpose,
    ReviewStatus,
)
from cases.clocks import deadline_in_force, reasoned_in_time
from cases.events import Key
from cases.filtersets import CaseFilterSet
from cases.models import Case, CaseEvent, Extension, RefusalReview
from cases.querysets import CASE_CLOCK_RUNNING, REASONED_IN_TIME
from routing.calendar import calendar_snapshot, fastclock
from routing.calendar.fastclock import FastCalendar
from routing.choices import DepartmentRole, Tier
from routing.deadlines import CALENDAR_TIME_ZONE, CalendarSnapshot, working_days_overdue
from routing.models import Department, Region
from routing.paths import county_path, is_above_county, minimal_paths
from routing.scoping import scope_for
from windowsvc.errors import NotFound, PermissionDenied

from .aggregates import PercentileCont, percentile
from .models import CaseFact, DepartmentMonthStat, RegionDayStat
from .periods import MONTH, Period, current_period, last_periods, local_date

# --- The region being looked at -------------------------------------------------------------------------


@dataclass
class Node:
    """A region in the user's oversight, with the way down to it from their own region and its children."""

    region: Region
    trail: list[Region]
    children: list[Region]

    @property
    def path(self) -> str:
        return self.region.path


def supervision_roots(user) -> list[Region]:
    """The regions whose subtree the user oversees (supervisor, coordinator, administrator); for a
    superuser every top region (each province, each city without one, each county without either).
    ``PermissionDenied`` for anyone else: these pages are for oversight roles."""
    scope = scope_for(user)
    if scope.is_superuser:
        tops = Region.objects.filter(tier__in=[Tier.PROVINCE, Tier.CITY, Tier.COUNTY]).values_list(
            "path", flat=True
        )
        # A county stored without its city as parent still lies in the city's subtree (routing.paths).
        paths = minimal_paths(set(tops))
        return list(Region.objects.filter(path__in=paths).order_by("path"))
    if not scope.oversight_paths:
        raise PermissionDenied(_("督办统计仅向督办人员、协调中心和管理员开放。"))
    return list(Region.objects.filter(path__in=scope.oversight_paths).order_by("path"))


def region_node(*, user, code: str | None = None) -> Node:
    """The region ``code`` (default: the user's first root) with its trail and children.

    ``NotFound`` when the region does not exist or lies outside the user's oversight (one answer).
    """
    roots = supervision_roots(user)
    if not roots:
        raise NotFound(_("未找到该区划。"))
    code = (code or "").strip()
    if not code:
        region = roots[0]
    else:
        region = next((r for r in roots if r.code == code), None) or Region.objects.filter(code=code).first()
    root = next((r for r in roots if region is not None and region.path.startswith(r.path)), None)
    if root is None:
        raise NotFound(_("未找到该区划。"))
    within_root = [prefix for prefix in region.ancestor_paths if prefix.startswith(root.path)]
    trail = sorted(Region.objects.filter(path__in=within_root), key=lambda r: len(r.path))
    children = list(region.subregions().order_by("code"))
    return Node(region=region, trail=trail, children=children)


def in_node(path: str) -> Q:
    """Cases taken in or held within a region's subtree (what its supervisor sees)."""
    return Q(region_path__startswith=path) | Q(handling_region_path__startswith=path)


# --- Open work now ----------------------------------------------------------------------------------------


@dataclass
class ChildCounts:
    region: Region
    open: int
    red: int
    yellow: int


@dataclass
class OpenCounts:
    open: int
    by_status: list[tuple[str, str, int]]  # (value, label, count), open statuses in loop order
    by_light: dict[str, int]  # green / yellow / red / none (no running clock)
    children: list[ChildCounts]


def open_counts(*, user, node: Node, now: datetime) -> OpenCounts:
    """Open cases of the region (taken in or held there) by status and by light, and per child region:
    one query over the partial indexes on open work."""
    # The facts carry every column these counts read (a covering index on open facts); same scope rule.
    queryset = CaseFact.objects.visible_to(user).open().filter(in_node(node.path)).with_light(now)
    aggregates = {"open": Count("pk")}
    for status in OPEN_STATUSES:
        aggregates[f"status_{status}"] = Count("pk", filter=Q(status=status))
    for light in Light:
        aggregates[f"light_{light}"] = Count("pk", filter=Q(light=light))
    for child in node.children:
        aggregates[f"child{child.pk}_open"] = Count("pk", filter=in_node(child.path))
        aggregates[f"child{child.pk}_red"] = Count("pk", filter=in_node(child.path) & Q(light=Light.RED))
        aggregates[f"child{child.pk}_yellow"] = Count(
            "pk", filter=in_node(child.path) & Q(light=Light.YELLOW)
        )
    row = queryset.aggregate(**aggregates)
    by_light = {light.value: row[f"light_{light}"] for light in Light}
    by_light["none"] = row["open"] - sum(by_light.values())
    return OpenCounts(
        open=row["open"],
        by_status=[(s.value, s.label, row[f"status_{s}"]) for s in OPEN_STATUSES],
        by_light=by_light,
        children=[
            ChildCounts(
                child,
                row[f"child{child.pk}_open"],
                row[f"child{child.pk}_red"],
                row[f"child{child.pk}_yellow"],
            )
            for child in node.children
        ],
    )


# --- The overdue and about-to-be-overdue list -----------------------------------------------------------

OVERDUE_SORTS = {
    "due": ("deadline", "case_id"),
    "-due": ("-deadline", "-case_id"),
    "taken": ("taken_in_at", "case_id"),
    "-taken": ("-taken_in_at", "-case_id"),
    "department": ("lead_department__name", "deadline", "case_id"),
    "category": ("category__name", "deadline", "case_id"),
    "number": ("case__tracking_number",),
}


def overdue_cutoff(now: datetime, days: int, *, calendar: CalendarSnapshot) -> datetime:
    """The latest deadline that is at least ``days`` whole working days overdue at ``now``
    (``routing.deadlines.working_days_overdue``): the opening of the ``days``-th most recent working day
    that has closed by ``now``. ``working_days_overdue(d, now) >= days`` exactly when ``d <= cutoff``."""
    if days <= 0:
        return now
    local_now = now.astimezone(calendar.tz)
    day = local_now.date()
    if datetime.combine(day, calendar.close, tzinfo=calendar.tz) > local_now:
        day -= timedelta(days=1)
    found = 0
    while True:
        if calendar.is_working_day(day):
            found += 1
            if found == days:
                return datetime.combine(day, calendar.opening, tzinfo=calendar.tz)
        day -= timedelta(days=1)


def overdue_cases(
    *,
    user,
    node: Node,
    now: datetime,
    lights: tuple[str, ...] = (Light.RED, Light.YELLOW),
    filters: dict | None = None,
    min_days_overdue: int = 0,
    sort: str = "due",
) -> QuerySet[CaseFact]:
    """The open cases of the region whose clock is red (overdue) or yellow (about to be), as the facts of
    those cases (``case_id``), sorted (``OVERDUE_SORTS``; most overdue first by default) and filtered with
    the cases' own ``CaseFilterSet`` (``lead_department``, ``category`` with its subtree, ``tier``,
    ``matter_kind``: the facts carry those columns under the same names). ``overdue_page`` /
    ``case_rows`` read the cases of a page.

    Why facts: every red or yellow light has turned yellow by now, and the facts' partial index on
    ``yellow_at`` carries every column the lights, the filters and the sort need, so the list is found in
    the index alone; the scope is the cases' (``CaseFact.visible_to`` ≡ ``Case.visible_to``) and the
    light is the cases' own rule (``with_light``).

    ``min_days_overdue`` keeps running clocks at least that many whole working days past their deadline
    (a suspended clock is judged when it was suspended, so it is left out of that filter).
    """
    queryset = (
        CaseFact.objects.visible_to(user)
        .filter(
            in_node(node.path),
            CASE_CLOCK_RUNNING,
            yellow_at__isnull=False,
            yellow_at__lte=now,
        )
        .with_light(now)
        .filter(light__in=list(lights))
    )
    if filters:
        queryset = CaseFilterSet(filters, queryset=queryset).qs
    if min_days_overdue > 0:
        cutoff = overdue_cutoff(now, min_days_overdue, calendar=county_calendar(node.path))
        queryset = queryset.filter(clock_paused_at__isnull=True, deadline__lte=cutoff)
    return queryset.order_by(*OVERDUE_SORTS.get(sort, OVERDUE_SORTS["due"]))


def overdue_page(
    queryset: QuerySet[CaseFact], *, user, now: datetime, start: int = 0, size: int = 50
) -> list[Case]:
    """One page of an ``overdue_cases`` list: the ids sorted and sliced in the facts' index, then those
    cases with what a list shows (one query each)."""
    ids = list(queryset.values_list("case_id", flat=True)[start : start + size])
    return case_rows(ids, user=user, now=now)


def case_rows(ids: list[int], *, user, now: datetime, full: bool = False) -> list[Case]:
    """The cases ``ids`` the user may see, in that order, with ``light``: the columns the overdue table
    shows (a case row is wide; loading fifty whole ones costs more than the queries), or ``full`` rows
    with what the API's case list shows."""
    queryset = Case.objects.visible_to(user).filter(pk__in=ids)
    if full:
        queryset = queryset.select_related(*LIST_RELATED)
    else:
        queryset = queryset.select_related("region", "lead_department", "category").only(*PAGE_FIELDS)
    rows = {case.pk: case for case in queryset.with_light(now)}
    return [rows[pk] for pk in ids if pk in rows]


LIST_RELATED = ("requester", "window", "region", "lead_department", "category")
PAGE_FIELDS = (
    "tracking_number",
    "title",
    "matter_kind",
    "status",
    "region_path",
    "handling_region_path",
    "due_at",
    "yellow_at",
    "clock_paused_at",
    "resolved_at",
    "reasoned_reply_at",
    "reasoned_reply_due_at",
    "follow_up_due_at",
    "region__name",
    "lead_department__name",
    "category__name",
)


def county_calendar(path: str) -> CalendarSnapshot:
    """The working-day calendar of the county ``path`` lies in; the national one above the county (a city's
    counties may differ: readers that count days per case use the case's own county)."""
    if is_above_county(path):
        return calendar_snapshot()
    return calendar_snapshot(region=Region(path=county_path(path)))


_FAST: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _fast(calendar: CalendarSnapshot) -> FastCalendar:
    """Integer arithmetic over the snapshot (built once per snapshot: the snapshot is cached per process)."""
    fast = _FAST.get(calendar)
    if fast is None:
        today = date.today()  # noqa: DTZ011 (a range of dates, any zone will do)
        fast = _FAST[calendar] = FastCalendar(
            calendar, today.replace(year=today.year - 12), today.replace(year=today.year + 2)
        )
    return fast


def days_overdue(case: Case, now: datetime, *, calendar: CalendarSnapshot) -> int:
    """Whole working days a red clock is past its deadline (to its suspension when suspended):
    ``routing.deadlines.working_days_overdue``, in constant time (``routing.calendar.fastclock``)."""
    # Cases and facts alike (the same column names): the deadline the clock runs against.
    due = deadline_in_force(
        due_at=case.due_at,
        follow_up_due_at=getattr(case, "follow_up_due_at", None),
        reasoned_reply_at=getattr(case, "reasoned_reply_at", None),
        reasoned_reply_due_at=getattr(case, "reasoned_reply_due_at", None),
    )
    if due is None:
        return 0
    moment = case.clock_paused_at or now
    fast = _fast(calendar)
    deadline = fastclock.to_us(due)
    if fast.local_day(deadline) < fast.first_day:
        return working_days_overdue(due, moment, calendar=calendar).days
    return fast.working_days_overdue(deadline, fastclock.to_us(moment))


# --- Extension requests waiting for a decision ----------------------------------------------------------

PENDING_EXTENSION_ROWS = 20


@dataclass
class PendingExtensions:
    """The oldest ``rows`` of the region's extension requests waiting for a decision, and how many there
    are in all."""

    rows: list[Extension]
    count: int


def pending_extensions(*, user, node: Node, limit: int = PENDING_EXTENSION_ROWS) -> PendingExtensions:
    """待审批延期申请: requests (``requested``) on cases of the region (taken in or held there) that the user
    may see and that a supervisor can decide now (a department still holds the case), oldest first, with
    the case, the department and who asked. One query, plus a count only when there are more than
    ``limit``."""
    cases = Case.objects.visible_to(user).filter(in_node(node.path), status__in=HANDLING_STATUSES)
    queryset = Extension.objects.filter(status=ExtensionStatus.REQUESTED, case__in=cases.values("pk"))
    rows = list(
        queryset.select_related("case", "department", "requested_by").order_by("created_at", "pk")[:limit]
    )
    count = len(rows) if len(rows) < limit else queryset.count()
    return PendingExtensions(rows=rows, count=count)


# --- Refusal reviews (否定答复报告) and follow-ups ------------------------------------------------------------

DECIDED_REVIEW_STATUSES = (ReviewStatus.CONFIRMED, ReviewStatus.OVERTURNED, ReviewStatus.LAPSED)


def review_queue(
    *, user, node: Node, decided: bool = False, status: str | None = None
) -> QuerySet[RefusalReview]:
    """否定答复报告 of the region's cases (taken in or held there) that the user may see: pending ones oldest
    due first, or (``decided``) the decided ones newest decision first, optionally one decided ``status``.
    Each row carries its case, reason, department and who asked (one query per page)."""
    in_region = Case.objects.filter(in_node(node.path)).values("pk")
    queryset = case_selectors.review_list_visible(user=user).filter(case__in=in_region)
    if not decided:
        return queryset.filter(status=ReviewStatus.PENDING).order_by("due_at", "pk")
    statuses = [status] if status in DECIDED_REVIEW_STATUSES else list(DECIDED_REVIEW_STATUSES)
    return queryset.filter(status__in=statuses).order_by("-decided_at", "-pk")


def pending_review_count(*, user, node: Node) -> int:
    """How many "no"s of the region wait for a supervisor's decision (the dashboard's count)."""
    return review_queue(user=user, node=node).count()


def refusals_by_reason(*, user, node: Node, period: Period) -> list[tuple[str, int]]:
    """Refusals and "cannot be done" answers of the region reported in the period, counted by reason
    (label, count), most frequent first: one query."""
    cases = Case.objects.visible_to(user).filter(in_node(node.path))
    rows = (
        RefusalReview.objects.filter(
            case__in=cases.values("pk"),
            reason__purpose=ReasonPurpose.REFUSAL,
            created_at__gte=period.start,
            created_at__lt=period.end,
        )
        .values("reason__label")
        .annotate(n=Count("pk"))
        .order_by("-n", "reason__label")
    )
    return [(row["reason__label"], row["n"]) for row in rows]


def intake_by_channel(*, user, node: Node, period: Period) -> list[tuple[str, str, int]]:
    """Cases of the region taken in during the period, split by channel (value, label, count), in the
    order of ``Channel`` (every channel listed, zeros too): one query."""
    counts = dict(
        Case.objects.visible_to(user)
        .filter(in_node(node.path), taken_in_at__gte=period.start, taken_in_at__lt=period.end)
        .order_by()
        .values("channel")
        .annotate(n=Count("pk"))
        .values_list("channel", "n")
    )
    return [(value, str(label), counts.get(value, 0)) for value, label in Channel.choices]


def follow_up_count(*, user, node: Node) -> int:
    """答复未办结: open cases of the region answered "cannot be done yet" with a new date, not resolved."""
    return (
        Case.objects.visible_to(user)
        .open()
        .filter(in_node(node.path), follow_up_due_at__isnull=False, resolved_at__isnull=True)
        .count()
    )


def with_action_marks(cases: list[Case], *, user) -> list[Case]:
    """The cases of a list page with their 催办 / 督办 marks (``action_marks``): one query for the page."""
    return case_selectors.case_action_marks_attach(user=user, cases=cases)


# --- Period numbers from the rollups ----------------------------------------------------------------------


def _running_late(facts: QuerySet[CaseFact], start: datetime, now: datetime) -> QuerySet[CaseFact]:
    """Facts whose clock runs (open, not resolved, not answered with reasons in time, not paused) and
    whose deadline lies in [start, now): late now, ``running`` in the rollups (their verdict changed with
    time, not with an event). ``tests/supervision`` checks this against ``cases.clocks.on_time``."""
    # Exactly the facts whose ``on_time`` verdict still waits for the deadline in force: open, not resolved,
    # not paused, not answered "cannot be done" in time (that verdict is already final).
    return (
        facts.with_deadline()
        .filter(
            due_at__isnull=False,
            deadline__gte=start,
            deadline__lt=now,
            resolved_at__isnull=True,
            clock_paused_at__isnull=True,
        )
        .exclude(status__in=TERMINAL_STATUSES)
        .exclude(REASONED_IN_TIME & Q(follow_up_due_at__isnull=True))
    )


def _start_of_day(moment: datetime) -> datetime:
    return datetime.combine(local_date(moment), time.min, tzinfo=CALENDAR_TIME_ZONE)


@dataclass
class PeriodNumbers:
    """Counts of one period; ``on_time_rate`` counts open cases past their deadline as late."""

    period: Period
    taken_in: int = 0
    resolved: int = 0
    on_time: int = 0
    late: int = 0

    @property
    def decided(self) -> int:
        return self.on_time + self.late

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.decided if self.decided else None


def region_periods(*, node: Node, periods: list[Period], now: datetime) -> list[PeriodNumbers]:
    """Per period: cases taken in, resolved, and on-time verdicts of those due, for cases taken in within
    the region's subtree. Two queries whatever the span: the day rollups, and the running clocks due
    today before now."""
    result = [PeriodNumbers(p) for p in periods]
    if not periods:
        return result
    first, last = periods[0].first_day, periods[-1].next_first_day
    today = local_date(now)
    rows = (
        RegionDayStat.objects.filter(region_path__startswith=node.path, day__gte=first, day__lt=last)
        .values("day")
        .annotate(
            taken_in=Sum("taken_in"),
            resolved=Sum("resolved"),
            on_time=Sum("on_time"),
            late=Sum("late"),
            running=Sum("running"),
        )
        .order_by("day")
    )
    by_index = {}
    for row in rows:
        index = by_index.get(row["day"])
        if index is None:
            index = next(
                (i for i, p in enumerate(periods) if p.first_day <= row["day"] < p.next_first_day), None
            )
            by_index[row["day"]] = index
        if index is None:
            continue
        numbers = result[index]
        numbers.taken_in += row["taken_in"]
        numbers.resolved += row["resolved"]
        numbers.on_time += row["on_time"]
        # A running clock due on a day already over is late; today's are settled live below.
        numbers.late += row["late"] + (row["running"] if row["day"] < today else 0)
    for numbers in result:
        if numbers.period.first_day <= today < numbers.period.next_first_day:
            facts = CaseFact.objects.filter(region_path__startswith=node.path)
            numbers.late += _running_late(facts, _start_of_day(now), now).count()
    return result


# --- Per department ----------------------------------------------------------------------------------------


@dataclass(kw_only=True)
class PeriodStats:
    """The numbers a period judges a unit on (``docs/RANKINGS.md`` defines each): a department's
    (``DepartmentStats``) or, summed over its departments, a county's or city's (``RegionStats``). The
    ranking reads only these, so departments and regions are scored by one formula."""

    open: int = 0  # held now: assigned, in progress, suspended or replied
    overdue_now: int = 0
    yellow_now: int = 0
    on_time: int = 0
    late: int = 0
    resolved: int = 0
    median_days: float | None = None
    p90_days: float | None = None
    returned: int = 0
    transferred: int = 0
    reopened: int = 0
    satisfied: int = 0
    basically_satisfied: int = 0
    unsatisfied: int = 0
    # The rankings' timeliness (docs/RANKINGS.md): credit of the late cases due in the period, cases due
    # earlier still open and overdue in it (carried: late again), and working days overdue in all.
    late_credit: Decimal = Decimal(0)
    carried: int = 0
    overdue_days: Decimal = Decimal(0)
    extra: dict = field(default_factory=dict)

    @property
    def decided(self) -> int:
        return self.on_time + self.late

    @property
    def in_scope(self) -> int:
        """Cases the period judges the department on: due in it and decided, plus those carried over."""
        return self.decided + self.carried

    @property
    def timeliness(self) -> Decimal | None:
        """Σ case credits / cases in scope (``supervision.rankings.case_credit``); None when none."""
        if not self.in_scope:
            return None
        return (self.on_time + self.late_credit) / Decimal(self.in_scope)

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.decided if self.decided else None

    @property
    def kept_rate(self) -> float | None:
        """On time / cases in scope (carried ones included): the monthly light's rate."""
        return self.on_time / self.in_scope if self.in_scope else None

    @property
    def callbacks(self) -> int:
        return self.satisfied + self.basically_satisfied + self.unsatisfied

    @property
    def satisfaction_rate(self) -> float | None:
        return (self.satisfied + self.basically_satisfied) / self.callbacks if self.callbacks else None

    @property
    def bounced(self) -> int:
        return self.returned + self.transferred

    def add(self, other: PeriodStats) -> None:
        """Add another unit's counts to this one (a region's numbers are its departments' sums; the
        handling-time percentiles do not add and are read for the region itself)."""
        for name in _SUMMED:
            setattr(self, name, getattr(self, name) + getattr(other, name))


# Every count adds up; the percentiles do not, and ``extra`` is a page's own scratch space.
_SUMMED = tuple(f.name for f in fields(PeriodStats) if f.name not in ("median_days", "p90_days", "extra"))


@dataclass
class DepartmentStats(PeriodStats):
    """One department's numbers for a period."""

    department: Department

    @property
    def unit(self) -> Department:
        return self.department


@dataclass
class RegionStats(PeriodStats):
    """One county's (or city's) numbers for a period: the sums of its handling departments' numbers, every
    tier of its subtree included, so cases routed anywhere in the county count for it."""

    region: Region

    @property
    def unit(self) -> Region:
        return self.region


def node_departments(*, node: Node, tier: str | None = None) -> list[Department]:
    """Active handling departments of the region's subtree (the coordination centre is not ranked)."""
    queryset = Department.objects.filter(
        region__path__startswith=node.path, role=DepartmentRole.HANDLING, is_active=True
    ).select_related("region")
    if tier:
        queryset = queryset.filter(region__tier=tier)
    return list(queryset.order_by("region__path", "code"))


def department_table(
    *,
    user,
    node: Node,
    period: Period,
    now: datetime,
    tier: str | None = None,
    departments: list[Department] | None = None,
    live: bool = True,
) -> list[DepartmentStats]:
    """Per department of the region: open and overdue now (``live``), and for ``period`` (months, a
    quarter, a year): on-time verdicts of the cases due, resolutions with median and 90th percentile
    handling time in working days, returns, transfers, reopens and callbacks. A fixed number of queries."""
    if departments is None:
        departments = node_departments(node=node, tier=tier)
    stats = {d.pk: DepartmentStats(d) for d in departments}
    ids = sorted(stats)
    if not ids:
        return []
    if live:
        rows = (
            CaseFact.objects.visible_to(user)
            .open()
            .filter(lead_department_id__in=ids, status__in=HANDLING_STATUSES)
            .with_light(now)
            .values("lead_department_id")
            .annotate(
                n=Count("pk"),
                red=Count("pk", filter=Q(light=Light.RED)),
                yellow=Count("pk", filter=Q(light=Light.YELLOW)),
            )
            .order_by()
        )
        for row in rows:
            entry = stats[row["lead_department_id"]]
            entry.open, entry.overdue_now, entry.yellow_now = row["n"], row["red"], row["yellow"]
    _add_month_rollups(stats, period, now)
    for group in _by_county(stats).values():
        _add_timeliness(group, period, now, calendar=county_calendar(_group_path(group)))
    _add_percentiles(stats, period)
    for row in case_selectors.department_bounce_counts(
        since=period.start, until=period.end, region_path=node.path
    ):
        if row["department_id"] in stats:
            stats[row["department_id"]].returned = row["returned"]
            stats[row["department_id"]].transferred = row["transferred"]
    # A reopen names the department that must redo the case in its payload (the lead that resolved it,
    # unless a supervisor named another): read from the event itself, no join with the cases.
    reopens = (
        CaseEvent.objects.filter(
            kind=EventKind.REOPEN, created_at__gte=period.start, created_at__lt=period.end
        )
        .values(Key.LEAD_DEPARTMENT.lookup)
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in reopens:
        department = row[Key.LEAD_DEPARTMENT.lookup]
        if department in stats:
            stats[department].reopened = row["n"]
    return [stats[d.pk] for d in departments]


def region_tables(
    *,
    user,
    node: Node,
    period: Period,
    now: datetime,
    tiers: list[str],
    departments: list[Department] | None = None,
    live: bool = True,
) -> dict[str, list[RegionStats]]:
    """Per tier of ``tiers`` (a city: counties; a province: cities and counties), per region of that tier
    in the node's subtree: the sums of ``department_table`` over the region's departments, and the median
    and 90th percentile handling time of the cases its departments resolved. The department table is read
    once for every tier: the queries of one department table plus two."""
    if departments is None:
        departments = node_departments(node=node)
    rows = department_table(user=user, node=node, period=period, now=now, departments=departments, live=live)
    regions = _regions_of(node, tiers)
    days = _resolved_days([d.pk for d in departments], period)
    result: dict[str, list[RegionStats]] = {}
    for tier in tiers:
        stats = {r.pk: RegionStats(region=r) for r in regions[tier]}
        resolved: dict[int, list[Decimal]] = defaultdict(list)
        for row in rows:
            region = _owner(row.department, regions[tier])
            if region is not None:
                stats[region.pk].add(row)
                resolved[region.pk] += days.get(row.department.pk, [])
        for pk, values in resolved.items():
            if values:
                stats[pk].median_days = percentile(values, 0.5)
                stats[pk].p90_days = percentile(values, 0.9)
        result[tier] = [stats[r.pk] for r in regions[tier]]
    return result


def _regions_of(node: Node, tiers: list[str]) -> dict[str, list[Region]]:
    """The regions of each tier in the node's subtree, by code: one query."""
    grouped: dict[str, list[Region]] = {tier: [] for tier in tiers}
    for region in Region.objects.filter(tier__in=tiers, path__startswith=node.path).order_by("code"):
        grouped[region.tier].append(region)
    return grouped


def _owner(department: Department, regions: list[Region]) -> Region | None:
    return next((r for r in regions if department.region.path.startswith(r.path)), None)


def _resolved_days(department_ids: list[int], period: Period) -> dict[int, list[Decimal]]:
    """Handling days of the cases each department resolved in the period (percentiles do not add up, so a
    region's are taken over its departments' cases themselves)."""
    days: dict[int, list[Decimal]] = defaultdict(list)
    resolved = CaseFact.objects.filter(
        lead_department_id__in=sorted(department_ids),
        resolved_at__gte=period.start,
        resolved_at__lt=period.end,
        handling_days__isnull=False,
    ).values_list("lead_department_id", "handling_days")
    for department_id, value in resolved:
        days[department_id].append(value)
    return days


def region_months(
    *, node: Node, tiers: list[str], departments: list[Department], months: list[Period], now: datetime
) -> dict[str, tuple[list[Region], dict[tuple[int, str], RegionStats]]]:
    """``department_months`` (read once) summed per region of each tier: the light board of a city's
    counties, or of a province's cities and counties."""
    cells = department_months(departments=departments, months=months, now=now)
    regions = _regions_of(node, tiers)
    result = {}
    for tier in tiers:
        sums = {(r.pk, m.key): RegionStats(region=r) for r in regions[tier] for m in months}
        for department in departments:
            region = _owner(department, regions[tier])
            if region is not None:
                for month in months:
                    sums[(region.pk, month.key)].add(cells[(department.pk, month.key)])
        result[tier] = (regions[tier], sums)
    return result


def _by_county(stats: dict[int, DepartmentStats]) -> dict[str, dict[int, DepartmentStats]]:
    """Departments grouped by their county, so working days are counted on each county's calendar."""
    groups: dict[str, dict[int, DepartmentStats]] = defaultdict(dict)
    for pk, entry in stats.items():
        groups[county_path(entry.department.region.path)][pk] = entry
    return groups


def _group_path(group: dict[int, DepartmentStats]) -> str:
    return next(iter(group.values())).department.region.path


def _add_month_rollups(stats: dict[int, DepartmentStats], period: Period, now: datetime) -> None:
    this_month = current_period(MONTH, now)
    rows = (
        DepartmentMonthStat.objects.filter(
            department_id__in=sorted(stats), month__gte=period.first_day, month__lt=period.next_first_day
        )
        .values("department_id")
        .annotate(
            on_time=Sum("on_time"),
            late=Sum("late"),
            # Running clocks of months already over are late; the current month's are settled live below.
            running_past=Sum("running", filter=Q(month__lt=this_month.first_day)),
            resolved=Sum("resolved"),
            satisfied=Sum("satisfied"),
            basically_satisfied=Sum("basically_satisfied"),
            unsatisfied=Sum("unsatisfied"),
        )
        .order_by()
    )
    for row in rows:
        entry = stats[row["department_id"]]
        entry.on_time = row["on_time"] or 0
        entry.late = (row["late"] or 0) + (row["running_past"] or 0)
        entry.resolved = row["resolved"] or 0
        entry.satisfied = row["satisfied"] or 0
        entry.basically_satisfied = row["basically_satisfied"] or 0
        entry.unsatisfied = row["unsatisfied"] or 0
    if period.first_day <= this_month.first_day < period.next_first_day:
        live = (
            _running_late(
                CaseFact.objects.filter(lead_department_id__in=sorted(stats)), this_month.start, now
            )
            .values("lead_department_id")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for row in live:
            stats[row["lead_department_id"]].late += row["n"]


# What the timeliness needs of a fact (``projection.cohort_class`` reads the clock fields).
_TIMELINESS_FIELDS = (
    "lead_department_id",
    "status",
    "due_at",
    "reasoned_reply_due_at",
    "reasoned_reply_at",
    "follow_up_due_at",
    "withdrawn_at",
    "clock_paused_at",
    "suspended_until",
    "resolved_at",
)


def timeliness_facts(department_ids: list[int], period: Period) -> QuerySet:
    """The facts of these departments that can be late in or carried into ``period``: due before its end
    and not settled before its start (not-accepted cases have no deadline to keep). The read the
    timeliness is built on, and the one ``scripts/measure_fact_indexes.py`` measures."""
    return (
        CaseFact.objects.filter(lead_department_id__in=department_ids, due_at__lt=period.end)
        .exclude(status=CaseStatus.NOT_ACCEPTED)
        .filter(
            Q(resolved_at__isnull=True, withdrawn_at__isnull=True)
            | Q(resolved_at__gte=period.start)
            | Q(withdrawn_at__gte=period.start)
        )
        .values(*_TIMELINESS_FIELDS)
    )


def _add_timeliness(
    stats: dict[int, DepartmentStats], period: Period, now: datetime, *, calendar: CalendarSnapshot
) -> None:
    """Credit the late cases due in ``period`` and count the cases carried into it (docs/RANKINGS.md).

    Reads the facts that can be late in or carried into the period — due before its end and not settled
    before its start — one query; each is judged by ``projection.cohort_class`` (the rollups' own rule) and
    credited by ``rankings.case_credit``.
    """
    from . import projection, rankings  # both import this module

    end = min(period.end, now)
    for values in timeliness_facts(sorted(stats), period):
        entry = stats[values["lead_department_id"]]
        deadline = projection.deadline_of(values)
        verdict = projection.cohort_class(values)
        settled_at = values["resolved_at"] or values["withdrawn_at"]
        suspended_late = (
            values["status"] == CaseStatus.SUSPENDED
            and values["suspended_until"] is not None
            and values["suspended_until"] < end
        )
        if period.start <= deadline < period.end:
            late = verdict == projection.LATE or (verdict == projection.RUNNING and deadline < now)
            if not late and suspended_late and verdict is None:
                # A suspension past its limit is late although the clock is paused (judged when the limit
                # passed): it joins the period's late cases.
                entry.late += 1
                late = True
            if late:
                overdue = working_days_overdue(deadline, settled_at or end, calendar=calendar).days
                entry.overdue_days += overdue
                entry.late_credit += rankings.case_credit(
                    resolved=settled_at is not None and values["withdrawn_at"] is None,
                    days_late=overdue,
                    answered_in_time=reasoned_in_time(
                        values["reasoned_reply_at"], values["reasoned_reply_due_at"]
                    ),
                )
        elif deadline < period.start and (settled_at is None or settled_at >= period.start):
            # Due before the period and still open at its start: overdue all or part of it, so it counts
            # late again (credit 0) in every period it stays open — unless the rule did not find it late
            # (suspended before its deadline and within its limit, or settled by a reasoned "no").
            if verdict in (projection.LATE, projection.RUNNING):
                entry.carried += 1
                entry.overdue_days += working_days_overdue(
                    max(deadline, period.start), settled_at or end, calendar=calendar
                ).days
            elif suspended_late:
                entry.carried += 1


def _add_percentiles(stats: dict[int, DepartmentStats], period: Period) -> None:
    resolved = CaseFact.objects.filter(
        lead_department_id__in=sorted(stats),
        resolved_at__gte=period.start,
        resolved_at__lt=period.end,
        handling_days__isnull=False,
    )
    if connection.vendor == "postgresql":
        rows = (
            resolved.values("lead_department_id")
            .annotate(median=PercentileCont("handling_days", 0.5), p90=PercentileCont("handling_days", 0.9))
            .order_by()
        )
        for row in rows:
            stats[row["lead_department_id"]].median_days = row["median"]
            stats[row["lead_department_id"]].p90_days = row["p90"]
        return
    values: dict[int, list[Decimal]] = defaultdict(list)
    for department_id, days in resolved.values_list("lead_department_id", "handling_days"):
        values[department_id].append(days)
    for department_id, days in values.items():
        stats[department_id].median_days = percentile(days, 0.5)
        stats[department_id].p90_days = percentile(days, 0.9)


def department_months(
    *, departments: list[Department], months: list[Period], now: datetime
) -> dict[tuple[int, str], DepartmentStats]:
    """On-time verdicts per department and month (the monthly light board), open overdue cases carried
    in: ``{(department id, month key): stats}``; two queries plus one per month."""
    result = {(d.pk, m.key): DepartmentStats(d) for d in departments for m in months}
    if not departments or not months:
        return result
    this_month = current_period(MONTH, now)
    by_id = {d.pk: d for d in departments}
    rows = DepartmentMonthStat.objects.filter(
        department_id__in=sorted(by_id), month__gte=months[0].first_day, month__lt=months[-1].next_first_day
    ).values("department_id", "month", "on_time", "late", "running", "resolved")
    for row in rows:
        key = (row["department_id"], f"{row['month']:%Y-%m}")
        if key not in result:
            continue
        entry = result[key]
        entry.on_time += row["on_time"]
        entry.late += row["late"] + (row["running"] if row["month"] < this_month.first_day else 0)
        entry.resolved += row["resolved"]
    if any(m.key == this_month.key for m in months):
        live = (
            _running_late(
                CaseFact.objects.filter(lead_department_id__in=sorted(by_id)), this_month.start, now
            )
            .values("lead_department_id")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for row in live:
            result[(row["lead_department_id"], this_month.key)].late += row["n"]
    # Open overdue cases due earlier are carried into each month they stay open (a light must not turn
    # green, or off, while they rot): one query per month.
    for month in months:
        if month.start < now:
            for group in _by_county({d.pk: result[(d.pk, month.key)] for d in departments}).values():
                _add_timeliness(group, month, now, calendar=county_calendar(_group_path(group)))
    return result


# --- Trends -----------------------------------------------------------------------------------------------


def trend(*, node: Node, kind: str, count: int, now: datetime) -> list[PeriodNumbers]:
    """The last ``count`` weeks or months (oldest first) for the region: see ``region_periods``."""
    return region_periods(node=node, periods=last_periods(kind, count, now), now=now)


# --- Cases listed for the bulletin ----------------------------------------------------------------------


def bulletin_cases(*, user, node: Node, period: Period) -> QuerySet[Case]:
    """Cases the deadline ladder listed for the bulletin (通报) during the period, in the region."""
    return (
        case_selectors.case_list_visible(user=user)
        .filter(in_node(node.path), bulletin_at__gte=period.start, bulletin_at__lt=period.end)
        .order_by("bulletin_at", "pk")
    )


__all__ = [
    "OVERDUE_SORTS",
    "CaseStatus",
    "ChildCounts",
    "DepartmentStats",
    "Node",
    "OpenCounts",
    "PendingExtensions",
    "PeriodNumbers",
    "PeriodStats",
    "RegionStats",
    "bulletin_cases",
    "county_calendar",
    "days_overdue",
    "department_months",
    "department_table",
    "follow_up_count",
    "in_node",
    "node_departments",
    "open_counts",
    "overdue_cases",
    "overdue_cutoff",
    "pending_extensions",
    "pending_review_count",
    "refusals_by_reason",
    "region_months",
    "region_node",
    "region_periods",
    "region_tables",
    "review_queue",
    "supervision_roots",
    "trend",
    "with_action_marks",
]
