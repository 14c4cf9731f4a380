"""Must show 3: the online form in Chromium at 390×844 — a wrong SMS code, the right one, the receipt —
and the case on the village window's worklist."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from cases.choices import CaseStatus, Channel
from cases.models import Case
from tests.factories import build_org
from tests.fixtures.browser import give_passwords, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def org(transactional_db):
    return build_org()


def test_online_form_wrong_code_right_code_receipt_and_the_village_worklist(
    live_server, page, org, settings, tmp_path
):
    settings.SMS_BACKEND = "notifications.channels.sms.FileSmsBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms.log")
    sms = Path(settings.SMS_FILE_PATH)
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + "/online/")

    page.get_by_role("radio", name="企业").check()
    page.get_by_role("radio", name="群众").check()
    page.get_by_label("姓名/企业名称").fill("赵六")
    page.get_by_label("手机号码").fill("139 1234 5678")
    page.get_by_label("事项所在区划").select_option("330681001001")
    page.get_by_label("事项标题").fill("残疾人补贴申请两次被退回")
    page.get_by_label("反映内容").fill("材料齐全，两次被退回，说法不一。")
    page.get_by_label("附件").set_input_files(
        files=[{"name": "证明.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 test"}]
    )
    page.get_by_label("我已阅读并同意个人信息保护说明").check()

    page.get_by_role("button", name="获取验证码").click()
    expect(page.locator("#sms-status")).to_have_text("验证码已发送，10分钟内有效。")
    expect(page.locator("#send-code")).to_be_disabled()
    code = re.search(r"验证码(\d{6})", json.loads(sms.read_text().splitlines()[-1])["body"]).group(1)

    page.get_by_label("短信验证码").fill("000000" if code != "000000" else "111111")
    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.locator("#field-sms_code .field-error")).to_have_text("验证码错误或已过期，请重新获取。")
    assert Case.objects.count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # The page keeps what was typed except the files and the consent (a browser never refills files).
    page.get_by_label("附件").set_input_files(
        files=[{"name": "证明.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 test"}]
    )
    page.get_by_label("我已阅读并同意个人信息保护说明").check()
    page.get_by_label("短信验证码").fill(code)
    page.get_by_role("button", name="提交", exact=True).click()
    page.wait_for_url(live_server.url + "/online/receipt/")
    case = Case.objects.get()
    expect(page.locator(".tracking-number")).to_have_text(case.tracking_number)
    expect(page.locator(".query-code")).to_have_text(case.query_code)
    expect(page.locator(".window")).to_have_text("城西社区办不成事窗口")
    expect(page.locator(".qr svg")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert (case.status, case.channel, case.attachments.count()) == (CaseStatus.REGISTERED, Channel.ONLINE, 1)
    assert code not in page.url and case.query_code not in page.url

    # The village window's clerk finds it on the worklist (registered cases of the window).
    page.context.clear_cookies()
    give_passwords(org, "v1_clerk")
    log_in(page, live_server, "v1_clerk")
    page.goto(live_server.url + "/cases/?status=registered")
    row = page.locator("tr", has_text=case.tracking_number)
    expect(row).to_contain_text("残疾人补贴申请两次被退回")
    expect(row).to_contain_text("网上反映")
