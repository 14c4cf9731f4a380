"""The staff pages in a real browser (Playwright driving Debian's Chromium through live_server).

A clerk takes a case in with the keyboard and opens the receipt; a department head signs for it and
replies; a double-clicked intake (with and without the page's script) creates one case.
"""

import re
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from cases import services
from cases.choices import CaseStatus, EventKind
from cases.models import Case
from tests.factories import build_org, make_id_number, take_in
from tests.fixtures.browser import give_passwords, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def org(transactional_db):
    org = build_org()
    give_passwords(org, "v1_clerk", "market_head")
    return org


def fill_intake(page, org, *, phone: str = "13800138000", title: str = "营业执照变更多次未办成") -> None:
    # The requester's name has the focus: a clerk starts typing at once.
    page.keyboard.type("张三丰")
    page.get_by_label("联系电话").fill(phone)
    page.get_by_label("居民身份证号码").fill(make_id_number())
    page.get_by_label("事项标题").fill(title)
    page.get_by_label("反映内容").fill("申请变更经营范围三次被退回，原因说法不一。")
    page.get_by_label("事项类别").fill(f"{org.category.code} {org.category.name}")
    page.get_by_label("事项性质").select_option("difficult")
    page.get_by_label("复杂程度").select_option("general")
    page.get_by_label("办理方式").select_option("standard")


def test_clerk_takes_a_case_in_and_opens_the_receipt(live_server, page, org):
    earlier = take_in(org, "v1", category=org.category)
    log_in(page, live_server, "v1_clerk")
    page.get_by_role("link", name="工作台").click()
    page.wait_for_url(re.compile(r"/cases/intake/$"))
    expect(page.get_by_label("姓名/名称")).to_be_focused()
    fill_intake(page, org)
    # The same requester has an open case in this category: a warning, not a block.
    page.get_by_label("联系电话").press("Tab")
    warning = page.locator("#similar-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text(earlier.tracking_number)
    # Enter in a single-line field submits the form.
    page.get_by_label("事项标题").press("Enter")
    page.wait_for_url(re.compile(r"/cases/\d+/receipt/$"))

    case = Case.objects.exclude(pk=earlier.pk).get()
    assert case.status == CaseStatus.ROUTING
    expect(page.locator(".receipt .tracking-number")).to_have_text(case.tracking_number)
    expect(page.locator(".receipt .query-code")).to_have_text(case.query_code)
    expect(page.locator(".receipt .requester-phone")).to_have_text("138****8000")
    # The reply deadline runs from intake (docs/DEADLINES.md): the receipt prints it, Beijing time.
    reply_due = case.reply_due_at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    expect(page.locator(".receipt .expected-reply")).to_have_text(reply_due)
    qr = page.locator(".receipt svg.qr-code")
    expect(qr).to_be_visible()
    assert qr.bounding_box()["width"] > 80
    expect(page.locator(".status-url")).to_contain_text(f"/status/?n={case.tracking_number}")
    # Printing hides the site chrome and keeps the receipt.
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".receipt .tracking-number")).to_be_visible()


def test_department_head_signs_for_the_case_and_replies(live_server, page, org):
    case = take_in(org, "v1")
    clerk = org["v1_clerk"]
    services.case_classify(
        actor=clerk,
        case_id=case.pk,
        category=org.category,
        matter_kind="difficult",
        complexity="general",
        handling_mode="standard",
    )
    services.case_assign(actor=clerk, case_id=case.pk, lead_department=org.dept("market"))

    log_in(page, live_server, "market_head")
    page.get_by_role("link", name="工作台").click()
    page.wait_for_url(re.compile(r"/cases/queue/$"))
    row = page.locator(f'tr[data-case="{case.tracking_number}"]')
    expect(row).to_be_visible()
    row.get_by_role("link", name=case.tracking_number).click()
    page.wait_for_url(re.compile(rf"/cases/{case.pk}/$"))
    # A pending case offers signing for it (and returning it), not replying yet.
    expect(page.locator('[data-command="accept"]')).to_be_visible()
    expect(page.locator('[data-command="reply"]')).to_have_count(0)

    page.get_by_role("button", name="签收").click()
    expect(page.locator(".message.success")).to_contain_text("已签收")
    expect(page.locator(".case-meta .status")).to_have_text("办理中")
    expect(page.locator('[data-command="accept"]')).to_have_count(0)

    reply = page.locator('details[data-command="reply"]')
    reply.locator("summary").click()
    reply.get_by_label("答复内容").fill("已与申请人联系，变更登记三个工作日内办结。")
    reply.get_by_role("button", name="答复").click()
    expect(page.locator(".message.success")).to_contain_text("已答复")
    expect(page.locator(".case-meta .status")).to_have_text("已答复")
    last = page.locator(".timeline .event").last
    expect(last).to_contain_text("答复")
    expect(last).to_contain_text("已与申请人联系")
    expect(last.locator(".visibility")).to_have_text("公开")

    case.refresh_from_db()
    assert case.status == CaseStatus.REPLIED
    assert list(case.events.values_list("kind", flat=True)) == [
        EventKind.INTAKE,
        EventKind.CLASSIFY,
        EventKind.ASSIGN,
        EventKind.ACCEPT,
        EventKind.REPLY,
    ]


def test_double_clicked_intake_creates_one_case(live_server, page, org):
    log_in(page, live_server, "v1_clerk")
    page.goto(live_server.url + "/cases/intake/")
    fill_intake(page, org)
    posts = []
    # Submissions of the form (the live similar-case lookup is a POST too, to another URL).
    page.on(
        "request",
        lambda request: (
            posts.append(request.url)
            if request.method == "POST" and request.url.endswith("/cases/intake/")
            else None
        ),
    )
    page.locator("#intake-submit").dblclick()
    page.wait_for_url(re.compile(r"/cases/\d+/receipt/$"))
    case = Case.objects.get()
    expect(page.locator(".receipt .tracking-number")).to_have_text(case.tracking_number)
    assert len(posts) == 1  # the page's script lets one submission through


def test_the_same_rendered_form_sent_twice_at_once_creates_one_case(live_server, page, org):
    """What the script cannot stop (a retry, a second tab, a flaky network): the form's token does."""
    log_in(page, live_server, "v1_clerk")
    page.goto(live_server.url + "/cases/intake/")
    fill_intake(page, org)
    landed = page.evaluate(
        """() => {
            const form = document.getElementById("intake-form");
            const send = () => fetch(form.action, {method: "POST", body: new FormData(form), credentials: "same-origin"});
            return Promise.all([send(), send()]).then(rs => rs.map(r => [r.status, r.url]));
        }"""
    )
    case = Case.objects.get()
    receipt = f"{live_server.url}/cases/{case.pk}/receipt/"
    assert landed == [[200, receipt], [200, receipt]]
    assert case.events.count() == 1
