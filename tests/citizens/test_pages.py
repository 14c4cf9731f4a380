"""The status page (/status/): opened from the receipt's QR code, the code typed, POST with CSRF."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from cases.choices import CaseStatus
from tests.cases.states import drive
from tests.factories import take_in

pytestmark = pytest.mark.django_db

NOT_FOUND = "未查询到匹配的案件，请核对受理编号和查询码（或手机号后四位）。"


def test_the_qr_link_prefills_the_tracking_number_only(client, org):
    case = take_in(org, "v1")
    response = client.get(f"/status/?n={case.tracking_number}")
    assert response.status_code == 200
    text = response.content.decode()
    assert f'value="{case.tracking_number}"' in text
    assert 'method="post"' in text
    assert "csrfmiddlewaretoken" in text
    assert case.query_code not in text


def test_a_garbage_number_in_the_link_is_not_echoed(client):
    response = client.get('/status/?n="><script>alert(1)</script>')
    assert "<script>alert(1)" not in response.content.decode()


def test_the_receipt_qr_code_points_at_the_public_status_page(client, org, settings):
    """On PUBLIC_BASE_URL, whatever host the clerk's own request came in on (an internal name)."""
    settings.PUBLIC_BASE_URL = "https://window.example.gov.cn"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "10.0.0.5"]
    case = take_in(org, "v1")
    client.force_login(org["v1_clerk"])
    text = client.get(f"/cases/{case.pk}/receipt/", HTTP_HOST="10.0.0.5").content.decode()
    assert f"https://window.example.gov.cn/status/?n={case.tracking_number}" in text
    assert "10.0.0.5" not in text


def test_the_page_shows_the_status_for_the_right_code(client, org):
    case = drive(org, CaseStatus.IN_PROGRESS)
    response = client.post(
        "/status/", {"tracking_number": case.tracking_number, "secret": case.query_code.lower()}
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "办理中" in text and "暨阳街道便民服务中心" in text and "承办部门签收" in text
    assert case.query_code not in text  # the secret is not echoed back
    assert case.requester.name not in text
    assert response["Cache-Control"] == "no-store"


def test_the_page_shows_the_reply_and_then_the_result(client, org):
    case = drive(org, CaseStatus.REPLIED)
    form = {"tracking_number": case.tracking_number, "secret": case.query_code}
    text = client.post("/status/", form).content.decode()
    assert "答复内容" in text and "已联系市场监管局，三个工作日内办结" in text
    assert "办理结果" not in text
    resolved = drive(org, CaseStatus.RESOLVED)
    text = client.post(
        "/status/", {"tracking_number": resolved.tracking_number, "secret": resolved.query_code}
    ).content.decode()
    assert "办理结果" in text and "已办理变更登记" in text and "承办部门办结" in text


def test_the_phone_last_four_digits_work_on_the_page(client, org):
    case = take_in(org, "v1")
    response = client.post("/status/", {"tracking_number": case.tracking_number, "secret": "8000"})
    assert response.status_code == 200
    assert "已登记" in response.content.decode()


def test_wrong_and_unknown_give_the_same_message(client, org):
    case = take_in(org, "v1")
    wrong = client.post("/status/", {"tracking_number": case.tracking_number, "secret": "WRONG234"})
    unknown = client.post("/status/", {"tracking_number": "330681001001209901019999", "secret": "WRONG234"})
    assert wrong.status_code == unknown.status_code == 404
    for response in (wrong, unknown):
        assert NOT_FOUND in response.content.decode()


def test_the_page_needs_its_csrf_token(org):
    case = take_in(org, "v1")
    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/status/", {"tracking_number": case.tracking_number, "secret": case.query_code})
    assert response.status_code == 403


def test_an_empty_form_is_a_form_error(client):
    response = client.post("/status/", {})
    assert response.status_code == 400
    assert "请填写受理编号" in response.content.decode() or "这个字段是必填项" in response.content.decode()


@override_settings(PUBLIC_STATUS_LIMIT_PER_ADDRESS=2)
def test_the_page_shares_the_api_rate_limit(client, org):
    case = take_in(org, "v1")
    client.post(
        "/api/public/status/",
        {"tracking_number": case.tracking_number, "query_code": "WRONG234"},
        content_type="application/json",
    )
    client.post("/status/", {"tracking_number": case.tracking_number, "secret": "WRONG234"})
    response = client.post("/status/", {"tracking_number": case.tracking_number, "secret": case.query_code})
    assert response.status_code == 429
    assert "查询过于频繁" in response.content.decode()
