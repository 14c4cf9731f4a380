"""The counties a seed spreads its history over, and copies of a county's organisation for a province-sized
seed.

``seed_counties`` picks the counties: the ones named, or by default every county with active service
windows, active handling departments and active categories (what ``world.build_world`` needs).
``counties_split`` shares the cases out evenly. ``counties_clone`` copies a county's organisation under
new county codes, so that a benchmark can seed several counties of one city (issue 19's partitioning
measurement) without an organisation file per county.

Invariants
- A clone is the source county's organisation under another code and nothing else: regions below it,
  departments, windows, staff (one new user per source user, with an unusable password), memberships
  (created one by one so the role groups follow, ``routing.signals``), categories with their default lead
  departments and category-specific deadline policies, and the county's own calendar rows and business
  hours. Cases, write-ups and reference data are not copied.
- A clone's code is 6 digits with the source's first 4 (same city), the first free ones after the
  source's in numeric order, wrapping round within the city (330681 → 330682, 330683 …); the regions below
  keep their suffixes (330681001 → 330682001), so paths, tracking numbers and scoping work as for any county.
- A clone hangs where the source hangs (``parent`` is the source's parent: the demo's city 330600, so a
  city supervisor oversees and ranks the copies too).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.db.models import Q

from cases.models import Category, CategoryDefaultDepartment, SlaPolicy
from routing.calendar.models import BusinessHours, WorkingDay
from routing.choices import DepartmentRole, Tier
from routing.models import Department, Membership, Region, ServiceWindow
from routing.paths import county_path

from .writer import SeedError

# Fields never copied: the key, the timestamps, and what the copy derives (a region's path).
_NOT_COPIED = {"id", "created_at", "updated_at", "path"}


def seed_counties(codes: Sequence[str] | None = None) -> list[Region]:
    """The counties to seed, in code order: those named by ``codes``, or every county that can take cases
    (active windows, active handling departments and active categories in its subtree)."""
    counties = Region.objects.filter(tier=Tier.COUNTY).order_by("code")
    if codes:
        wanted = list(dict.fromkeys(codes))
        found = {c.code: c for c in counties.filter(code__in=wanted)}
        missing = [code for code in wanted if code not in found]
        if missing:
            raise SeedError(f"no such county: {', '.join(missing)}")
        return [found[code] for code in sorted(found)]
    chosen = [
        county
        for county in counties
        if ServiceWindow.objects.filter(region__path__startswith=county.path, is_active=True).exists()
        and Department.objects.filter(
            region__path__startswith=county.path, is_active=True, role=DepartmentRole.HANDLING
        ).exists()
        and Category.objects.filter(county=county, is_active=True).exists()
    ]
    if not chosen:
        raise SeedError("no organisation: run `manage.py load_demo` first")
    return chosen


def largest_county() -> Region | None:
    """The county with the most active windows (the lowest code among equals): what a single-county world
    and ``counties_clone`` start from by default, the demo's full county rather than its small second one."""
    windows = Counter(
        county_path(path)
        for path in ServiceWindow.objects.filter(is_active=True).values_list("region__path", flat=True)
    )
    counties = list(Region.objects.filter(tier=Tier.COUNTY).order_by("code"))
    return max(counties, key=lambda c: (windows[c.path], -int(c.code)), default=None)


def counties_split(cases: int, count: int) -> list[int]:
    """``cases`` shared evenly over ``count`` counties; the first counties (in code order) take the remainder."""
    share, remainder = divmod(cases, count)
    return [share + (1 if i < remainder else 0) for i in range(count)]


def county_codes_free(source: Region, count: int) -> list[str]:
    """The first ``count`` unused 6-digit county codes of the source's city (its first 4 digits), after the
    source's in numeric order, wrapping round to 01."""
    city = source.code[:4]
    used = set(Region.objects.filter(code__startswith=city).values_list("code", flat=True))
    start = int(source.code[4:])
    candidates = [f"{city}{(start + step - 1) % 99 + 1:02d}" for step in range(1, 100)]
    free = [code for code in candidates if code not in used]
    if len(free) < count:
        raise SeedError(f"the city {city} has only {len(free)} free county codes")
    return free[:count]


def counties_clone(*, count: int, source: Region | None = None) -> list[Region]:
    """``count`` new counties, each a copy of ``source``'s organisation (default: ``largest_county``), in one
    transaction; returns them in code order."""
    source = source or largest_county()
    if source is None:
        raise SeedError("no organisation: run `manage.py load_demo` first")
    if source.tier != Tier.COUNTY:
        raise SeedError(f"{source.code} is not a county")
    with transaction.atomic():
        return [_clone(source, code) for code in county_codes_free(source, count)]


def _copy(obj: models.Model, **changes) -> models.Model:
    """A new row with ``obj``'s column values (``changes`` by attribute name win), saved with ``save()``."""
    values = {
        f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields if f.attname not in _NOT_COPIED
    }
    values.update(changes)
    copy = type(obj)(**values)
    copy.save()
    return copy


def _clone(source: Region, code: str) -> Region:
    name = f"{source.name}（{code}）"
    regions: dict[int, Region] = {}
    for region in Region.objects.filter(path__startswith=source.path).order_by("path"):
        is_county = region.pk == source.pk
        regions[region.pk] = _copy(
            region,
            code=code + region.code[len(source.code) :],
            name=name if is_county else region.name,
            parent_id=source.parent_id if is_county else regions[region.parent_id].pk,
        )
    county = regions[source.pk]

    def renamed(text: str) -> str:
        return text.replace(source.name, name)

    def recoded(text: str) -> str:
        # Window codes carry their region's code (330681-w01); department codes do not (scjg).
        return code + text[len(source.code) :] if text.startswith(source.code) else f"{code}-{text}"

    departments = {
        dep.pk: _copy(
            dep, region_id=regions[dep.region_id].pk, code=recoded(dep.code), name=renamed(dep.name)
        )
        for dep in Department.objects.filter(region_id__in=regions).order_by("pk")
    }
    windows = {
        w.pk: _copy(w, region_id=regions[w.region_id].pk, code=recoded(w.code), name=renamed(w.name))
        for w in ServiceWindow.objects.filter(region_id__in=regions).order_by("pk")
    }
    User = get_user_model()
    users: dict[int, models.Model] = {}
    for m in Membership.objects.filter(region_id__in=regions).select_related("user").order_by("pk"):
        if m.user_id not in users:
            user = User(username=f"{m.user.username}.{code}", first_name=m.user.first_name, is_active=True)
            user.set_unusable_password()
            user.save()
            users[m.user_id] = user
        Membership.objects.create(
            user=users[m.user_id],
            role=m.role,
            region_id=regions[m.region_id].pk,
            department_id=departments[m.department_id].pk if m.department_id else None,
            window_id=windows[m.window_id].pk if m.window_id else None,
        )
    categories: dict[int, Category] = {}
    pending = list(Category.objects.filter(county=source).order_by("pk"))
    while pending:  # parents before children, whatever the ids
        ready = [c for c in pending if c.parent_id is None or c.parent_id in categories]
        if not ready:
            raise SeedError(f"the categories of {source.code} form a cycle")
        for c in ready:
            categories[c.pk] = _copy(
                c, county_id=county.pk, parent_id=categories[c.parent_id].pk if c.parent_id else None
            )
        pending = [c for c in pending if c.pk not in categories]
    for rule in CategoryDefaultDepartment.objects.filter(category_id__in=categories).order_by("pk"):
        _copy(
            rule,
            category_id=categories[rule.category_id].pk,
            region_id=regions[rule.region_id].pk,
            department_id=departments[rule.department_id].pk,
        )
    for policy in SlaPolicy.objects.filter(category_id__in=categories).order_by("pk"):
        _copy(policy, category_id=categories[policy.category_id].pk)
    for day in WorkingDay.objects.filter(Q(region=source)).order_by("pk"):
        _copy(day, region_id=county.pk)
    for hours in BusinessHours.objects.filter(region=source):
        _copy(hours, region_id=county.pk)
    return county
