"""The online form (网上反映) through its API and page: SMS codes (hashed, expiring, one use, rate-limited
per phone and per address), requester checks as at the window, the case registered at the chosen region's
window on channel “online”, the receipt SMS."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.choices import CaseStatus, Channel
from cases.models import Case
from citizens.models import SmsCode
from notifications.models import Notification

pytestmark = pytest.mark.django_db

CODE_URL = "/api/public/online/sms-code/"
SUBMIT_URL = "/api/public/online/submissions/"
PHONE = "13912345678"


@pytest.fixture(autouse=True)
def sms_file(settings, tmp_path):
    settings.SMS_BACKEND = "notifications.channels.sms.FileSmsBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms.log")
    return Path(settings.SMS_FILE_PATH)


def last_code(sms_file: Path) -> str:
    line = json.loads(sms_file.read_text().splitlines()[-1])
    return re.search(r"验证码(\d{6})", line["body"]).group(1)


def body(**overrides) -> dict:
    data = {
        "kind": "person",
        "name": "李四",
        "phone": PHONE,
        "region": "330681001001",
        "title": "低保申请三个月没有结果",
        "description": "三个月前在社区提交申请，至今没有答复。",
        "consent": "true",
    }
    data.update(overrides)
    return data


def test_a_code_then_a_submission_registers_the_case_at_the_village_window(client, org, sms_file):
    assert client.post(CODE_URL, {"phone": PHONE}, content_type="application/json").status_code == 202
    code = last_code(sms_file)
    row = SmsCode.objects.get()
    assert code not in (row.code_hash, row.phone_index) and PHONE not in row.phone_index
    assert PHONE not in sms_file.read_text()  # the file backend masks the number

    wrong = client.post(SUBMIT_URL, body(sms_code="000000" if code != "000000" else "111111"))
    assert wrong.status_code == 400
    assert "sms_code" in json.dumps(wrong.json())
    attachment = SimpleUploadedFile("证明.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    response = client.post(SUBMIT_URL, {**body(sms_code=code), "attachments": [attachment]})
    assert response.status_code == 201, response.content
    case = Case.objects.get(tracking_number=response.json()["tracking_number"])
    assert (case.status, case.channel, case.window) == (
        CaseStatus.REGISTERED,
        Channel.ONLINE,
        org.windows["v1"],
    )
    assert case.clerk_id is None and case.attachments.count() == 1
    assert response.json()["query_code"] == case.query_code
    assert Notification.objects.filter(recipient_address=PHONE, template_code="receipt").exists()
    # Used once.
    again = client.post(SUBMIT_URL, body(sms_code=code, title="再来一次"))
    assert again.status_code == 400
    assert Case.objects.count() == 1


def test_a_code_allows_five_tries_then_none(client, org, sms_file, settings):
    client.post(CODE_URL, {"phone": PHONE}, content_type="application/json")
    code = last_code(sms_file)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        assert client.post(SUBMIT_URL, body(sms_code=wrong)).status_code == 400
    assert client.post(SUBMIT_URL, body(sms_code=code)).status_code == 400
    assert Case.objects.count() == 0


def test_requester_checked_as_at_the_window(client, org, sms_file):
    client.post(CODE_URL, {"phone": PHONE}, content_type="application/json")
    code = last_code(sms_file)
    response = client.post(SUBMIT_URL, body(sms_code=code, kind="enterprise", consent="", region="nowhere"))
    errors = json.dumps(response.json(), ensure_ascii=False)
    assert response.status_code == 400
    assert "consent" in errors and "region" in errors
    response = client.post(SUBMIT_URL, body(sms_code=code, kind="enterprise"))
    assert response.status_code == 400
    assert "requester.credit_code" in json.dumps(response.json())
    assert client.post(SUBMIT_URL, body(sms_code=code)).status_code == 201


def test_codes_are_rate_limited_per_phone_and_per_address(client, org):
    assert client.post(CODE_URL, {"phone": PHONE}, content_type="application/json").status_code == 202
    assert client.post(CODE_URL, {"phone": PHONE}, content_type="application/json").status_code == 429
    statuses = [
        client.post(CODE_URL, {"phone": f"1390000{i:04d}"}, content_type="application/json").status_code
        for i in range(12)
    ]
    # Every request counts against the address (10 an hour), the refused one above too.
    assert statuses.count(202) == 8 and statuses[-1] == 429
    assert client.post(CODE_URL, {"phone": "12345"}, content_type="application/json").status_code == 400


def test_the_page_shows_errors_and_the_receipt(client, org, sms_file):
    page = client.get("/online/")
    assert page.status_code == 200
    assert "城西社区" in page.content.decode()
    client.post(CODE_URL, {"phone": PHONE}, content_type="application/json")
    code = last_code(sms_file)
    wrong = client.post("/online/", body(sms_code="000000" if code != "000000" else "111111", consent="on"))
    assert wrong.status_code == 400
    assert "验证码错误或已过期" in wrong.content.decode()
    done = client.post("/online/", body(sms_code=code, consent="on"), follow=True)
    case = Case.objects.get()
    text = done.content.decode()
    assert case.tracking_number in text and case.query_code in text
    assert "<svg" in text
    assert client.get("/online/receipt/").status_code == 200
