"""The supervision pages in a real browser (Playwright driving Debian's Chromium through live_server).

A town supervisor sees only the town's cases and drills down to a village; the county supervisor sees
both towns, drills down county → town → village and back, and issues 督办 on an overdue case from the
dashboard, which writes the event.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from cases.choices import CaseStatus, SweepEventKind
from cases.models import CaseEvent
from tests.factories import build_org
from tests.fixtures.browser import give_passwords, log_in

from .scenarios import routed_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def org(transactional_db):
    org = build_org()
    give_passwords(org, "county_supervisor", "t1_supervisor")
    return org


@pytest.fixture
def overdue(org):
    """Cases taken in early in 2026 and never resolved: red on any later day."""
    return {
        "t1": routed_case(org, when="2026-01-05 09:00"),
        "t2": routed_case(org, when="2026-01-06 09:00", where="v2", lead="t2_office"),
    }


def test_town_supervisor_sees_only_the_town_and_drills_down(live_server, page, org, overdue):
    log_in(page, live_server, "t1_supervisor")
    page.get_by_role("link", name="督办考核").click()
    page.wait_for_url(re.compile(r"/supervision/"))
    expect(page.locator(".current-region")).to_have_text("暨阳街道")
    expect(page.locator('[data-count="red"]')).to_have_text("1")
    expect(page.locator(f'tr[data-case="{overdue["t1"].tracking_number}"]')).to_be_visible()
    expect(page.locator(f'tr[data-case="{overdue["t2"].tracking_number}"]')).to_have_count(0)
    # Nothing above or beside the town is offered.
    expect(page.locator('a[data-region="330681"]')).to_have_count(0)
    page.locator("a.drill-down", has_text="城西社区").click()
    page.wait_for_url(re.compile(r"region=330681001001"))
    expect(page.locator(".current-region")).to_have_text("城西社区")
    expect(page.locator(f'tr[data-case="{overdue["t1"].tracking_number}"]')).to_be_visible()
    # Typing another town's code into the address bar answers 404.
    response = page.goto(live_server.url + "/supervision/?region=330681002")
    assert response.status == 404


def test_county_supervisor_drills_down_and_issues_a_supervision_order(live_server, page, org, overdue):
    log_in(page, live_server, "county_supervisor")
    page.goto(live_server.url + "/supervision/")
    expect(page.locator(".current-region")).to_have_text("诸暨市")
    expect(page.locator('[data-count="red"]')).to_have_text("2")
    for case in overdue.values():
        expect(page.locator(f'tr[data-case="{case.tracking_number}"]')).to_be_visible()
    # county → town → village, and back up through the trail.
    page.locator("a.drill-down", has_text="浣东街道").click()
    page.wait_for_url(re.compile(r"region=330681002$"))
    expect(page.locator(f'tr[data-case="{overdue["t1"].tracking_number}"]')).to_have_count(0)
    page.locator("a.drill-down", has_text="东江村").click()
    page.wait_for_url(re.compile(r"region=330681002001"))
    expect(page.locator(".current-region")).to_have_text("东江村")
    page.locator('.region-trail a[data-region="330681"]').click()
    page.wait_for_url(re.compile(r"region=330681$"))
    # 督办 on the t1 case, from the dashboard's overdue list.
    row = page.locator(f'tr[data-case="{overdue["t1"].tracking_number}"]')
    row.get_by_role("checkbox").check()
    page.locator(".bulk-action").get_by_label("事由").fill("超期未办结，请两个工作日内办结")
    page.locator(".bulk-action").get_by_label("督办时限（工作日）").fill("2")
    page.locator(".bulk-action").get_by_role("button", name="督办").click()
    page.wait_for_load_state()
    expect(page.locator(".messages")).to_contain_text("已督办 1 件案件")
    event = CaseEvent.objects.filter(case=overdue["t1"], kind=SweepEventKind.SUPERVISE).get()
    assert (event.actor, event.from_status, event.to_status) == (
        org["county_supervisor"],
        CaseStatus.IN_PROGRESS,
        CaseStatus.IN_PROGRESS,
    )
    assert event.reason == "超期未办结，请两个工作日内办结" and event.payload["days"] == 2
    assert not CaseEvent.objects.filter(case=overdue["t2"], kind=SweepEventKind.SUPERVISE).exists()
    # The case page shows the order in its history.
    page.locator(f'tr[data-case="{overdue["t1"].tracking_number}"] a').click()
    page.wait_for_url(re.compile(rf"/cases/{overdue['t1'].pk}/$"))
    expect(page.get_by_text("超期未办结，请两个工作日内办结")).to_be_visible()


def test_the_bulletin_prints_and_downloads(live_server, page, org, overdue):
    log_in(page, live_server, "county_supervisor")
    page.goto(live_server.url + "/supervision/bulletin/?period=2026-Q1")
    expect(page.locator("article.bulletin h1")).to_contain_text("督办通报")
    page.emulate_media(media="print")
    expect(page.locator(".supervision-subnav")).to_be_hidden()
    page.emulate_media(media="screen")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载 Excel").click()
    assert download.value.suggested_filename == "bulletin-330681-2026-Q1.xlsx"
