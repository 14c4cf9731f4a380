"""The main pages under the Content-Security-Policy in a real browser: Chromium reports no violation in the
console, and what the moved inline code did still happens (print buttons; the language switch is
tests/windowsvc/test_pages.py, the intake's scripts tests/cases/test_browser.py)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from cases.choices import CaseStatus
from tests.cases.states import drive
from tests.factories import build_org
from tests.fixtures.browser import give_passwords, log_in, log_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def org(transactional_db):
    org = build_org()
    give_passwords(org, "v1_clerk", "county_supervisor", "t1_supervisor", "root")
    return org


@pytest.fixture
def console(page):
    """Every console message and uncaught error of the page, as text."""
    seen: list[str] = []
    page.on("console", lambda message: seen.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: seen.append(f"pageerror: {error}"))
    return seen


# The Redoc bundle always asks for the Redocly logo from its CDN; the policy blocking it is the policy working
# (windowsvc/apidocs.py). Nothing else may be refused.
REDOC_LOGO = "Loading the image 'https://cdn.redoc.ly/redoc/logo-mini.svg' violates"


def violations(seen: list[str]) -> list[str]:
    return [
        line
        for line in seen
        if ("Content Security Policy" in line and REDOC_LOGO not in line) or line.startswith("pageerror")
    ]


def test_staff_pages_run_under_the_policy(live_server, page, org, console):
    case = drive(org, CaseStatus.IN_PROGRESS)
    # window.print() is replaced so the print buttons can be seen to work without a dialog.
    page.add_init_script("window.print = () => { window.__printed = (window.__printed || 0) + 1; };")

    log_in(page, live_server, "v1_clerk")
    page.goto(live_server.url + "/cases/intake/")
    # The intake's scripts run: the category picker and the similar-case warning are wired.
    page.get_by_label("联系电话").fill("13800138000")
    page.get_by_label("联系电话").press("Tab")
    expect(page.locator("#similar-warning")).to_contain_text(case.tracking_number)
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    expect(page.locator("h1")).to_have_text(case.title)
    page.goto(f"{live_server.url}/cases/{case.pk}/receipt/")
    expect(page.locator(".receipt svg.qr-code")).to_be_visible()
    page.get_by_role("button", name="打印回执").click()
    assert page.evaluate("window.__printed") == 1
    log_out(page)

    log_in(page, live_server, "county_supervisor")
    page.get_by_role("link", name="督办考核").click()
    page.wait_for_url(re.compile(r"/supervision/"))
    expect(page.locator(".current-region")).to_have_text("诸暨市")
    page.goto(live_server.url + "/supervision/bulletin/")
    page.get_by_role("button", name="打印").click()
    assert page.evaluate("window.__printed") == 1
    page.goto(live_server.url + "/notifications/")
    page.goto(live_server.url + "/library/")
    page.goto(live_server.url + "/library/typical/")
    # The year field's width came from a style attribute; now from library.css (6em).
    width, font = page.locator("input[name=year]").evaluate(
        "el => [getComputedStyle(el).width, getComputedStyle(el).fontSize].map(parseFloat)"
    )
    assert width == pytest.approx(6 * font, abs=1)
    log_out(page)

    assert violations(console) == []


def test_public_pages_run_under_the_policy(live_server, page, org, console):
    case = drive(org, CaseStatus.IN_PROGRESS)
    page.goto(f"{live_server.url}/status/?n={case.tracking_number}")
    page.get_by_label("查询码或手机号后四位").fill(case.query_code)
    page.get_by_role("button", name="查询").click()
    expect(page.locator(".status-result .status-badge")).to_have_text("办理中")
    page.goto(live_server.url + "/library/cases/")
    page.goto(live_server.url + "/accounts/login/")
    assert violations(console) == []


def test_admin_and_api_docs_run_under_the_policy(live_server, page, org, console):
    case = drive(org, CaseStatus.IN_PROGRESS)
    log_in(page, live_server, "root")
    page.goto(live_server.url + "/admin/")
    expect(page.locator("#site-name")).to_be_visible()
    page.goto(live_server.url + "/admin/cases/case/")
    expect(page.locator("#result_list")).to_contain_text(case.tracking_number)
    page.goto(f"{live_server.url}/admin/cases/case/{case.pk}/change/")
    page.goto(live_server.url + "/admin/routing/region/add/")
    page.goto(f"{live_server.url}/admin/auth/user/{org['v1_clerk'].pk}/change/")
    # The date widget's calendar (admin's DateTimeShortcuts.js) opens under the policy.
    page.goto(live_server.url + "/admin/routing/workingday/add/")
    page.locator(".datetimeshortcuts a").last.click()
    expect(page.locator(".calendarbox").first).to_be_visible()
    # Swagger UI from the bundled assets, started by its separate script, renders the schema.
    page.goto(live_server.url + "/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("windowsvc API", timeout=30_000)
    expect(page.locator(".opblock").first).to_be_visible()
    # Redoc renders the schema, its generated styles allowed by the response's nonce.
    page.goto(live_server.url + "/api/redoc/")
    expect(page.locator("h1").first).to_contain_text("windowsvc API", timeout=30_000)
    expect(page.locator("[role=search] input, input[placeholder]").first).to_be_visible()
    assert any(REDOC_LOGO in line for line in console)  # blocked, and the only refusal allowed
    assert violations(console) == []
