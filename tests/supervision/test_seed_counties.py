"""``seed_cases`` over several counties: copies of a county's organisation, and a history spread over them.

Checked on two counties (the test organisation's and one copy): the copy is the source's organisation
under a code of the same city; each county gets its share of the cases; every case stays inside its
county (intake region, window, clerk, category, lead department, every assignment, handling path); facts,
rollups and the hash chains agree as in ``test_seed``; the same seed gives the same history.
"""

from __future__ import annotations

from collections import Counter

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from audit.chain import chains_verify
from cases.models import Assignment, Case, Category, CategoryDefaultDepartment
from cases.sweep import sweep
from routing.choices import StaffRole, Tier
from routing.models import Department, Membership, Region, ServiceWindow
from supervision import projection
from supervision.models import CaseFact
from supervision.seed import SeedError, counties_clone, seed_cases, seed_counties
from supervision.seed.counties import counties_split, county_codes_free
from supervision.seed.generator import Generator
from supervision.seed.run import county_seed
from supervision.seed.world import build_world, plan_days
from supervision.seed.writer import TABLE_KEYS, tables

from .scenarios import at

pytestmark = pytest.mark.django_db

NOW = at("2026-03-20 11:47")


@pytest.fixture
def two_counties(org):
    (copy,) = counties_clone(count=1)
    return org.regions["county"], copy


@pytest.fixture
def seeded(two_counties):
    result = seed_cases(cases=301, days=60, seed=5, workers=0, now=NOW)
    assert result.cases == 301
    return two_counties


def test_a_copy_is_the_source_organisation_under_a_code_of_the_same_city(org):
    source = org.regions["county"]
    (copy,) = counties_clone(count=1)
    assert (copy.code, copy.tier, copy.parent_id, copy.path) == ("330682", Tier.COUNTY, None, "/330682/")

    def shape(county: Region) -> dict:
        regions = Region.objects.filter(path__startswith=county.path)
        return {
            "regions": sorted((r.tier, r.code[6:], r.name) for r in regions if r.pk != county.pk),
            "departments": sorted(
                (d.region.code[6:], d.role, d.is_active)
                for d in Department.objects.filter(region__in=regions).select_related("region")
            ),
            "windows": sorted(w.region.code[6:] for w in ServiceWindow.objects.filter(region__in=regions)),
            "memberships": sorted(
                (m.role, m.region.code[6:], bool(m.department_id), bool(m.window_id))
                for m in Membership.objects.filter(region__in=regions).select_related("region")
            ),
            "categories": sorted(
                (c.code, c.parent.code if c.parent else None) for c in Category.objects.filter(county=county)
            ),
            "defaults": sorted(
                (r.category.code, r.region.code[6:], r.department.region.code[6:])
                for r in CategoryDefaultDepartment.objects.filter(category__county=county).select_related(
                    "category", "region", "department__region"
                )
            ),
        }

    assert shape(copy) == shape(source)
    # Department roles stay inside the copy, and the copied staff are new users who cannot log in yet.
    for m in Membership.objects.filter(region__path__startswith=copy.path).select_related(
        "department", "user"
    ):
        assert m.department is None or m.department.region.path.startswith(copy.path)
        assert not m.user.has_usable_password()
        assert m.user.groups.exists()  # the role groups follow the memberships (routing.signals)
    assert (
        Membership.objects.filter(region__path__startswith=source.path).count()
        == Membership.objects.filter(region__path__startswith=copy.path).count()
    )
    # The next copies take the next free codes of the city.
    assert county_codes_free(source, 2) == ["330683", "330684"]


def test_the_command_adds_counties_and_seeds_them_all(org):
    call_command("seed_cases", "--extra-counties", "2", "--cases", "0", verbosity=0)
    assert [c.code for c in seed_counties()] == ["330681", "330682", "330683"]
    call_command("seed_cases", "--cases", "30", "--days", "10", "--counties", "330683,330681", verbosity=0)
    per_county = Counter(path.split("/")[1] for path in Case.objects.values_list("region_path", flat=True))
    assert per_county == {"330681": 15, "330683": 15}
    with pytest.raises(CommandError, match="330699"):
        call_command("seed_cases", "--cases", "3", "--counties", "330699", verbosity=0)


def test_cases_are_shared_evenly():
    assert counties_split(301, 2) == [151, 150]
    assert counties_split(5, 6) == [1, 1, 1, 1, 1, 0]


def test_each_county_gets_its_share(seeded):
    first, second = seeded
    assert Case.objects.filter(region_path__startswith=first.path).count() == 151
    assert Case.objects.filter(region_path__startswith=second.path).count() == 150


def test_every_case_stays_inside_its_county(seeded):
    counties = {c.path for c in seeded}
    cases = Case.objects.select_related(
        "window__region", "region", "lead_department__region", "category", "clerk"
    ).prefetch_related("assignments__department__region")
    clerks = {
        (m.user_id, m.region.path)
        for m in Membership.objects.filter(role=StaffRole.CLERK).select_related("region")
    }
    for case in cases:
        county = "/" + case.region_path.split("/")[1] + "/"
        assert county in counties, case.tracking_number
        assert case.region.path == case.region_path
        assert case.window.region.path.startswith(county)
        assert case.handling_region_path.startswith(county)
        assert case.category.county.path == county
        assert case.tracking_number.startswith(case.region.code)
        assert any(user == case.clerk_id and path.startswith(county) for user, path in clerks)
        if case.lead_department_id:
            assert case.lead_department.region.path.startswith(county)
        for assignment in case.assignments.all():
            assert assignment.department.region.path.startswith(county), case.tracking_number
    assert (
        not Assignment.objects.exclude(case__region_path__startswith="/330681/")
        .filter(department__region__path__startswith="/330681/")
        .exists()
    )


def test_facts_rollups_and_chains_are_consistent(seeded):
    assert CaseFact.objects.count() == Case.objects.count()
    for fact in CaseFact.objects.select_related("region", "lead_department__region"):
        county = "/" + fact.region_path.split("/")[1] + "/"
        assert fact.region.path.startswith(county)
        assert fact.lead_department is None or fact.lead_department.region.path.startswith(county)
    maintained = {row["case_id"]: row for row in CaseFact.objects.values("case_id", *projection.FACT_COLUMNS)}
    assert projection.rollups_differences() == {}
    projection.case_facts_rebuild()
    rebuilt = {row["case_id"]: row for row in CaseFact.objects.values("case_id", *projection.FACT_COLUMNS)}
    assert rebuilt == maintained
    report = chains_verify(compare_digest=False)
    assert report.cases == 301 and report.breaks == []
    assert sweep(now=NOW)["fired"] == 0


def _generated(county: Region, seed: int) -> dict[str, list[str]]:
    """The COPY lines of 40 cases over 5 days of ``county``, generated in memory."""
    world = build_world(days=5, now=NOW, seed=seed, county=county)
    world.day_counts = plan_days(world, 40, seed)
    out: dict[str, list[str]] = {key: [] for key in TABLE_KEYS}
    generator, index = Generator(world, tables(), seed), 0
    for offset, count in enumerate(world.day_counts):
        if count:
            generator.day(world.first_day + offset, count, index, out)
            index += count
    return out


def test_same_seed_same_history_and_counties_differ(two_counties):
    first, second = two_counties
    own = county_seed(5, second.code, first=False)
    once, again = _generated(second, own), _generated(second, own)
    assert once["case"] == again["case"] and once["assignment"] == again["assignment"]
    assert once["event"] == again["event"]
    # The copy draws its own history, not the source's again under other codes.
    source = _generated(first, 5)
    assert [line.split("\t")[2:] for line in source["case"]] != [
        line.split("\t")[2:] for line in once["case"]
    ]
    assert county_seed(5, first.code, first=True) == 5


def test_unknown_or_empty_counties_are_refused(org):
    with pytest.raises(SeedError, match="330699"):
        seed_counties(["330699"])
    Region.objects.create(code="330682", name="空县", tier=Tier.COUNTY)
    assert [c.code for c in seed_counties()] == ["330681"]  # no windows, departments or categories
