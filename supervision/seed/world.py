"""The organisation the seed generates cases over, read from the database once, before any worker starts.

``World`` holds everything a worker needs (regions, windows and their clerks, departments and their
staff, categories and their default lead departments, deadline profiles, the working-day calendar as a
``FastCalendar``, the first free id of each table), so generating a case never queries. ``plan_days``
spreads the cases over the days of the span.

Invariants
- One world is one county: only active windows, departments and categories of the county (and everything
  below it) are used, so every case a world generates stays inside that county.
- A category's default lead department is the workflow's (``cases.workflow.default_lead_rule``); where the
  workflow has none, the seed picks a county department, since every seeded case is routed.
- A deadline profile is what ``cases.sla`` gives for the classification (policy and limits, green
  channel applied): the seed's deadlines are the loop's own.
- The same ``seed`` draws the same world (category weights, id-number pools).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.utils import timezone

from cases import clocks as d
from cases import sla
from cases.choices import Complexity, HandlingMode, MatterKind
from cases.models import (
    Assignment,
    Case,
    CaseEvent,
    CaseNumberCounter,
    Category,
    CategoryDefaultDepartment,
    Requester,
    SlaPolicy,
)
from cases.validators import USCC_ALPHABET, credit_code_check_char, id_number_check_digit
from cases.workflow import default_lead_rule
from routing.calendar import calendar_snapshot
from routing.calendar.fastclock import FastCalendar, day_number, to_us
from routing.choices import DepartmentRole, StaffRole, Tier
from routing.models import Department, Membership, Region, ServiceWindow
from windowsvc.encryption import blind_index, encrypt

from .counties import largest_county
from .writer import SeedError

# Handling modes and how often each is chosen.
CLASSIFICATIONS = {
    HandlingMode.STANDARD: 0.70,
    HandlingMode.IMMEDIATE: 0.08,
    HandlingMode.EXPEDITED: 0.10,
    HandlingMode.COORDINATED: 0.09,
    HandlingMode.SPECIAL: 0.03,
}
# Intake weight of a window by its region's tier.
TIER_WEIGHTS = {Tier.COUNTY: 6.0, Tier.TOWN: 3.0, Tier.VILLAGE: 1.0}


@dataclass
class Profile:
    """One classification's deadline rules: policy id and limits (green channel applied)."""

    policy_id: int | None
    limits: d.Limits


@dataclass
class Staff:
    """Who acts for the windows and departments: the first member of each role (by membership id)."""

    clerks: dict[int, int]  # window id → clerk user id
    heads: dict[int, int]  # department id → head user id
    handlers: dict[int, int]
    coordinator: int | None
    supervisor: int | None


@dataclass
class World:
    """Everything the generator needs, read from the database before the workers start."""

    now_us: int
    first_day: int  # day numbers (local dates)
    last_day: int
    fast: FastCalendar
    county: Region
    regions: dict[int, Region]
    windows: list[tuple[ServiceWindow, float]]  # with intake weights
    clerks: dict[int, int]  # window id → clerk user id
    heads: dict[int, int]  # department id → head user id
    handlers: dict[int, int]
    coordinator: int | None
    supervisor: int | None
    centre: Department | None
    county_departments: list[Department]
    departments: dict[int, Department]
    categories: list[tuple[Category, float]]
    defaults: dict[tuple[int, int], int]  # (category id, region id) → default lead department id
    profiles: dict[tuple, Profile]
    share: float
    supervise_after: int
    supervision_days: int
    # Made-up numbers as the requester table stores them: (Fernet token, blind index), see ``_sealed``.
    id_pool: list[tuple[str, str]]
    credit_pool: list[tuple[str, str]]
    ids: dict[str, int]  # first free id per table
    numbers: dict[tuple[int, int], int]  # (region id, day number) → last tracking number sequence used
    day_counts: list[int] = field(default_factory=list)


def build_world(*, days: int, now: datetime, seed: int, county: Region | None = None) -> World:
    """The organisation of ``county`` (default: ``counties.largest_county``) as the generator sees it."""
    county = county or largest_county()
    if county is None:
        raise SeedError("no organisation: run `manage.py load_demo` first")
    rng = random.Random(seed)
    regions = {r.pk: r for r in Region.objects.filter(path__startswith=county.path)}
    windows = list(
        ServiceWindow.objects.filter(region__path__startswith=county.path, is_active=True).select_related(
            "region"
        )
    )
    if not windows:
        raise SeedError("the organisation has no service windows")
    departments = {
        dep.pk: dep
        for dep in Department.objects.filter(
            region__path__startswith=county.path, is_active=True
        ).select_related("region")
    }
    staff = _staff(county, windows, departments)
    centre = next((dep for dep in departments.values() if dep.role == DepartmentRole.COORDINATOR), None)
    handling = [dep for dep in departments.values() if dep.role == DepartmentRole.HANDLING]
    county_departments = sorted((dep for dep in handling if dep.region_id == county.pk), key=lambda x: x.code)
    if not county_departments:
        raise SeedError("the county has no handling departments")
    categories = list(Category.objects.filter(county=county, is_active=True).select_related("parent"))
    leaves = [c for c in categories if not any(o.parent_id == c.pk for o in categories)]
    if not leaves:
        raise SeedError("the county has no categories: run `manage.py load_demo`")
    category_weights = [(c, rng.uniform(0.5, 3.0)) for c in sorted(leaves, key=lambda c: c.code)]
    today = timezone.localdate(now)
    first = today - timedelta(days=days - 1)
    calendar = calendar_snapshot(region=county)
    return World(
        now_us=to_us(now),
        first_day=day_number(first),
        last_day=day_number(today),
        fast=FastCalendar(calendar, first - timedelta(days=40), today + timedelta(days=400)),
        county=county,
        regions=regions,
        windows=[(w, TIER_WEIGHTS.get(w.region.tier, 1.0)) for w in sorted(windows, key=lambda w: w.code)],
        clerks=staff.clerks,
        heads=staff.heads,
        handlers=staff.handlers,
        coordinator=staff.coordinator,
        supervisor=staff.supervisor,
        centre=centre,
        county_departments=county_departments,
        departments=departments,
        categories=category_weights,
        defaults=_default_leads(county, leaves, regions, departments, county_departments),
        profiles=_profiles(county, leaves),
        share=sla.yellow_share(),
        supervise_after=sla.supervise_after_days(),
        supervision_days=sla.supervision_days(),
        id_pool=_sealed(_id_pool(rng, 4000), purpose="id_number"),
        credit_pool=_sealed(_credit_pool(rng, 1000), purpose="credit_code"),
        ids=_first_free_ids(),
        numbers=_numbers_used(first),
    )


def _staff(county: Region, windows: list[ServiceWindow], departments: dict[int, Department]) -> Staff:
    clerks: dict[int, int] = {}
    for m in Membership.objects.filter(role=StaffRole.CLERK, region__path__startswith=county.path).order_by(
        "pk"
    ):
        if m.window_id:
            clerks.setdefault(m.window_id, m.user_id)
        else:
            for w in windows:
                if w.region_id == m.region_id:
                    clerks.setdefault(w.pk, m.user_id)
    heads: dict[int, int] = {}
    handlers: dict[int, int] = {}
    coordinator = None
    for m in Membership.objects.filter(department_id__in=list(departments)).order_by("pk"):
        if m.role == StaffRole.DEPARTMENT_HEAD:
            heads.setdefault(m.department_id, m.user_id)
        elif m.role == StaffRole.HANDLER:
            handlers.setdefault(m.department_id, m.user_id)
        elif m.role == StaffRole.COORDINATOR and coordinator is None:
            coordinator = m.user_id
    supervisor = (
        Membership.objects.filter(role=StaffRole.SUPERVISOR, region=county)
        .values_list("user_id", flat=True)
        .first()
    )
    return Staff(clerks, heads, handlers, coordinator, supervisor)


def _default_leads(
    county: Region,
    leaves: list[Category],
    regions: dict[int, Region],
    departments: dict[int, Department],
    county_departments: list[Department],
) -> dict[tuple[int, int], int]:
    """(category id, region id) → lead department id, for every leaf category and region."""
    rules = list(
        CategoryDefaultDepartment.objects.filter(category__county=county).select_related(
            "region", "department"
        )
    )
    defaults = {}
    for c in leaves:
        for r in regions.values():
            rule = default_lead_rule(rules, c, r.path)
            lead = rule.department_id if rule else None
            # No rule (the workflow would ask the clerk for a lead): any county department will do. A
            # department outside the county would be an id this load does not know.
            if lead is None or lead not in departments:
                lead = county_departments[c.pk % len(county_departments)].pk
            defaults[(c.pk, r.pk)] = lead
    return defaults


def _profiles(county: Region, leaves: list[Category]) -> dict[tuple, Profile]:
    """(category id, matter kind, handling mode, complexity, green channel) → deadline profile."""
    profiles = {}
    # Category-specific policies are rare: without any, one lookup per classification serves every category.
    specific = SlaPolicy.objects.filter(is_active=True, category__isnull=False).exists()
    generic: dict[tuple, Profile] = {}
    for c in leaves:
        for mk in MatterKind:
            for mode in CLASSIFICATIONS:
                for cx in Complexity:
                    for green in (False, True):
                        key = (mk.value, mode.value, cx.value, green)
                        if specific or key not in generic:
                            probe = Case(
                                category=c if specific else None,
                                matter_kind=mk,
                                handling_mode=mode,
                                complexity=cx,
                                green_channel=green,
                                region_path=county.path,
                                tracking_number="seed",
                            )
                            policy = sla.policy_for(probe)
                            generic[key] = Profile(
                                policy.pk if policy else None,
                                sla.limits_of(
                                    policy,
                                    green_channel=green,
                                    matter_kind=mk.value,
                                    handling_mode=mode.value,
                                    complexity=cx.value,
                                ),
                            )
                        profiles[(c.pk, *key)] = generic[key]
    return profiles


def _first_free_ids() -> dict[str, int]:
    ids = {}
    for key, model in (
        ("requester", Requester),
        ("case", Case),
        ("assignment", Assignment),
        ("event", CaseEvent),
    ):
        last = model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        ids[key] = last + 1
    return ids


def _numbers_used(first: date) -> dict[tuple[int, int], int]:
    return {
        (region_id, day_number(day)): value
        for region_id, day, value in CaseNumberCounter.objects.filter(day__gte=first).values_list(
            "region_id", "day", "last_value"
        )
    }


def _id_pool(rng: random.Random, size: int) -> list[str]:
    pool = []
    for _ in range(size):
        birth = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 365 * 55))
        first17 = f"330699{birth:%Y%m%d}{rng.randrange(1000):03d}"
        pool.append(first17 + id_number_check_digit(first17))
    return pool


def _credit_pool(rng: random.Random, size: int) -> list[str]:
    pool = []
    for _ in range(size):
        body = "".join(rng.choice(USCC_ALPHABET) for _ in range(9))
        first17 = f"91330699{body}"
        pool.append(first17 + credit_code_check_char(first17))
    return pool


def _sealed(numbers: list[str], *, purpose: str) -> list[tuple[str, str]]:
    """Each number encrypted under the newest key and indexed, once per distinct number instead of once per
    row: rows that share a number share its token, which tells no more than their equal blind indexes do."""
    return [(encrypt(number), blind_index(number, purpose=purpose)) for number in numbers]


def plan_days(world: World, cases: int, seed: int) -> list[int]:
    """Cases per day: working days weigh 1, rest days 0.12 (online only), with a slow growth over the span."""
    rng = random.Random(seed * 7919 + 1)
    span = world.last_day - world.first_day + 1
    weights = []
    for i in range(span):
        day = world.first_day + i
        base = 1.0 if world.fast.is_working(day) else 0.12
        weights.append(base * (0.8 + 0.4 * i / max(span - 1, 1)) * rng.uniform(0.85, 1.15))
    total = sum(weights)
    raw = [cases * w / total for w in weights]
    counts = [math.floor(x) for x in raw]
    remainder = cases - sum(counts)
    for i in sorted(range(span), key=lambda i: raw[i] - counts[i], reverse=True)[:remainder]:
        counts[i] += 1
    return counts
