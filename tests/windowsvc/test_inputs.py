"""One input-cleaning layer (windowsvc/inputs.py): NUL and bidirectional overrides are refused with 400
everywhere — API, pages, Open311 — and nothing is written."""

from __future__ import annotations

import pytest

from cases.models import Case, CaseEvent
from tests.cases.api_helpers import CASES, case_url, client_for, intake_body
from tests.factories import CLASSIFICATION, build_org, take_in

pytestmark = pytest.mark.django_db

RLO = "\u202e"  # right-to-left override: "发票txt.exe" displayed as "发票exe.txt"


@pytest.fixture
def org():
    return build_org()


@pytest.mark.parametrize("bad", ["\x00", RLO, "\u2066", "\u202a"])
def test_a_command_carrying_a_forbidden_character_is_400_and_writes_nothing(org, bad):
    case = take_in(org)
    events = CaseEvent.objects.count()
    response = client_for(org["v1_clerk"]).post(
        case_url(case.pk, "note"), {"text": f"已联系{bad}反映人"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["text"]
    assert CaseEvent.objects.count() == events


def test_a_nested_json_field_is_named(org):
    body = intake_body(org)
    body["requester"]["name"] = f"张{RLO}三"
    response = client_for(org["v1_clerk"]).post(CASES, body, format="json")
    assert response.status_code == 400
    assert "requester.name" in response.json()
    assert Case.objects.count() == 0


def test_plain_chinese_and_emoji_pass(org):
    case = take_in(org)
    response = client_for(org["v1_clerk"]).post(
        case_url(case.pk, "note"), {"text": "已联系反映人，约定周三现场核查 👍"}, format="json"
    )
    assert response.status_code == 200, response.content


def test_pages_and_query_strings(client, org):
    client.force_login(org["v1_clerk"])
    assert client.get("/cases/", {"q": "执照\x00"}).status_code == 400
    assert client.get("/cases/", {"q": "执照"}).status_code == 200
    page = client.post("/cases/intake/", {"title": f"标题{RLO}", "description": "内容"})
    assert page.status_code == 400


def test_open311_answers_in_its_own_error_shape(client, org):
    response = client.get("/open311/v2/requests.json", {"status": f"open{RLO}"})
    assert response.status_code == 400
    assert response.json()[0]["code"] == 400
    xml = client.get("/open311/v2/requests.xml", {"status": "\x00"})
    assert xml.status_code == 400 and b"<code>400</code>" in xml.content


@pytest.mark.parametrize("huge", [10**20, "99999999999999999999", 2**63])
def test_an_id_beyond_the_database_range_is_a_field_error_not_a_500(org, huge):
    case = take_in(org, category=org.category, **CLASSIFICATION)  # waiting for routing
    response = client_for(org["v1_clerk"]).post(
        case_url(case.pk, "assign"), {"lead_department": huge}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["lead_department"]


def test_a_case_id_beyond_the_database_range_in_the_url_is_404(org):
    response = client_for(org["v1_clerk"]).get(case_url(10**20))
    assert response.status_code == 404
