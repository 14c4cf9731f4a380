"""A city above its counties (issue 19): one supervisor oversees two counties, ranks them against each other
with the departments' own formula, and sees nothing of a county in another city.

Scripted March 2026, ranked on 2026-04-15:

- 诸暨市 (330681, the factories' county) resolves three cases on time, requesters satisfied;
- 枫桥县 (330682, a small second county of the same city 330600) leaves its three cases open past the
  deadline;
- 柯桥区 (330702, in another city) has one case the city supervisor must never see.

Doing nothing must rank below doing things at the city level too: the county left open is last, with
nothing earned for timeliness, and its overdue cases are carried into April.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from cases import services
from cases.choices import Complexity, HandlingMode, MatterKind
from routing.choices import StaffRole, Tier
from routing.models import Department, Membership, Region, ServiceWindow
from routing.scoping import scope_for
from supervision import reports, selectors
from supervision.periods import MONTH, YEAR, current_period
from tests.factories import (
    CategoryFactory,
    DepartmentFactory,
    RegionFactory,
    ServiceWindowFactory,
    build_org,
    staff,
    take_in,
)

from .scenarios import SATISFIED, at, resolve, routed_case, travel


def _county(org, key: str, code: str, name: str) -> Region:
    """A small county: one bureau with a handler, one window with its clerk, one category."""
    county = RegionFactory(code=code, name=name, tier=Tier.COUNTY, parent=org.regions.get("city"))
    org.regions[key] = county
    org.windows[key] = ServiceWindowFactory(code=f"W-{key}", name=f"{name}办不成事窗口", region=county)
    org.users[f"{key}_clerk"] = staff(StaffRole.CLERK, county, username=f"{key}_clerk")
    bureau = DepartmentFactory(code=f"D-{key}_market", name=f"{name}市场监管局", region=county)
    org.departments[f"{key}_market"] = bureau
    org.users[f"{key}_market_handler"] = staff(
        StaffRole.HANDLER, county, department=bureau, username=f"{key}_market_handler"
    )
    org.categories = getattr(org, "categories", {})
    org.categories[key] = CategoryFactory(county=county, code="MKT", name="市场主体登记")
    return county


def _routed(org, key: str, when: str):
    with travel(when):
        case = take_in(
            org,
            key,
            category=org.categories[key],
            matter_kind=MatterKind.DIFFICULT,
            complexity=Complexity.GENERAL,
            handling_mode=HandlingMode.STANDARD,
        )
        services.case_assign(
            actor=org[f"{key}_clerk"], case_id=case.pk, lead_department=org.dept(f"{key}_market")
        )
        services.assignment_accept(actor=org[f"{key}_market_handler"], case_id=case.pk)
    return case


def build_city():
    """The factories' organisation under the city 330600, a second county in it, a county of another city,
    a city supervisor, and March's cases (see the module docstring)."""
    org = build_org()
    city = RegionFactory(code="330600", name="绍兴市", tier=Tier.CITY)
    org.regions["city"] = city
    county = org.regions["county"]
    county.parent = city
    county.save()
    _county(org, "fengqiao", "330682", "枫桥县")
    RegionFactory(code="330700", name="金华市", tier=Tier.CITY)
    org.regions["city"] = city
    other = _county(org, "keqiao", "330702", "柯桥区")
    other.parent = Region.objects.get(code="330700")
    other.save()
    org.users["city_supervisor"] = staff(StaffRole.SUPERVISOR, city, username="city_supervisor")
    cases = {"county": [], "fengqiao": [], "keqiao": []}
    for _n in range(3):
        case = routed_case(org, when="2026-03-02 09:00", lead="market")
        cases["county"].append(
            resolve(org, case, when="2026-03-05 10:00", lead="market", satisfaction=SATISFIED)
        )
        cases["fengqiao"].append(_routed(org, "fengqiao", "2026-03-02 09:00"))
    cases["keqiao"].append(_routed(org, "keqiao", "2026-03-02 09:00"))
    return org, cases


@pytest.fixture
def city(db):
    return build_city()


def test_a_city_stores_its_naming_digits_and_adding_it_changes_no_county_path(city):
    org, _cases = city
    assert org.regions["city"].path == "/3306"
    # The county's path is its own code whatever lies above it: cases' stored paths never move.
    assert org.regions["county"].path == "/330681/"
    assert org.regions["t1"].path == "/330681/330681001/"
    assert Region.objects.get(code="330682").path == "/330682/"
    subtree = set(Region.objects.subtree(org.regions["city"]).values_list("code", flat=True))
    assert {"330600", "330681", "330681001", "330681002001", "330682"} <= subtree
    assert "330702" not in subtree and "330700" not in subtree
    assert [r.code for r in org.regions["city"].subregions().order_by("code")] == ["330681", "330682"]


@pytest.mark.parametrize(
    ("tier", "code", "parent_code", "field"),
    [
        (Tier.CITY, "330681", None, "code"),  # a city's code ends in 00
        (Tier.PROVINCE, "330600", None, "code"),  # a province's in 0000
        (Tier.COUNTY, "320581", "330600", "code"),  # a county lies in its city's digits
        (Tier.TOWN, "330681009", None, "parent"),  # a town needs its county
        (Tier.CITY, "330800", "330681", "parent"),  # a city's parent is a province
    ],
)
def test_region_codes_and_parents_are_checked(city, tier, code, parent_code, field):
    parent = Region.objects.get(code=parent_code) if parent_code else None
    with pytest.raises(ValidationError) as error:
        Region(code=code, name="测试", tier=tier, parent=parent).full_clean()
    assert field in error.value.message_dict


def test_a_city_runs_no_window_holds_no_department_and_only_oversees(city):
    org, _cases = city
    city_region = org.regions["city"]
    with pytest.raises(ValidationError) as error:
        Department(code="D-city", name="市局", region=city_region).full_clean()
    assert "region" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        ServiceWindow(code="W-city", name="市窗口", region=city_region).full_clean()
    assert "region" in error.value.message_dict
    clerk = Membership(user=org["stranger"], role=StaffRole.CLERK, region=city_region)
    with pytest.raises(ValidationError) as error:
        clerk.full_clean()
    assert "role" in error.value.message_dict
    Membership(user=org["stranger"], role=StaffRole.SUPERVISOR, region=city_region).full_clean()


def test_the_city_supervisor_sees_both_counties_and_nothing_of_another_city(city):
    org, cases = city
    client = APIClient()
    client.force_authenticate(org["city_supervisor"])
    response = client.get("/api/v1/cases/", {"page_size": 100})
    assert response.status_code == 200
    seen = {row["tracking_number"] for row in response.json()["results"]}
    mine = {c.tracking_number for key in ("county", "fengqiao") for c in cases[key]}
    assert seen == mine
    other = cases["keqiao"][0]
    assert client.get(f"/api/v1/cases/{other.pk}/").status_code == 404
    assert client.get(f"/api/v1/cases/{cases['fengqiao'][0].pk}/").status_code == 200
    # The county's supervisor stays inside the county.
    assert scope_for(org["county_supervisor"]).oversight_paths == ("/330681/",)
    # The dashboard of another city answers 404, like a region that does not exist.
    client.force_login(org["city_supervisor"])
    assert client.get("/supervision/", {"region": "330700"}).status_code == 404
    assert client.get("/supervision/", {"region": "330702"}).status_code == 404
    assert client.get("/supervision/", {"region": "330682"}).status_code == 200


def _county_lines(org, month_key: str, now_text: str):
    node = selectors.region_node(user=org["city_supervisor"])
    assert node.region.code == "330600"
    month = current_period(MONTH, at(f"{month_key}-15 12:00"))
    tiers = reports.monthly_rankings(user=org["city_supervisor"], node=node, month=month, now=at(now_text))
    assert [(t.tier, t.of_regions) for t in tiers] == [(Tier.COUNTY, True)]
    return {line.unit.code: line for line in tiers[0].lines}


def test_counties_are_ranked_against_each_other_and_doing_nothing_ranks_last(city, settings):
    settings.SUPERVISION_FLAGS_MIN_RANKED = 2
    org, _cases = city
    lines = _county_lines(org, "2026-03", "2026-04-15 09:00")
    assert set(lines) == {"330681", "330682"}  # the other city's county is not compared
    done, left_open = lines["330681"], lines["330682"]
    assert done.score == Decimal("100.00") and done.rank == 1 and done.red_flag
    assert left_open.components["on_time"] == 0 and left_open.stats.late == 3
    assert left_open.rank == 2 and left_open.snail and left_open.score < done.score
    assert done.stats.on_time == 3 and done.stats.resolved == 3 and done.stats.median_days is not None
    # April: nothing new was due, the county's open overdue cases count again; the other earns nothing.
    april = _county_lines(org, "2026-04", "2026-05-20 09:00")
    assert april["330682"].stats.carried == 3 and april["330682"].components["on_time"] == 0
    assert april["330681"].stats.in_scope == 0 and not april["330681"].ranked


def test_the_city_bulletin_light_board_and_dashboard_compare_counties(city):
    org, _cases = city
    client = APIClient()
    client.force_login(org["city_supervisor"])
    node = selectors.region_node(user=org["city_supervisor"])
    board = reports.light_board(
        node=node, year=current_period(YEAR, at("2026-03-15 12:00")), now=at("2026-04-15 09:00")
    )
    lights = {
        row.unit.code: {m.key: light for m, light, _r in row.cells}
        for _t, _l, rows in board.tiers
        for row in rows
    }
    assert lights["330681"]["2026-03"] == "green" and lights["330682"]["2026-03"] == "red"
    report = reports.period_report(
        user=org["city_supervisor"],
        node=node,
        period=current_period("quarter", at("2026-03-15 12:00")),
        now=at("2026-04-15 09:00"),
    )
    assert [line.unit.code for line in report.ranking[0].lines] == ["330681", "330682"]
    with travel("2026-04-15 09:00"):
        page = client.get("/supervision/", {"region": "330600", "period": "2026-03"})
        bulletin = client.get("/supervision/bulletin/", {"region": "330600", "period": "2026-Q1"})
        xlsx = client.get(
            "/supervision/bulletin/", {"region": "330600", "period": "2026-Q1", "format": "xlsx"}
        )
    html = page.content.decode()
    assert page.status_code == 200
    assert 'class="region-ranking"' in html and 'data-region="330682"' in html
    assert 'data-region="330702"' not in html
    assert bulletin.status_code == 200 and "枫桥县" in bulletin.content.decode()
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


def test_a_province_ranks_its_cities_then_all_its_counties(city, settings):
    settings.SUPERVISION_FLAGS_MIN_RANKED = 2
    _org, _cases = city
    province = RegionFactory(code="330000", name="浙江省", tier=Tier.PROVINCE)
    for code in ("330600", "330700"):
        region = Region.objects.get(code=code)
        region.parent = province
        region.save()
    assert Region.objects.get(code="330700").path == "/3307"  # a city's path ignores its parent too
    supervisor = staff(StaffRole.SUPERVISOR, province, username="province_supervisor")
    node = selectors.region_node(user=supervisor)
    assert node.region.code == "330000"
    assert [r.code for r in node.children] == ["330600", "330700"]
    # From a county the trail goes back up through the city to the province.
    county_node = selectors.region_node(user=supervisor, code="330682")
    assert [r.code for r in county_node.trail] == ["330000", "330600", "330682"]
    month = current_period(MONTH, at("2026-03-15 12:00"))
    tiers = reports.monthly_rankings(user=supervisor, node=node, month=month, now=at("2026-04-15 09:00"))
    assert [t.tier for t in tiers] == [Tier.CITY, Tier.COUNTY]
    cities = {line.unit.code: line for line in tiers[0].lines}
    counties = {line.unit.code: line for line in tiers[1].lines}
    assert set(counties) == {"330681", "330682", "330702"}
    # 绍兴: three on time and three left open; 金华: its one case left open.
    assert cities["330600"].stats.on_time == 3 and cities["330600"].stats.late == 3
    assert cities["330700"].stats.late == 1 and cities["330700"].components["on_time"] == 0
    # One case in scope is below the sample a ranking needs: listed, not ranked, like a department.
    assert cities["330600"].rank == 1 and not cities["330700"].ranked
    assert counties["330681"].rank == 1 and counties["330682"].rank == 2
    assert counties["330681"].red_flag and counties["330682"].snail and not counties["330702"].ranked


def test_the_supervision_api_ranks_the_counties_of_a_city(city, settings):
    settings.SUPERVISION_FLAGS_MIN_RANKED = 2
    org, _cases = city
    client = APIClient()
    client.force_authenticate(org["city_supervisor"])
    with travel("2026-04-15 09:00"):
        rankings = client.get("/api/v1/supervision/rankings/", {"month": "2026-03"})
        dashboard = client.get("/api/v1/supervision/dashboard/", {"period": "2026-03"})
        elsewhere = client.get("/api/v1/supervision/rankings/", {"region": "330700"})
    assert rankings.status_code == 200, rankings.content
    (tier,) = rankings.json()
    assert tier["tier"] == "county" and tier["of_regions"] is True
    lines = [
        (line["region"]["code"], line["rank"], line["red_flag"], line["snail"]) for line in tier["lines"]
    ]
    assert lines == [("330681", 1, True, False), ("330682", 2, False, True)]
    assert all(line["department"] is None for line in tier["lines"])
    assert tier["lines"][1]["stats"]["late"] == 3 and tier["lines"][1]["stats"]["region"]["code"] == "330682"
    body = dashboard.json()
    assert dashboard.status_code == 200
    assert [c["region"]["code"] for c in body["children"]] == ["330681", "330682"]
    assert [line["region"]["code"] for line in body["regions"][0]["lines"]] == ["330681", "330682"]
    assert body["regions"][0]["lines"][1]["stats"]["open"] == 3
    assert elsewhere.status_code == 404
    # A county's own ranking still ranks departments, with no region on the lines.
    client.force_authenticate(org["county_supervisor"])
    with travel("2026-04-15 09:00"):
        county = client.get("/api/v1/supervision/rankings/", {"month": "2026-03"}).json()
    assert county[0]["of_regions"] is False and county[0]["lines"][0]["region"] is None
    assert county[0]["lines"][0]["department"]["code"].startswith("D-")


def test_a_city_administrator_adds_a_county_but_no_window_or_department_at_the_city(city):
    org, _cases = city
    admin = staff(StaffRole.ADMINISTRATOR, org.regions["city"], username="city_admin")
    client = APIClient()
    client.force_authenticate(admin)
    wrong = client.post(
        "/api/v1/regions/", {"code": "320581", "name": "错县", "tier": "county", "parent": "330600"}
    )
    assert wrong.status_code == 400 and "code" in wrong.json()
    made = client.post(
        "/api/v1/regions/", {"code": "330683", "name": "新县", "tier": "county", "parent": "330600"}
    )
    assert made.status_code == 201, made.content
    assert made.json()["path"] == "/330683/"
    window = client.post("/api/v1/windows/", {"code": "W-city", "name": "市窗口", "region": "330600"})
    assert window.status_code == 400 and "region" in window.json()
    department = client.post("/api/v1/departments/", {"code": "D-city", "name": "市局", "region": "330600"})
    assert department.status_code == 400 and "region" in department.json()
    assert (
        client.post("/api/v1/windows/", {"code": "W-new", "name": "新县窗口", "region": "330683"}).status_code
        == 201
    )
    # Another city's county is outside the administrator's subtree: not a parent they may choose.
    elsewhere = client.post(
        "/api/v1/regions/", {"code": "330702009", "name": "镇", "tier": "town", "parent": "330702"}
    )
    assert elsewhere.status_code == 400 and "parent" in elsewhere.json()


def test_the_demo_city_seeded_over_both_counties_ranks_them(db):
    """``load_demo`` then ``seed_cases`` (every county that can take cases): the history is spread over the
    demo city's two counties, and its supervisor's ranking compares them on it."""
    from io import StringIO

    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from cases.models import Case
    from supervision.seed import seed_cases

    call_command("load_demo", stdout=StringIO())
    before = {
        code: Case.objects.filter(region_path__startswith=f"/{code}/").count()
        for code in ("330698", "330699")
    }
    seed_cases(cases=400, days=90, seed=7, workers=0, now=at("2026-03-20 11:47"))
    added = {
        code: Case.objects.filter(region_path__startswith=f"/{code}/").count() - before[code]
        for code in ("330698", "330699")
    }
    assert added == {"330698": 200, "330699": 200}
    supervisor = get_user_model().objects.get(username="city_supervisor")
    node = selectors.region_node(user=supervisor)
    assert node.region.code == "330600"
    february = current_period(MONTH, at("2026-02-15 12:00"))
    (tier,) = reports.monthly_rankings(user=supervisor, node=node, month=february, now=at("2026-03-20 11:47"))
    lines = {line.unit.code: line for line in tier.lines}
    assert set(lines) == {"330698", "330699"}
    assert all(line.stats.in_scope > 0 for line in lines.values())
