"""The status page and the satisfaction page in a real browser (Playwright driving Debian's Chromium),
on a phone-sized screen, through live_server."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from cases.choices import CaseStatus, EventKind, Satisfaction
from cases.models import CaseEvent, SurveyToken
from tests.cases.states import drive
from tests.factories import build_org

from .helpers import survey_link

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def org(transactional_db):
    return build_org()


def test_status_page_from_the_receipt_qr_code(live_server, page, org):
    case = drive(org, CaseStatus.IN_PROGRESS)
    page.set_viewport_size(PHONE)
    # The QR code carries the tracking number only; the requester types the code from the receipt.
    page.goto(f"{live_server.url}/status/?n={case.tracking_number}")
    expect(page.get_by_label("受理编号")).to_have_value(case.tracking_number)
    page.get_by_label("查询码或手机号后四位").fill("WRONG234")
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#lookup-error")).to_have_text(
        "未查询到匹配的案件，请核对受理编号和查询码（或手机号后四位）。"
    )
    assert "WRONG234" not in page.url

    page.get_by_label("查询码或手机号后四位").fill(case.query_code.lower())
    page.get_by_role("button", name="查询").click()
    result = page.locator(".status-result")
    expect(result.locator(".tracking-number")).to_have_text(case.tracking_number)
    expect(result.locator(".status-badge")).to_have_text("办理中")
    expect(result.locator(".department")).to_have_text("暨阳街道便民服务中心")
    expect(result.locator(".expected")).to_contain_text(f"{case.due_at.astimezone().year}-")
    expect(result.locator(".light")).to_contain_text("在办理时限内")
    expect(result.locator(".timeline li")).to_have_count(3)
    expect(result.locator(".timeline-accept")).to_contain_text("承办部门签收")
    # Nothing of the requester, and the secret never lands in the URL or the page.
    expect(page.locator("body")).not_to_contain_text(case.requester.name)
    assert case.query_code not in page.content()
    assert page.url == f"{live_server.url}/status/"
    # Fits a phone: no horizontal scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_status_page_with_the_phone_last_four_digits(live_server, page, org):
    case = drive(org, CaseStatus.RESOLVED)
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/status/")
    page.get_by_label("受理编号").fill(case.tracking_number)
    page.get_by_label("查询码或手机号后四位").fill(case.requester.phone[-4:])
    page.get_by_role("button", name="查询").click()
    expect(page.locator(".status-result .status-badge")).to_have_text("已办结")
    expect(page.locator(".status-result .status-text")).to_have_text("事项已办结，等待您的满意度回访。")


def test_survey_page_unsatisfied_reopens_and_the_link_is_then_spent(live_server, page, org):
    case = drive(org, CaseStatus.RESOLVED)
    token = survey_link(case)
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/survey/{token}/")
    expect(page.locator(".tracking-number")).to_have_text(case.tracking_number)
    page.get_by_label("不满意").check()
    page.get_by_role("button", name="提交评价").click()
    # A comment is required when unsatisfied; nothing was recorded.
    expect(page.locator(".field-error")).to_have_text("请说明不满意的原因。")
    assert SurveyToken.objects.get(token=token).used_at is None
    page.get_by_label("不满意").check()
    page.get_by_label("意见和建议").fill("营业执照还是没有变更成功")
    page.get_by_role("button", name="提交评价").click()
    expect(page.locator("#survey-done")).to_contain_text("感谢您的评价")
    expect(page.locator("#survey-done")).to_contain_text("重新办理")

    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS
    kinds = list(
        CaseEvent.objects.filter(case=case).order_by("-sequence").values_list("kind", "actor_id")[:2]
    )
    assert kinds == [(EventKind.REOPEN, None), (EventKind.CALLBACK, None)]

    # The same link again: the one message for every unusable link.
    page.goto(f"{live_server.url}/survey/{token}/")
    expect(page.locator("#survey-invalid")).to_have_text(
        "该回访链接无效、已使用或已过期。如需反映意见，请联系受理窗口。"
    )
    expect(page.get_by_role("button", name="提交评价")).to_have_count(0)


def test_survey_page_satisfied(live_server, page, org):
    case = drive(org, CaseStatus.RESOLVED)
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/survey/{survey_link(case)}/")
    page.get_by_label("满意", exact=True).check()
    page.get_by_role("button", name="提交评价").click()
    expect(page.locator("#survey-done")).to_have_text(re.compile("感谢您的评价"))
    case.refresh_from_db()
    assert case.callback_satisfaction == Satisfaction.SATISFIED
    assert case.status == CaseStatus.RESOLVED
