"""A city supervisor's day in a real browser (issue 19): the city dashboard with its two counties side by
side, the monthly ranking of counties (red flag and snail), and a drill-down into the county left behind.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.fixtures.browser import give_passwords, log_in

from .test_city import build_city

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def city(transactional_db, settings):
    # Two counties are enough to award the red flag and the snail in this scene.
    settings.SUPERVISION_FLAGS_MIN_RANKED = 2
    org, cases = build_city()
    give_passwords(org, "city_supervisor")
    return org, cases


def test_city_supervisor_sees_the_counties_and_their_ranking(live_server, page, city):
    _org, cases = city
    log_in(page, live_server, "city_supervisor")
    page.get_by_role("link", name="督办考核").click()
    page.wait_for_url(re.compile(r"/supervision/"))
    expect(page.locator(".current-region")).to_have_text("绍兴市")
    expect(page.locator(".region-trail .tier")).to_contain_text("市")
    # The county left open is red on the dashboard; the other city's county is nowhere.
    expect(page.locator('[data-count="red"]')).to_have_text("3")
    children = page.locator("table.child-regions")
    expect(children.locator('tr[data-region="330681"]')).to_be_visible()
    expect(children.locator('tr[data-region="330682"] td').nth(2)).to_have_text("3")
    expect(page.locator('[data-region="330702"]')).to_have_count(0)
    for case in cases["fengqiao"]:
        expect(page.locator(f'tr[data-case="{case.tracking_number}"]')).to_be_visible()
    expect(page.locator(f'tr[data-case="{cases["keqiao"][0].tracking_number}"]')).to_have_count(0)

    # March's ranking of counties: the county that resolved on time above the one that did nothing.
    page.goto(live_server.url + "/supervision/rankings/?region=330600&month=2026-03")
    expect(page.locator("h1")).to_contain_text("绍兴市")
    ranking = page.locator('section.ranking[data-ranking="regions"]')
    expect(ranking.locator("th").nth(1)).to_have_text("区划")
    first, last = ranking.locator('tr[data-region="330681"]'), ranking.locator('tr[data-region="330682"]')
    expect(first).to_have_attribute("data-rank", "1")
    expect(first).to_have_class(re.compile("red-flag"))
    expect(first.locator(".score")).to_have_text("100.00")
    expect(last).to_have_attribute("data-rank", "2")
    expect(last).to_have_class(re.compile("snail"))
    expect(ranking.locator('tr[data-region="330702"]')).to_have_count(0)

    # Drill into the county left behind: its own bureaus, its own dashboard.
    last.get_by_role("link", name="枫桥县").click()
    page.wait_for_url(re.compile(r"region=330682"))
    expect(page.locator(".current-region")).to_have_text("枫桥县")
    expect(page.locator('tr[data-department="D-fengqiao_market"]')).to_be_visible()
    page.locator('.region-trail a[data-region="330600"]').click()
    page.wait_for_url(re.compile(r"region=330600"))
    expect(page.locator(".current-region")).to_have_text("绍兴市")
