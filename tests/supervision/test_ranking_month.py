"""Rankings nobody can game (docs/RANKINGS.md), on a scripted month with known answers.

Five county bureaus, three cases each taken in on Monday 2026-03-02 09:00 (一般事项: due Monday 03-09 17:30),
ranked six weeks later (2026-04-15):

- 市场监管局 resolves on time, requesters satisfied;
- 自然资源局 resolves four working days late (Monday 03-16 10:00), requesters satisfied;
- 住建局 answers "cannot be done yet" in time with a new date (03-20) and never resolves;
- 水利局 does nothing: its cases stay open;
- 交通局 has no case at all.

The order must be exactly: on time > late and satisfied > "cannot be done yet" never followed > left open,
and the bureau with no data is listed with "—", not ranked, never given anyone's average.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from openpyxl import load_workbook
from rest_framework.test import APIClient

from cases import services
from routing.choices import StaffRole
from routing.models import Department
from supervision import rankings, reports, selectors
from supervision.periods import MONTH, current_period
from tests.factories import DepartmentFactory, build_org, staff

from .scenarios import SATISFIED, at, resolve, routed_case, travel

LATE_DAYS = 4  # 03-10 … 03-13: whole working days between the deadline and 03-16 10:00


@pytest.fixture
def month(db):
    org = build_org()
    county = org.regions["county"]
    for key, name in (("water", "水利局"), ("transport", "交通局")):
        org.departments[key] = DepartmentFactory(code=f"D-{key}", name=name, region=county)
        org.users[f"{key}_handler"] = staff(StaffRole.HANDLER, county, department=org.departments[key])
    cases = {key: [] for key in ("market", "land", "housing", "water")}
    for key in cases:
        for _n in range(3):
            cases[key].append(routed_case(org, when="2026-03-02 09:00", lead=key))
    for case in cases["market"]:
        resolve(org, case, when="2026-03-05 10:00", lead="market", satisfaction=SATISFIED)
    for case in cases["land"]:
        resolve(org, case, when="2026-03-16 10:00", lead="land", satisfaction=SATISFIED)
    with travel("2026-03-03 10:00"):
        for case in cases["housing"]:
            services.case_reply(
                actor=org["housing_handler"],
                case_id=case.pk,
                answer="涉及规划调整，需待县规委会审议后办理。",
                can_be_done=False,
                follow_up_due_at="2026-03-20",
            )
    return org, cases


def _lines(org, month_key: str, now_text: str):
    node = selectors.region_node(user=org["county_supervisor"], code="330681")
    month = current_period(MONTH, at(f"{month_key}-15 12:00"))
    tiers = reports.monthly_rankings(user=org["county_supervisor"], node=node, month=month, now=at(now_text))
    county = next(tier for tier in tiers if tier.tier == "county")
    return {line.department.code.removeprefix("D-"): line for line in county.lines}


def test_doing_things_ranks_above_doing_nothing(month):
    org, _cases = month
    lines = _lines(org, "2026-03", "2026-04-15 09:00")

    market, land, housing, water = (lines[k] for k in ("market", "land", "housing", "water"))
    assert market.score == Decimal("100.00")
    # Late but done: half credit, less a tenth per working day late; satisfaction counts in full.
    credit = Decimal("0.5") * Decimal("0.9") ** LATE_DAYS
    assert land.components["on_time"] == credit
    assert land.score == (100 * (Decimal("0.5") * credit + Decimal("0.5"))).quantize(Decimal("0.01"))
    # Answered in time, never followed by the new date: 0.2 a case; no callbacks, no resolutions → "—".
    assert housing.components["on_time"] == Decimal("0.2")
    assert housing.missing == ["satisfaction", "reopen"]
    assert housing.score == Decimal("38.46")  # (0.5 × 0.2 + 0.15 × 1) / 0.65
    # Left open: nothing earned, however long.
    assert water.components["on_time"] == 0
    assert water.score == Decimal("23.08")  # (0.15 × 1) / 0.65
    assert water.stats.overdue_days > land.stats.overdue_days

    order = [line.department.code.removeprefix("D-") for line in lines.values() if line.ranked]
    assert order == ["market", "land", "housing", "water"]
    assert [lines[k].rank for k in order] == [1, 2, 3, 4]
    assert market.red_flag and water.snail and not housing.snail

    # No data: listed, not ranked, every component "—" — never someone else's average.
    transport = lines["transport"]
    assert not transport.ranked and transport.rank is None
    assert transport.components == {name: None for name in rankings.WEIGHTS}
    assert transport.stats.in_scope == 0


def test_a_case_left_open_counts_again_in_every_month_it_stays_overdue(month):
    org, _cases = month
    april = _lines(org, "2026-04", "2026-05-20 09:00")
    # Nothing was due in April; the open overdue cases of March count again (credit 0).
    assert april["water"].stats.carried == 3 and april["water"].components["on_time"] == 0
    assert april["housing"].stats.carried == 3
    assert april["market"].stats.in_scope == 0 and not april["market"].ranked
    assert april["land"].stats.in_scope == 0
    # The monthly light: red for both while the cases rot, none for who had nothing in scope.
    node = selectors.region_node(user=org["county_supervisor"], code="330681")
    board = reports.light_board(
        node=node, year=current_period("year", at("2026-04-15 12:00")), now=at("2026-05-20 09:00")
    )
    lights = {
        row.unit.code.removeprefix("D-"): {m.key: light for m, light, _rate in row.cells}
        for _tier, _label, rows in board.tiers
        for row in rows
    }
    assert lights["water"]["2026-04"] == lights["housing"]["2026-04"] == "red"
    assert lights["market"]["2026-03"] == "green" and lights["market"]["2026-04"] is None
    # Resolving a carried case late stops the carrying for the months after.
    for case in _cases["water"]:
        resolve(org, case, when="2026-05-06 10:00", lead="water")
    june = _lines(org, "2026-06", "2026-06-20 09:00")
    assert june["water"].stats.carried == 0
    may = _lines(org, "2026-05", "2026-06-20 09:00")
    assert may["water"].stats.carried == 3  # open and overdue during part of May


def test_a_suspension_past_its_limit_counts_late(month):
    org, _cases = month
    case = routed_case(org, when="2026-03-02 09:00", lead="transport")
    with travel("2026-03-03 09:00"):
        services.case_suspend(
            actor=org["transport_handler"],
            case_id=case.pk,
            reason="等待补充材料",
            reason_code="awaiting_materials",
            days=2,
        )
    before = _lines(org, "2026-03", "2026-03-04 12:00")["transport"].stats
    assert before.late == 0 and before.in_scope == 0  # paused in time, within its limit: undecided
    after = _lines(org, "2026-03", "2026-04-15 09:00")["transport"].stats
    assert after.late == 1 and after.late_credit == 0


def test_the_page_and_the_xlsx_show_every_component_its_weight_and_the_thresholds(client, month):
    org, _cases = month
    client.force_login(org["county_supervisor"])
    with travel("2026-04-15 09:00"):
        page = client.get("/supervision/rankings/", {"region": "330681", "month": "2026-03"})
        assert page.status_code == 200
        html = page.content.decode()
        download = client.get(
            "/supervision/bulletin/", {"region": "330681", "period": "2026-Q1", "format": "xlsx"}
        )
    assert "连续 3 个月蜗牛评红牌" in html and "考核案件少于 3 件的部门不排名" in html
    row = html[html.index('data-department="D-transport"') :]
    row = row[: row.index("</tr>")]
    assert row.count("—") >= 5  # rank, score and the four components
    housing = html[html.index('data-department="D-housing"') :]
    assert "（77%）" in housing[: housing.index("</tr>")]  # timeliness carried 0.50 / 0.65 of the score
    workbook = load_workbook(__import__("io").BytesIO(b"".join(download.streaming_content)), read_only=True)
    rows = list(workbook["排名"].iter_rows(values_only=True))
    header = rows[2]
    by_name = {row[2]: dict(zip(header, row, strict=False)) for row in rows[3:] if row[2]}
    assert by_name["交通局"]["满意率"] == "—"
    assert by_name["住建局"]["按期办结"].startswith("20.0%")


def test_red_card_after_consecutive_snails_and_the_commendation_list():
    a, b, c = (Department(pk=i, code=f"D{i}", name=f"部门{i}") for i in (1, 2, 3))

    def line(department, **flags):
        ranked = rankings.Ranked(selectors.DepartmentStats(department), {}, score=Decimal(50), rank=1)
        for name, value in flags.items():
            setattr(ranked, name, value)
        return ranked

    march = [line(a, red_flag=True), line(c, snail=True)]
    rankings.red_cards(march, [{3}, {3}])  # c was a snail in February and January too
    assert [x.red_card for x in march] == [False, True]
    rankings.red_cards(march, [{3}, set()])
    assert [x.red_card for x in march] == [False, False]

    months = [
        (f"2026-{m:02d}", [line(a, red_flag=True), line(b, red_flag=m != 5, snail=m == 5)])
        for m in range(1, 7)
    ]
    year = [line(a), line(b), line(c)]
    listed = rankings.commendations(year, months)
    assert [item.unit for item in listed] == [a]  # b has flags too, but a snail in May
    assert len(listed[0].flag_months) == 6


def test_a_far_new_date_cannot_take_a_case_out_of_the_ranking(db):
    org = build_org()
    case = routed_case(org, when="2026-03-02 09:00", lead="market")
    client = APIClient()
    client.force_authenticate(org["market_handler"])
    url = f"/api/v1/cases/{case.pk}/reply/"
    body = {"answer": "需上级批复", "can_be_done": False}
    with travel("2026-03-03 10:00"):
        far = client.post(url, {**body, "follow_up_due_at": "2026-06-30"}, format="json")
        assert far.status_code == 400
        # 20 working days from 03-03 10:00 (no holiday between): 03-31 10:00.
        assert "2026-03-31" in far.json()["follow_up_due_at"][0]
        near = client.post(url, {**body, "follow_up_due_at": "2026-03-30"}, format="json")
    assert near.status_code == 200, near.content
