"""The daily work screens in a real browser (Playwright driving Debian's Chromium through live_server).

Per role: log in, the home worklist shows the right cases most urgent first, one action from the list
works, and the page fits a 390 px phone (screenshots of each role's home page at 1366×768 and 390×844 are
written to ``$SCREENSHOT_DIR`` when set: docs/screenshots/). A requester search by phone finds the case and
shows the number masked, with no number in the URL. An attachment uploaded on the case page is viewed by an
assisting department and refused (404) to a department that never had the case.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases import services
from cases.choices import AssignmentStatus, CaseStatus, HandlingMode, SweepEventKind
from cases.models import Assignment, Case, CaseEvent
from tests.cases.page_helpers import routed_case
from tests.cases.states import classify
from tests.factories import build_org, person, take_in
from tests.fixtures.browser import give_passwords, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

USERS = (
    "v1_clerk",
    "market_handler",
    "market_head",
    "land_handler",
    "housing_handler",
    "coordinator",
    "county_supervisor",
    "county_admin",
)


@pytest.fixture
def org(transactional_db):
    org = build_org()
    give_passwords(org, *USERS)
    return org


def due_in(case, days: float) -> None:
    """Move a case's and its current assignments' deadlines to ``days`` from now (yellow a day before)."""
    due = timezone.now() + timedelta(days=days)
    Case.objects.filter(pk=case.pk).update(due_at=due, yellow_at=due - timedelta(days=1))
    Assignment.objects.filter(case=case, is_current=True).update(
        due_at=due, yellow_at=due - timedelta(days=1)
    )


def three_by_urgency(org, **kwargs) -> list[Case]:
    """Three cases routed to 市场监管局, created green, red, yellow; returned most urgent first."""
    green, red, yellow = (routed_case(org, lead="market", **kwargs) for _ in range(3))
    due_in(green, 6)
    due_in(red, -1.5)
    due_in(yellow, 0.5)
    return [red, yellow, green]


def rows(page, section: str) -> list[str]:
    return page.locator(f'section[data-section="{section}"] tbody tr[data-case]').evaluate_all(
        "rows => rows.map(r => r.dataset.case)"
    )


def fits_and_snap(page, role: str) -> None:
    """The home page has no sideways scroll at 390 px; screenshots at both sizes when asked for."""
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.set_viewport_size({"width": 1366, "height": 768})
        page.screenshot(path=f"{folder}/home-{role}-1366x768.png")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    if folder:
        page.screenshot(path=f"{folder}/home-{role}-390x844.png")
    page.set_viewport_size({"width": 1366, "height": 768})


def test_clerk_sees_a_return_and_routes_it_again(live_server, page, org):
    returned = routed_case(org, lead="market")
    services.assignment_return(actor=org["market_head"], case_id=returned.pk, reason="不属于本部门职责")
    waiting = take_in(org, "v1")
    log_in(page, live_server, "v1_clerk")
    assert rows(page, "clerk-returned") == [returned.tracking_number]
    expect(page.locator('section[data-section="clerk-returned"] .badge.returned')).to_be_visible()
    assert waiting.tracking_number in rows(page, "clerk-to-route")
    fits_and_snap(page, "clerk")
    page.locator('section[data-section="clerk-returned"] a.action-assign').click()
    page.wait_for_url(re.compile(rf"/cases/{returned.pk}/actions/assign/$"))
    page.get_by_label("主办部门").select_option(label="诸暨市 · 自然资源局")
    page.get_by_role("button", name="派单").click()
    page.wait_for_url(re.compile(rf"/cases/{returned.pk}/$"))
    returned.refresh_from_db()
    assert returned.status == CaseStatus.ASSIGNED and returned.lead_department == org.dept("land")


@pytest.mark.parametrize("username", ["market_handler", "market_head"])
def test_department_signs_for_the_most_urgent_case_from_the_list(live_server, page, org, username):
    cases = three_by_urgency(org)
    log_in(page, live_server, username)
    assert rows(page, "dept-to-sign") == [c.tracking_number for c in cases]
    first = page.locator('section[data-section="dept-to-sign"] tbody tr').first
    expect(first).to_have_attribute("data-light", "red")
    expect(first.locator(".days-left")).to_have_text("超期 2 天")
    fits_and_snap(page, username.split("_")[1])
    # The queue shows the same order with deadline, light and days left, and fits a phone.
    page.goto(live_server.url + "/cases/queue/")
    assert page.locator("table.queue tbody tr[data-case]").evaluate_all(
        "rows => rows.map(r => r.dataset.case)"
    ) == [c.tracking_number for c in cases]
    expect(page.locator("table.queue [data-light=red]")).to_have_count(1)
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(live_server.url + "/")
    first.locator("a.action-accept").click()
    page.wait_for_url(re.compile(rf"/cases/{cases[0].pk}/actions/accept/$"))
    page.get_by_role("button", name="签收").click()
    page.wait_for_url(re.compile(rf"/cases/{cases[0].pk}/$"))
    lead = Assignment.objects.get(case=cases[0], is_current=True)
    assert lead.status == AssignmentStatus.ACCEPTED


def test_coordinator_coordinates_a_case_from_the_list(live_server, page, org):
    case = take_in(org, "v1")
    classify(org, case, handling_mode=HandlingMode.COORDINATED)
    log_in(page, live_server, "coordinator")
    assert rows(page, "coordinate") == [case.tracking_number]
    fits_and_snap(page, "coordinator")
    page.locator('section[data-section="coordinate"] a.action-coordinate').click()
    page.wait_for_url(re.compile(rf"/cases/{case.pk}/actions/coordinate/$"))
    page.get_by_label("确定的主办部门").select_option(label="诸暨市 · 住建局")
    page.get_by_label("会议决定").fill("由住建局牵头，市场监管局配合")
    page.get_by_role("button", name="协调").click()
    page.wait_for_url(re.compile(rf"/cases/{case.pk}/$"))
    case.refresh_from_db()
    assert case.status == CaseStatus.ASSIGNED and case.lead_department == org.dept("housing")


def test_supervisor_urges_the_reddest_case_and_it_moves_to_already_urged(live_server, page, org):
    cases = three_by_urgency(org)
    log_in(page, live_server, "county_supervisor")
    assert rows(page, "sup-red") == [cases[0].tracking_number]
    fits_and_snap(page, "supervisor")
    page.locator('section[data-section="sup-red"] a.action-urge').click()
    page.wait_for_url(re.compile(rf"/cases/{cases[0].pk}/actions/urge/$"))
    page.get_by_label("催办事由").fill("已超期，请今日内办结")
    page.get_by_role("button", name="催办").click()
    page.wait_for_url(re.compile(rf"/cases/{cases[0].pk}/$"))
    assert CaseEvent.objects.filter(case=cases[0], kind=SweepEventKind.URGE).count() == 1
    page.goto(live_server.url + "/")
    assert rows(page, "sup-red") == []
    assert rows(page, "sup-urged") == [cases[0].tracking_number]
    expect(page.locator('section[data-section="sup-urged"] [data-mark="urged"]')).to_be_visible()


def test_administrator_sees_the_subtrees_red_cases_and_opens_one(live_server, page, org):
    cases = three_by_urgency(org)
    log_in(page, live_server, "county_admin")
    assert rows(page, "admin-red") == [cases[0].tracking_number]
    assert rows(page, "admin-yellow") == [cases[1].tracking_number]
    fits_and_snap(page, "administrator")
    page.locator('section[data-section="admin-red"] tbody a').first.click()
    page.wait_for_url(re.compile(rf"/cases/{cases[0].pk}/$"))
    expect(page.locator("h1")).to_contain_text(cases[0].title)


def test_requester_search_by_phone_finds_the_case_masked(live_server, page, org):
    wanted = take_in(org, "v1", requester=person(phone="13911112222"))
    other = take_in(org, "v1")
    log_in(page, live_server, "v1_clerk")
    page.goto(live_server.url + "/cases/")
    search = page.locator("#requester-search")
    search.get_by_label("联系电话").fill("139 1111 2222")
    search.get_by_role("button", name="查找").click()
    page.wait_for_load_state()
    assert "1391111" not in page.url and "2222" not in page.url
    expect(page.locator(f'tr[data-case="{wanted.tracking_number}"] .phone')).to_have_text("139****2222")
    expect(page.locator(f'tr[data-case="{other.tracking_number}"]')).to_have_count(0)
    expect(page.locator(".requester-search-active")).to_contain_text("139****2222")
    assert "13911112222" not in page.content()


def test_attachment_is_seen_by_an_assisting_department_and_refused_to_another(
    live_server, page, org, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    case = routed_case(org, lead="market", assisting=("land",))
    services.assignment_accept(actor=org["market_handler"], case_id=case.pk)
    pdf = tmp_path / "现场照片说明.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    log_in(page, live_server, "market_handler")
    page.goto(live_server.url + f"/cases/{case.pk}/")
    page.get_by_label("上传附件").set_input_files(str(pdf))
    page.get_by_role("button", name="上传", exact=True).click()
    page.wait_for_url(re.compile(rf"/cases/{case.pk}/"))
    expect(page.locator(".messages")).to_contain_text("已上传附件")
    link = page.locator("ul.attachments a", has_text="现场照片说明.pdf")
    expect(link).to_be_visible()
    href = link.get_attribute("href")
    page.get_by_role("button", name="退出").click()

    log_in(page, live_server, "land_handler")
    page.goto(live_server.url + f"/cases/{case.pk}/")
    expect(page.locator("ul.attachments a", has_text="现场照片说明.pdf")).to_be_visible()
    response = page.request.get(live_server.url + href)
    assert response.status == 200 and response.body().startswith(b"%PDF")
    page.get_by_role("button", name="退出").click()

    log_in(page, live_server, "housing_handler")
    assert page.request.get(live_server.url + href).status == 404
    assert page.goto(live_server.url + f"/cases/{case.pk}/").status == 404
