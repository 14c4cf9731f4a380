"""The satisfaction survey by link (/survey/<token>/): callback, reopen when unsatisfied, one message for
every link that cannot be used."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from cases.choices import CaseStatus, EventKind, Satisfaction
from cases.models import CaseEvent, SurveyToken
from cases.surveys import SurveyLinkInvalid
from citizens.services import survey_answer
from tests.cases.states import drive

from .helpers import survey_link

pytestmark = pytest.mark.django_db

INVALID = "该回访链接无效、已使用或已过期。如需反映意见，请联系受理窗口。"


def url(token: str) -> str:
    return f"/survey/{token}/"


def events(case) -> list[tuple[str, object]]:
    return list(CaseEvent.objects.filter(case=case).order_by("sequence").values_list("kind", "actor_id"))


def test_the_page_shows_the_case_and_the_three_answers(client, org):
    case = drive(org, CaseStatus.RESOLVED)
    response = client.get(url(survey_link(case)))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "same-origin"
    text = response.content.decode()
    assert case.tracking_number in text
    for label in ("满意", "基本满意", "不满意"):
        assert label in text
    assert case.requester.name not in text and case.requester.phone not in text


def test_satisfied_records_the_callback_as_the_system(client, org):
    case = drive(org, CaseStatus.RESOLVED)
    token = survey_link(case)
    response = client.post(url(token), {"satisfaction": Satisfaction.SATISFIED, "comment": "办得好"})
    assert response.status_code == 200
    assert "感谢您的评价" in response.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED  # closure (销号) stays with the window
    assert case.callback_satisfaction == Satisfaction.SATISFIED
    assert case.callback_comment == "办得好"
    assert events(case)[-1] == (EventKind.CALLBACK, None)
    assert SurveyToken.objects.get(token=token).used_at is not None


def test_basically_satisfied_needs_no_comment(client, org):
    case = drive(org, CaseStatus.RESOLVED)
    response = client.post(url(survey_link(case)), {"satisfaction": Satisfaction.BASICALLY_SATISFIED})
    assert response.status_code == 200
    case.refresh_from_db()
    assert case.callback_satisfaction == Satisfaction.BASICALLY_SATISFIED


def test_unsatisfied_records_the_callback_and_reopens_as_two_commands(client, org):
    case = drive(org, CaseStatus.RESOLVED)
    before = case.version
    response = client.post(
        url(survey_link(case)), {"satisfaction": Satisfaction.UNSATISFIED, "comment": "问题没解决"}
    )
    assert response.status_code == 200
    assert "重新办理" in response.content.decode()
    case.refresh_from_db()
    assert events(case)[-2:] == [(EventKind.CALLBACK, None), (EventKind.REOPEN, None)]
    assert case.version == before + 2
    assert case.status == CaseStatus.IN_PROGRESS  # back to the same lead department
    assert case.lead_department == org.dept("t1_office")
    reopen = CaseEvent.objects.filter(case=case).order_by("-sequence").first()
    assert "问题没解决" in reopen.reason


def test_unsatisfied_without_a_comment_is_refused_and_keeps_the_link(client, org):
    case = drive(org, CaseStatus.RESOLVED)
    token = survey_link(case)
    response = client.post(url(token), {"satisfaction": Satisfaction.UNSATISFIED, "comment": "  "})
    assert response.status_code == 400
    assert "请说明不满意的原因" in response.content.decode()
    assert SurveyToken.objects.get(token=token).used_at is None
    assert events(case)[-1][0] == EventKind.RESOLVE


def test_a_missing_answer_is_a_form_error(client, org):
    case = drive(org, CaseStatus.RESOLVED)
    assert client.post(url(survey_link(case)), {}).status_code == 400


def _invalid_answers(client, token):
    get = client.get(url(token))
    post = client.post(url(token), {"satisfaction": Satisfaction.SATISFIED})
    return [(r.status_code, INVALID in r.content.decode()) for r in (get, post)]


def test_used_expired_unknown_and_superseded_links_get_one_message(client, org):
    used = drive(org, CaseStatus.RESOLVED)
    used_token = survey_link(used)
    client.post(url(used_token), {"satisfaction": Satisfaction.SATISFIED})

    expired = drive(org, CaseStatus.RESOLVED)
    expired_token = survey_link(expired)

    superseded = drive(org, CaseStatus.RESOLVED)
    superseded_token = survey_link(superseded)
    from cases import services

    services.case_callback(actor=org["v1_clerk"], case_id=superseded.pk, satisfaction=Satisfaction.SATISFIED)

    expected = [(404, True), (404, True)]
    assert _invalid_answers(client, used_token) == expected
    assert _invalid_answers(client, "no-such-token") == expected
    assert _invalid_answers(client, superseded_token) == expected
    token = SurveyToken.objects.get(token=expired_token)
    with time_machine.travel(token.expires_at + dt.timedelta(seconds=1)):
        assert _invalid_answers(client, expired_token) == expected
    # The pages are byte-identical apart from the CSRF token the base layout carries.
    bodies = {
        client.get(url(t)).content.decode().split("csrfmiddlewaretoken")[0]
        for t in (used_token, "no-such-token", superseded_token)
    }
    assert len(bodies) == 1
    expired.refresh_from_db()
    assert expired.callback_satisfaction == ""


def test_one_link_cannot_answer_twice_through_the_service(org):
    case = drive(org, CaseStatus.RESOLVED)
    token = survey_link(case)
    survey_answer(token=token, satisfaction=Satisfaction.SATISFIED)
    with pytest.raises(SurveyLinkInvalid):
        survey_answer(token=token, satisfaction=Satisfaction.UNSATISFIED, comment="再来一次")
    assert [k for k, _a in events(case)].count(EventKind.CALLBACK) == 1
