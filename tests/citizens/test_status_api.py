"""The public status lookup API (POST /api/public/status/): what it shows, to whom, and how fast."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.test import override_settings

from cases import services
from cases.choices import CaseStatus, Light
from citizens import ratelimit
from citizens.lookup import iso
from tests.cases.states import drive
from tests.factories import take_in

from .helpers import STATUS_URL, lookup

pytestmark = pytest.mark.django_db

S = CaseStatus


def test_query_code_shows_the_public_status_and_timeline(client, org):
    case = drive(org, S.IN_PROGRESS)
    response = lookup(client, tracking_number=case.tracking_number, query_code=case.query_code.lower())
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["tracking_number"] == case.tracking_number
    assert body["status"] == "in_progress"
    assert body["status_display"] == "办理中"
    assert body["status_text"] == "承办部门正在办理。"
    assert body["is_open"] is True
    assert body["department"] == "暨阳街道便民服务中心"
    assert [entry["kind"] for entry in body["timeline"]] == ["intake", "assign", "accept"]
    assert body["timeline"][2]["department"] == "暨阳街道便民服务中心"
    assert body["timeline"][0]["label"] == "受理登记"
    assert body["taken_in_at"] == iso(case.taken_in_at)


def test_the_expected_date_and_light_come_from_the_case_clock(client, org):
    case = drive(org, S.IN_PROGRESS)
    assert case.due_at is not None
    body = lookup(client, tracking_number=case.tracking_number, query_code=case.query_code).json()
    assert body["expected_at"] == iso(case.due_at)
    assert body["expected_provisional"] is False
    assert (body["light"], body["light_text"]) == (Light.GREEN, "在办理时限内")
    with time_machine.travel(case.yellow_at + dt.timedelta(minutes=1)):
        body = lookup(client, tracking_number=case.tracking_number, query_code=case.query_code).json()
    assert (body["light"], body["light_text"]) == (Light.YELLOW, "临近办理时限")
    with time_machine.travel(case.due_at + dt.timedelta(hours=1)):
        body = lookup(client, tracking_number=case.tracking_number, query_code=case.query_code).json()
    assert (body["light"], body["light_text"]) == (Light.RED, "已超过办理时限，正在督办")
    assert body["expected_at"] == iso(case.due_at)


def test_a_cannot_be_done_yet_answer_shows_its_new_date_to_the_requester(client, org):
    case = drive(org, S.IN_PROGRESS)
    new_date = (case.due_at + dt.timedelta(days=14)).date()
    services.case_reply(
        actor=org["t1_office_handler"],
        case_id=case.pk,
        answer="需上级批复，预计两周后办结",
        can_be_done=False,
        follow_up_due_at=new_date,
    )
    case.refresh_from_db()
    body = lookup(client, tracking_number=case.tracking_number, query_code=case.query_code).json()
    assert body["expected_at"] == iso(case.follow_up_due_at)
    assert body["light"] == Light.GREEN
    open311 = client.get("/open311/v2/requests.json", {"service_request_id": case.tracking_number}).json()
    assert open311[0]["expected_datetime"] == iso(case.follow_up_due_at)
    with time_machine.travel(case.follow_up_due_at + dt.timedelta(hours=1)):
        body = lookup(client, tracking_number=case.tracking_number, query_code=case.query_code).json()
    assert body["light"] == Light.RED  # a promise not kept is overdue, also for the requester


def test_a_resolved_case_expects_nothing_more(client, org):
    case = drive(org, S.RESOLVED)
    body = lookup(client, tracking_number=case.tracking_number, query_code=case.query_code).json()
    assert body["status"] == "resolved"
    assert body["expected_at"] is None
    assert body["light"] is None
    assert body["timeline"][-1]["kind"] == "resolve"


def test_no_staff_names_and_no_personal_data(client, org):
    case = drive(org, S.REPLIED)
    requester = case.requester
    response = lookup(client, tracking_number=case.tracking_number, query_code=case.query_code)
    text = response.content.decode()
    for secret in (
        requester.name,
        requester.phone,
        requester.id_number,
        requester.address,
        case.description,
        case.query_code,
        "已联系市场监管局",  # the reply's text (it was addressed to the requester, not to the public)
        "v1_clerk",
        "t1_office_handler",
    ):
        assert secret not in text
    assert set(json.loads(text)) == {
        "tracking_number",
        "status",
        "status_display",
        "status_text",
        "is_open",
        "department",
        "taken_in_at",
        "updated_at",
        "expected_at",
        "expected_provisional",
        "light",
        "light_text",
        "timeline",
    }


def test_the_last_four_digits_of_the_phone_work_too(client, org):
    case = take_in(org, "v1", requester={**_person(), "phone": "0575-87012345"})
    response = lookup(client, tracking_number=case.tracking_number, phone_last4="2345")
    assert response.status_code == 200
    assert response.json()["status"] == "registered"
    assert lookup(client, tracking_number=case.tracking_number, phone_last4="2346").status_code == 404


def test_credentials_may_travel_in_headers(client, org):
    case = take_in(org, "v1")
    response = client.post(
        STATUS_URL,
        HTTP_X_TRACKING_NUMBER=case.tracking_number,
        HTTP_X_QUERY_CODE=case.query_code,
        REMOTE_ADDR="203.0.113.8",
    )
    assert response.status_code == 200
    assert response.json()["tracking_number"] == case.tracking_number


def test_form_encoded_bodies_are_accepted(client, org):
    case = take_in(org, "v1")
    response = client.post(
        STATUS_URL, {"tracking_number": case.tracking_number, "query_code": case.query_code}
    )
    assert response.status_code == 200


def test_a_code_in_the_url_is_never_read(client, org):
    case = take_in(org, "v1")
    url = f"{STATUS_URL}?tracking_number={case.tracking_number}&query_code={case.query_code}"
    response = client.post(url, {}, content_type="application/json")
    assert response.status_code == 400
    assert client.get(STATUS_URL).status_code == 405


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "tracking_number"),
        ({"tracking_number": "330681"}, "query_code"),
        ({"tracking_number": "33 06", "query_code": "ABCDEFGH"}, "tracking_number"),
        ({"tracking_number": "330681", "query_code": "ABCDEFGH", "phone_last4": "1234"}, "query_code"),
        ({"tracking_number": "330681", "phone_last4": "12a4"}, "phone_last4"),
        ({"tracking_number": "330681", "query_code": "X" * 17}, "query_code"),
        ({"tracking_number": ["330681"], "query_code": "ABCDEFGH"}, "tracking_number"),
    ],
)
def test_malformed_lookups_are_400_with_field_errors(client, body, field):
    response = client.post(STATUS_URL, body, content_type="application/json")
    assert response.status_code == 400
    assert field in response.json()


def test_unparseable_json_is_400(client):
    response = client.post(STATUS_URL, "{nope", content_type="application/json")
    assert response.status_code == 400
    assert "detail" in response.json()


def test_a_hit_a_wrong_secret_and_an_unknown_number_cost_one_query_each(
    client, org, django_assert_num_queries
):
    case = drive(org, S.IN_PROGRESS)
    with django_assert_num_queries(1):
        assert (
            lookup(client, tracking_number=case.tracking_number, query_code=case.query_code).status_code
            == 200
        )
    with django_assert_num_queries(1):
        assert lookup(client, tracking_number=case.tracking_number, query_code="WRONGCOD").status_code == 404
    with django_assert_num_queries(1):
        assert (
            lookup(client, tracking_number="330681001001209912319999", query_code="WRONGCOD").status_code
            == 404
        )


def test_the_limiter_fails_closed_when_redis_is_unreachable(client, org):
    case = take_in(org, "v1")
    with override_settings(PUBLIC_RATELIMIT_REDIS_URL="redis://127.0.0.1:1/0"):
        ratelimit.reset_client()
        response = lookup(client, tracking_number=case.tracking_number, query_code=case.query_code)
    ratelimit.reset_client()
    assert response.status_code == 503
    assert case.tracking_number not in response.content.decode()


def test_a_reopened_case_shows_the_reopen_and_the_same_department(client, org):
    case = drive(org, S.RESOLVED)
    services.case_callback(
        actor=org["v1_clerk"], case_id=case.pk, satisfaction="unsatisfied", comment="没解决"
    )
    services.case_reopen(actor=org["v1_clerk"], case_id=case.pk, reason="群众不满意")
    body = lookup(client, tracking_number=case.tracking_number, query_code=case.query_code).json()
    assert body["timeline"][-1]["kind"] == "reopen"
    assert body["department"] == "暨阳街道便民服务中心"
    assert "callback" not in [entry["kind"] for entry in body["timeline"]]


def _person():
    from tests.factories import person

    return person()
