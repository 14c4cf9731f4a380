"""The supervision pages: who may open them, what each supervisor sees, drill-down, the 催办 / 督办 actions,
printable bulletins and their XLSX, exports; and the number of queries of each page, pinned (no N+1)."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from cases.choices import CaseStatus, SweepEventKind
from cases.models import CaseEvent

from .scenarios import resolve, routed_case, travel

pytestmark = pytest.mark.django_db

S = CaseStatus
NOW = "2026-03-20 12:00"


@pytest.fixture
def history(org):
    """Overdue and on-time cases in both towns (t1 office, t2 office, the county's market bureau)."""
    cases = {
        "t1_late": routed_case(org, when="2026-03-02 09:00"),
        "t1_ok": routed_case(org, when="2026-03-02 09:00"),
        "t2_late": routed_case(org, when="2026-03-03 09:00", where="v2", lead="t2_office"),
        "market_late": routed_case(org, when="2026-03-04 09:00", lead="market"),
        "t1_fresh": routed_case(org, when="2026-03-19 09:00"),
    }
    resolve(org, cases["t1_ok"], when="2026-03-04 09:00")
    return cases


def login(client, user):
    client.force_login(user)
    return client


def get(client, name, **params):
    with travel(NOW):
        return client.get(reverse(f"supervision:{name}"), params)


# --- Access ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["v1_clerk", "market_head", "t1_office_handler", "stranger"])
def test_pages_are_for_oversight_roles_only(client, org, username):
    for name in ("dashboard", "overdue", "departments", "rankings", "lights", "bulletin", "annual"):
        assert get(login(client, org[username]), name).status_code == 403


def test_anonymous_users_are_sent_to_log_in(client, org):
    response = client.get(reverse("supervision:dashboard"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_region_outside_the_oversight_is_not_found(client, org):
    login(client, org["t1_supervisor"])
    assert get(client, "dashboard", region="330681002").status_code == 404  # the other town
    assert get(client, "dashboard", region="330681").status_code == 404  # the county above
    assert get(client, "dashboard", region="999999").status_code == 404  # no such region
    assert get(client, "dashboard", region="330681001001").status_code == 200  # its own village


def test_nav_link_only_for_oversight_roles(client, org):
    assert reverse("supervision:dashboard") in login(client, org["t1_supervisor"]).get("/").content.decode()
    client.logout()
    assert reverse("supervision:dashboard") not in login(client, org["v1_clerk"]).get("/").content.decode()


# --- What each supervisor sees --------------------------------------------------------------------------


def test_the_town_supervisor_sees_only_its_subtree(client, org, history):
    response = get(login(client, org["t1_supervisor"]), "dashboard")
    assert response.status_code == 200
    html = response.content.decode()
    counts = response.context["counts"]
    # t1: four cases taken in at v1 (one resolved, waiting for its callback), two of them overdue.
    assert (counts.open, counts.by_light["red"]) == (4, 2)
    assert history["t1_late"].tracking_number in html
    assert history["market_late"].tracking_number in html  # taken in at v1, held by the county bureau
    assert history["t2_late"].tracking_number not in html
    assert [child.region.code for child in counts.children] == ["330681001001", "330681001002"]
    departments = [row.department.code for row in response.context["departments"]]
    assert departments == ["D-t1_office", "D-v1_committee", "D-v1b_committee"]


def test_the_dashboard_splits_the_periods_intake_by_channel(client, org, history):
    from cases.choices import Channel
    from tests.factories import take_in

    with travel("2026-03-10 09:00"):
        take_in(org, "v1", channel=Channel.HOTLINE_12345)
    response = get(login(client, org["t1_supervisor"]), "dashboard")
    channels = {value: count for value, _label, count in response.context["intake_channels"]}
    # t1's cases of March: four at the window (the fixture's) and one from the hotline; t2's not counted.
    assert channels == {**dict.fromkeys(Channel.values, 0), Channel.WALK_IN: 4, Channel.HOTLINE_12345: 1}
    assert 'data-channel="hotline_12345"' in response.content.decode()


def test_the_county_supervisor_sees_everything_and_drills_down(client, org, history):
    login(client, org["county_supervisor"])
    county = get(client, "dashboard")
    assert county.context["node"].region.code == "330681"
    assert county.context["counts"].by_light["red"] == 3
    assert [c.region.code for c in county.context["counts"].children] == ["330681001", "330681002"]
    t2 = next(c for c in county.context["counts"].children if c.region.code == "330681002")
    assert (t2.open, t2.red) == (1, 1)
    html = county.content.decode()
    assert 'href="?region=330681002"' in html  # the drill-down link
    town = get(client, "dashboard", region="330681002")
    assert [r.code for r in town.context["node"].trail] == ["330681", "330681002"]
    assert town.context["counts"].open == 1
    assert history["t2_late"].tracking_number in town.content.decode()
    assert history["t1_late"].tracking_number not in town.content.decode()
    village = get(client, "dashboard", region="330681002001")
    assert [r.code for r in village.context["node"].trail] == ["330681", "330681002", "330681002001"]


def test_overdue_list_filters_sorts_and_links(client, org, history):
    login(client, org["county_supervisor"])
    response = get(client, "overdue")
    cases = list(response.context["cases"])
    assert [c.pk for c in cases] == [history["t1_late"].pk, history["t2_late"].pk, history["market_late"].pk]
    assert reverse("cases:detail", args=[history["t1_late"].pk]) in response.content.decode()
    market = get(client, "overdue", department=org.dept("market").pk)
    assert [c.pk for c in market.context["cases"]] == [history["market_late"].pk]
    newest_first = get(client, "overdue", sort="-due")
    assert newest_first.context["cases"][0].pk == history["market_late"].pk
    by_tier = get(client, "overdue", tier="village")
    assert {c.pk for c in by_tier.context["cases"]} == {
        h.pk for k, h in history.items() if k.endswith("late")
    }
    # Due 03-09, 03-10, 03-11: 8, 7 and 6 whole working days overdue at noon on 03-20.
    assert [c.days_overdue for c in cases] == [8, 7, 6]
    assert list(get(client, "overdue", min_days=9).context["cases"]) == []
    assert [c.pk for c in get(client, "overdue", min_days=8).context["cases"]] == [history["t1_late"].pk]
    assert get(client, "overdue", light="yellow").context["page_obj"].paginator.count == 0


def test_department_table_page_and_tier_filter(client, org, history):
    login(client, org["county_supervisor"])
    response = get(client, "departments", period="2026-03")
    rows = {row.department.code: row for row in response.context["departments"]}
    assert (rows["D-t1_office"].overdue_now, rows["D-t1_office"].on_time, rows["D-t1_office"].late) == (
        1,
        1,
        1,
    )
    assert (rows["D-market"].overdue_now, rows["D-market"].late) == (1, 1)
    county_only = get(client, "departments", period="2026-03", tier="county")
    assert {row.department.code for row in county_only.context["departments"]} == {
        "D-market",
        "D-land",
        "D-housing",
    }


# --- Actions ------------------------------------------------------------------------------------------


def test_supervise_from_the_dashboard_writes_one_event(client, org, history):
    case = history["t1_late"]
    login(client, org["t1_supervisor"])
    with travel(NOW):
        response = client.post(
            reverse("supervision:case-action", args=[case.pk, "supervise"]) + "?region=330681001",
            {"reason": "超期未办结，限期办理", "days": 2, "next": "/supervision/?region=330681001"},
        )
    assert response.status_code == 302 and response["Location"] == "/supervision/?region=330681001"
    event = CaseEvent.objects.filter(case=case).order_by("-sequence").first()
    assert (event.kind, event.actor, event.from_status, event.to_status) == (
        SweepEventKind.SUPERVISE,
        org["t1_supervisor"],
        S.IN_PROGRESS,
        S.IN_PROGRESS,
    )
    assert event.department == org.dept("t1_office")
    assert event.payload["days"] == 2 and event.payload["manual"] is True
    case.refresh_from_db()
    assert case.status == S.IN_PROGRESS and case.version == event.sequence


def test_supervise_the_ticked_cases_of_a_list(client, org, history):
    login(client, org["county_supervisor"])
    ticked = [history["t1_late"].pk, history["t2_late"].pk, history["t1_ok"].pk]  # t1_ok is resolved
    with travel(NOW):
        response = client.post(
            reverse("supervision:bulk-action") + "?region=330681",
            {"case": ticked, "action": "supervise", "reason": "集中督办", "next": "/supervision/overdue/"},
            follow=True,
        )
    supervised = CaseEvent.objects.filter(kind=SweepEventKind.SUPERVISE, actor=org["county_supervisor"])
    assert sorted(supervised.values_list("case_id", flat=True)) == sorted(ticked[:2])
    assert "已督办 2 件案件" in response.content.decode() and "1 件未执行" in response.content.decode()


def test_actions_respect_scope_and_role(client, org, history):
    other_town = history["t2_late"]
    login(client, org["t1_supervisor"])
    with travel(NOW):
        response = client.post(
            reverse("supervision:case-action", args=[other_town.pk, "urge"]), {"reason": "请尽快办理"}
        )
    assert response.status_code == 404
    client.logout()
    login(client, org["v1_clerk"])
    with travel(NOW):
        response = client.post(
            reverse("supervision:case-action", args=[history["t1_late"].pk, "urge"]), {"reason": "请尽快办理"}
        )
    assert response.status_code == 403
    assert not CaseEvent.objects.filter(
        kind__in=[SweepEventKind.URGE, SweepEventKind.SUPERVISE], actor__isnull=False
    )


def test_urge_a_departments_overdue_set_one_event_each(client, org, history):
    second = routed_case(org, when="2026-03-05 09:00")
    login(client, org["county_supervisor"])
    with travel(NOW):
        response = client.post(
            reverse("supervision:department-action", args=[org.dept("t1_office").pk, "urge"])
            + "?region=330681",
            {"reason": "本部门超期案件较多，请抓紧办理"},
        )
    assert response.status_code == 302
    urged = CaseEvent.objects.filter(kind=SweepEventKind.URGE, actor=org["county_supervisor"])
    assert sorted(urged.values_list("case_id", flat=True)) == sorted([history["t1_late"].pk, second.pk])
    assert not urged.filter(case=history["t1_fresh"]).exists()  # not overdue


# --- Rankings, lights, bulletins ---------------------------------------------------------------------------


def test_rankings_and_light_board_pages(client, org, history):
    login(client, org["county_supervisor"])
    rankings = get(client, "rankings", month="2026-03")
    assert rankings.status_code == 200
    tiers = {tier.tier: tier for tier in rankings.context["ranking_tiers"]}
    assert set(tiers) == {"county", "town", "village"}
    assert "docs/RANKINGS.md" in rankings.content.decode()
    lights = get(client, "lights", year="2026")
    board = lights.context["board"]
    row = next(r for _t, _l, rows in board.tiers for r in rows if r.unit == org.dept("t1_office"))
    march = next(cell for cell in row.cells if cell[0].key == "2026-03")
    assert march[1] == "red" and march[2] == pytest.approx(0.5)


def test_quarterly_bulletin_page_and_xlsx(client, org, history):
    from cases.choices import Channel
    from tests.factories import take_in

    with travel("2026-02-10 09:00"):
        take_in(org, "v1", channel=Channel.HOTLINE_12345)
    login(client, org["county_supervisor"])
    page = get(client, "bulletin", period="2026-Q1")
    assert page.status_code == 200
    assert "2026年第1季度" in page.content.decode()
    # The quarter's intake by channel, as the dashboard splits it (the same selector).
    channels = {value: count for value, _label, count in page.context["report"].intake_channels}
    assert channels[Channel.HOTLINE_12345] == 1 and channels[Channel.WALK_IN] >= 4
    assert 'data-channel="hotline_12345"' in page.content.decode()
    download = get(client, "bulletin", period="2026-Q1", format="xlsx")
    assert download.status_code == 200
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(b"".join(download.streaming_content)), read_only=True)
    assert workbook.sheetnames == [
        "排名",
        "受理渠道",
        "月亮灯",
        "红旗蜗牛",
        "年度表彰",
        "通报案件",
        "常态建设",
    ]
    channel_rows = dict(list(workbook["受理渠道"].iter_rows(values_only=True))[1:])
    assert channel_rows[Channel.HOTLINE_12345.label] == 1
    rows = list(workbook["排名"].iter_rows(values_only=True))
    assert "督办通报" in rows[0][0]
    names = [row[2] for row in rows[3:]]
    assert "暨阳街道便民服务中心" in names
    annual = get(client, "annual", period="2026", format="xlsx")
    rows = list(
        load_workbook(io.BytesIO(b"".join(annual.streaming_content)), read_only=True)["排名"].iter_rows(
            values_only=True
        )
    )
    assert "工作总结" in rows[0][0]


# --- Exports --------------------------------------------------------------------------------------------


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_csv_export_respects_scope_and_filters(client, org, history):
    login(client, org["t1_supervisor"])
    with travel(NOW):
        response = client.get(reverse("supervision:export", args=["csv"]), {"light": "red"})
    rows = _csv(response)
    assert rows[0][0] == "受理编号"
    numbers = {row[0] for row in rows[1:]}
    assert numbers == {history["t1_late"].tracking_number, history["market_late"].tracking_number}
    assert all("****" in row[3] for row in rows[1:])  # phones masked


def test_xlsx_export_of_a_filtered_list(client, org, history):
    login(client, org["county_supervisor"])
    with travel(NOW):
        response = client.get(
            reverse("supervision:export", args=["xlsx"]), {"lead_department": org.dept("t2_office").pk}
        )
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert [row[0] for row in rows[1:]] == [history["t2_late"].tracking_number]
    assert (rows[1][12], rows[1][16]) == ("红灯", "超期")


def test_exports_are_open_to_case_staff_within_their_own_scope(client, org, history):
    login(client, org["t2_office_handler"])
    with travel(NOW):
        rows = _csv(client.get(reverse("supervision:export", args=["csv"])))
    assert {row[0] for row in rows[1:]} == {history["t2_late"].tracking_number}


# --- Query counts, pinned ----------------------------------------------------------------------------------


def count_queries(client, name, **params) -> int:
    get(client, name, **params)  # warm: the calendar snapshot is cached per process
    with CaptureQueriesContext(connection) as queries:
        response = get(client, name, **params)
    assert response.status_code == 200
    return len(queries)


# (page, parameters, queries): session, user, scope, region (3), the page's own, unread notifications.
# The dashboard's own include the pending extension requests, the rows' 催办 / 督办 marks, the pending
# reviews' count, the period's refusals by reason, its intake by channel and the follow-ups' count (one
# each), the overdue list's
# the marks of its page (one); the review queue's its count and its page (one each).
PAGES = [
    ("dashboard", {}, 30),
    ("overdue", {}, 13),
    ("reviews", {}, 8),
    ("overdue", {"department": "__t1_office__", "sort": "department", "min_days": 1}, 13),
    ("departments", {"period": "2026-03"}, 15),
    # The month and, for red cards, the two months before it (SUPERVISION_RED_CARD_AFTER = 3).
    ("rankings", {"month": "2026-03"}, 24),
    # Plus one query per month so far (open overdue cases carried into each month).
    ("lights", {"year": "2026"}, 13),
]


@pytest.mark.parametrize(
    ("name", "params", "pinned"), PAGES, ids=[f"{n}-{i}" for i, (n, _p, _q) in enumerate(PAGES)]
)
def test_query_counts_do_not_grow_with_the_data(client, org, name, params, pinned):
    params = {k: (org.dept("t1_office").pk if v == "__t1_office__" else v) for k, v in params.items()}
    login(client, org["county_supervisor"])
    routed_case(org, when="2026-03-02 09:00")
    few = count_queries(client, name, **params)
    for i, lead in enumerate(["t1_office", "market", "t2_office", "land", "housing", "v1_committee"]):
        where = "v2" if lead == "t2_office" else "v1"
        case = routed_case(org, when=f"2026-03-0{2 + i % 4} 09:00", where=where, lead=lead)
        if i % 2:
            resolve(org, case, when="2026-03-12 09:00", lead=lead)
    many = count_queries(client, name, **params)
    assert many == few
    assert few == pinned, f"{name}: {few} queries"
