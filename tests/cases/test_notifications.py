"""The closed loop's notifications: which rows each command writes (channel, recipient, template), none for
refused or rolled-back commands, nothing twice for an event processed twice, and the survey link.

Rows are asserted per event through their event key (``case-event:<event id>:<purpose>``); delivery is the
notifications app's business and is exercised here only end to end through the relay (file SMS backend).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

import pytest
import time_machine
from django.db import transaction

from cases import effects, notices, services
from cases.choices import CaseStatus, Complexity, EventKind, HandlingMode, MatterKind, Satisfaction
from cases.models import CaseEvent, SurveyToken
from cases.surveys import (
    SurveyLinkInvalid,
    survey_path,
    survey_token_get,
    survey_token_use,
)
from notifications import services as notification_services
from notifications.choices import Channel, Status, TemplateCode
from notifications.models import Notification
from notifications.tasks import relay_pending
from tests.factories import enterprise, take_in

from .api_helpers import case_url, client_for
from .states import drive

pytestmark = pytest.mark.django_db

S = CaseStatus
E = EventKind
T = TemplateCode
SMS, IN_APP, EMAIL = Channel.SMS, Channel.IN_APP, Channel.EMAIL
PHONE = "13800138000"  # tests.factories.person()
MASKED = "138****8000"
BASE = "https://window.example.gov.cn"


@pytest.fixture(autouse=True)
def _outbox_settings(settings, tmp_path):
    settings.SMS_BACKEND = "notifications.channels.sms.FileSmsBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms.log")
    # Quiet hours would make the outcome depend on the wall clock; one test below sets them.
    settings.NOTIFICATIONS_QUIET_HOURS = ("00:00", "00:00")
    settings.PUBLIC_BASE_URL = BASE
    notification_services._broker_paused_until = 0.0
    yield
    notification_services._broker_paused_until = 0.0


def sms_lines(settings) -> list[dict]:
    path = Path(settings.SMS_FILE_PATH)
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def rows(event: CaseEvent):
    return Notification.objects.filter(event_key__startswith=f"case-event:{event.pk}:").select_related(
        "recipient_user"
    )


def sent(event: CaseEvent) -> set[tuple[str, str, str]]:
    """(channel, recipient, template) of the event's rows; recipient = username, or the masked phone."""
    return {
        (
            r.channel,
            r.recipient_user.username if r.recipient_user_id else r.recipient_display,
            r.template_code,
        )
        for r in rows(event)
    }


def staff(template: str, *usernames: str, channel: str = IN_APP) -> set[tuple[str, str, str]]:
    return {(channel, name, template) for name in usernames}


def dept(key: str) -> tuple[str, str]:
    return f"{key}_head", f"{key}_handler"


def requester(*templates: str) -> set[tuple[str, str, str]]:
    return {(SMS, MASKED, template) for template in templates}


IMMEDIATE = {
    "matter_kind": MatterKind.DIFFICULT,
    "complexity": Complexity.SIMPLE,
    "handling_mode": HandlingMode.IMMEDIATE,
    "resolution_summary": "当场为其补办了营业执照",
}


def _immediate(org):
    return take_in(org, category=org.category, **IMMEDIATE)


def _unsatisfied(org, case):
    services.case_callback(
        actor=org["v1_clerk"], case_id=case.pk, satisfaction=Satisfaction.UNSATISFIED, comment="仍未解决"
    )


# Each scenario: (start status or None, command) → expected rows of the command's event.
def sc_intake(org):
    return take_in(org).events.get()


def sc_intake_enterprise_landline(org):
    return take_in(org, requester=enterprise()).events.get()


def sc_intake_immediate(org):
    return _immediate(org).events.get()


def sc_not_accept(org):
    case = drive(org, S.REGISTERED)
    return services.case_not_accept(
        actor=org["v1_clerk"], case_id=case.pk, reason="属于诉讼事项", guidance="请向诸暨市人民法院起诉"
    )


def sc_classify(org):
    case = drive(org, S.REGISTERED)
    return services.case_classify(
        actor=org["v1_clerk"],
        case_id=case.pk,
        category=org.category,
        matter_kind=MatterKind.DIFFICULT,
        complexity=Complexity.GENERAL,
        handling_mode=HandlingMode.STANDARD,
    )


def sc_assign(org):
    case = drive(org, S.ROUTING)
    return services.case_assign(
        actor=org["v1_clerk"],
        case_id=case.pk,
        lead_department=org.dept("t1_office"),
        assisting_departments=[org.dept("land")],
    )


def sc_accept(org):
    return services.assignment_accept(actor=org["t1_office_handler"], case_id=drive(org, S.ASSIGNED).pk)


def sc_return_by_lead(org):
    case = drive(org, S.ASSIGNED)
    return services.assignment_return(actor=org["t1_office_head"], case_id=case.pk, reason="不属于本街道职责")


def sc_return_by_assisting(org):
    case = drive(org, S.ASSIGNED)
    return services.assignment_return(actor=org["land_head"], case_id=case.pk, reason="无需本局协办")


def sc_transfer(org):
    case = drive(org, S.IN_PROGRESS)
    return services.case_transfer(
        actor=org["t1_office_head"], case_id=case.pk, department=org.dept("t2_office"), reason="属浣东街道"
    )


def sc_escalate(org):
    case = drive(org, S.IN_PROGRESS)
    return services.case_escalate(
        actor=org["t1_office_head"], case_id=case.pk, department=org.dept("market"), reason="需县级审批"
    )


def sc_delegate(org):
    case = drive(org, S.ASSIGNED)
    return services.case_delegate(
        actor=org["t1_office_head"],
        case_id=case.pk,
        department=org.dept("v1_committee"),
        reason="村里熟悉情况",
    )


def sc_coordinate(org):
    case = drive(org, S.COORDINATING)
    return services.case_coordinate(
        actor=org["coordinator"],
        case_id=case.pk,
        lead_department=org.dept("market"),
        assisting_departments=[org.dept("housing")],
        decisions="市场监管局主办，住建局协办",
    )


def sc_reassign(org):
    case = drive(org, S.IN_PROGRESS)
    return services.case_reassign(
        actor=org["county_supervisor"], case_id=case.pk, lead_department=org.dept("housing"), reason="改派"
    )


def sc_note(org):
    case = drive(org, S.IN_PROGRESS)
    return services.case_note(actor=org["t1_office_handler"], case_id=case.pk, text="已电话联系申请人")


def sc_suspend(org):
    case = drive(org, S.IN_PROGRESS)
    return services.case_suspend(
        actor=org["t1_office_handler"], case_id=case.pk, reason="等补充材料", reason_code="awaiting_materials"
    )


def sc_resume(org):
    case = drive(org, S.SUSPENDED)
    return services.case_resume(actor=org["t1_office_handler"], case_id=case.pk, reason="材料已补齐")


def sc_reply(org):
    case = drive(org, S.IN_PROGRESS)
    return services.case_reply(actor=org["t1_office_handler"], case_id=case.pk, answer="三个工作日内办结")


def sc_resolve(org):
    case = drive(org, S.IN_PROGRESS)
    return services.case_resolve(actor=org["t1_office_handler"], case_id=case.pk, summary="已办理变更登记")


def sc_callback(org):
    case = drive(org, S.RESOLVED)
    return services.case_callback(actor=org["v1_clerk"], case_id=case.pk, satisfaction=Satisfaction.SATISFIED)


def sc_close(org):
    return drive(org, S.CLOSED).events.order_by("-sequence").first()


def sc_reopen(org):
    case = drive(org, S.RESOLVED)
    _unsatisfied(org, case)
    return services.case_reopen(actor=org["v1_clerk"], case_id=case.pk, reason="申请人不满意")


def sc_reopen_to_another_lead(org):
    case = drive(org, S.RESOLVED)
    return services.case_reopen(
        actor=org["county_supervisor"],
        case_id=case.pk,
        reason="督办改派",
        lead_department=org.dept("housing"),
    )


def sc_reopen_never_routed(org):
    case = _immediate(org)
    _unsatisfied(org, case)
    return services.case_reopen(actor=org["v1_clerk"], case_id=case.pk, reason="当场办结后仍有问题")


def sc_withdraw(org):
    case = drive(org, S.ASSIGNED)
    return services.case_withdraw(actor=org["v1_clerk"], case_id=case.pk, reason="已自行解决")


def sc_urge(org):
    case = drive(org, S.IN_PROGRESS)
    return services.case_urge(actor=org["t1_supervisor"], case_id=case.pk, reason="请加快办理")


def sc_supervise(org):
    case = drive(org, S.REPLIED)
    return services.case_supervise(actor=org["county_supervisor"], case_id=case.pk, reason="限期办结", days=2)


def sc_extension_request(org):
    case = drive(org, S.IN_PROGRESS)
    return services.case_extension_request(
        actor=org["t1_office_handler"], case_id=case.pk, days=1, reason="需现场勘测"
    )


WIRED = [
    (sc_intake, requester(T.RECEIPT)),
    (sc_intake_enterprise_landline, set()),  # a landline gets no SMS; the printed receipt is the record
    (sc_intake_immediate, requester(T.RECEIPT, T.SURVEY)),
    # 否定答复报告: the refusal also reaches every supervisor over the case (the review queue).
    (
        sc_not_accept,
        requester(T.REPLY) | staff(T.REVIEW, "v1_supervisor", "t1_supervisor", "county_supervisor"),
    ),
    (sc_classify, set()),
    (sc_assign, staff(T.ASSIGNMENT, *dept("t1_office"), *dept("land"))),
    (sc_accept, set()),
    (sc_return_by_lead, staff(T.REROUTE, "v1_clerk")),
    (sc_return_by_assisting, set()),
    (sc_transfer, staff(T.ASSIGNMENT, *dept("t2_office"))),
    (sc_escalate, staff(T.ASSIGNMENT, *dept("market"))),
    (sc_delegate, staff(T.ASSIGNMENT, *dept("v1_committee"))),
    (sc_coordinate, staff(T.ASSIGNMENT, *dept("market"), *dept("housing"))),
    (sc_reassign, staff(T.ASSIGNMENT, *dept("housing"))),
    (sc_note, set()),
    (sc_suspend, set()),
    (sc_resume, set()),
    (sc_reply, requester(T.REPLY)),
    (sc_resolve, requester(T.RESOLVE, T.SURVEY)),
    (sc_callback, set()),
    (sc_close, set()),
    (sc_reopen, staff(T.REOPEN, *dept("t1_office"))),
    (sc_reopen_to_another_lead, staff(T.REOPEN, *dept("housing"))),
    (sc_reopen_never_routed, staff(T.REOPEN, "v1_clerk")),
    (sc_withdraw, set()),
    (sc_urge, staff(T.URGE, *dept("t1_office"))),
    (sc_supervise, staff(T.SUPERVISE, *dept("t1_office"))),
    (sc_extension_request, staff(T.EXTENSION_REQUEST, "county_supervisor", "t1_supervisor", "v1_supervisor")),
]


@pytest.mark.parametrize(("scenario", "expected"), WIRED, ids=[s.__name__[3:] for s, _ in WIRED])
def test_each_command_writes_the_expected_notifications(org, scenario, expected):
    event = scenario(org)
    assert sent(event) == expected
    # Every row of the event is in its own transaction's outbox: nothing else was written for it.
    assert rows(event).count() == len(expected)


def test_an_order_without_a_lead_department_goes_to_whoever_holds_the_case(org):
    # The workflow allows 催办 / 督办 only while a department leads the case; the fallback is defensive.
    case = drive(org, S.ROUTING)
    event = CaseEvent(case=case, kind="urge", payload={"manual": True, "lead_department": None})
    assert notices.lead_department_staff(event) == ([org["v1_clerk"].pk], "")
    led = drive(org, S.IN_PROGRESS)
    event = CaseEvent(
        case=led, kind="urge", payload={"manual": True, "lead_department": led.lead_department_id}
    )
    users, name = notices.lead_department_staff(event)
    assert sorted(users) == sorted(org[u].pk for u in dept("t1_office")) and name == "暨阳街道便民服务中心"


def test_the_ping_pong_guard_tells_the_coordination_centre_instead_of_the_next_department(org, settings):
    settings.CASE_PINGPONG_LIMIT = 0
    case = drive(org, S.ASSIGNED)
    event = services.case_transfer(
        actor=org["t1_office_head"], case_id=case.pk, department=org.dept("t2_office"), reason="不归我们"
    )
    assert event.to_status == S.COORDINATING and event.payload["pingpong_guard"] is True
    assert sent(event) == staff(T.REROUTE, "coordinator")


def test_a_lead_return_of_a_coordinated_case_tells_the_centre(org):
    case = drive(org, S.ASSIGNED)  # routed by the window: returnable
    services.case_reclassify(
        actor=org["v1_clerk"], case_id=case.pk, reason="需多部门协调", handling_mode=HandlingMode.COORDINATED
    )
    event = services.assignment_return(actor=org["t1_office_head"], case_id=case.pk, reason="需协调")
    assert event.to_status == S.COORDINATING
    assert sent(event) == staff(T.REROUTE, "coordinator")


def test_messages_carry_the_case_the_link_and_the_reason(org):
    assign = sc_assign(org)
    case = assign.case
    row = rows(assign).get(recipient_user=org["land_handler"])
    assert row.context["department"] == "自然资源局"
    assert row.context["url"] == f"/cases/{case.pk}/" == row.link
    assert case.tracking_number in row.subject and case.tracking_number in row.body
    assert row.status == Status.SENT  # in-app: the row is the inbox item

    returned = services.assignment_return(actor=org["t1_office_head"], case_id=case.pk, reason="不属于本街道")
    notice = rows(returned).get()
    assert "不属于本街道" in notice.body and notice.link == f"/cases/{case.pk}/"

    refused = sc_not_accept(org)
    sms = rows(refused).get(channel=SMS)
    assert "属于诉讼事项" in sms.body and "请向诸暨市人民法院起诉" in sms.body
    assert sms.recipient_address == PHONE and sms.recipient_display == MASKED


def test_staff_get_email_too_when_they_have_an_address(org):
    head = org["t1_office_head"]
    head.email = "head@t1.example.gov.cn"
    head.save(update_fields=["email"])
    event = sc_assign(org)
    assert (EMAIL, "t1_office_head", T.ASSIGNMENT) in sent(event)
    assert (EMAIL, "t1_office_handler", T.ASSIGNMENT) not in sent(event)


def test_urgent_and_green_channel_requester_sms_skip_the_quiet_hours_but_the_survey_waits(org, settings):
    settings.NOTIFICATIONS_QUIET_HOURS = ("21:00", "08:00")
    night = dt.datetime(2026, 3, 5, 22, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    with time_machine.travel(night, tick=False):
        ordinary = take_in(org).events.get()
        urgent = take_in(org, category=org.category, **{**IMMEDIATE, "matter_kind": MatterKind.URGENT})
        green = take_in(org, green_channel=True).events.get()
    assert rows(ordinary).get().status == Status.HELD
    assert rows(green).get().status == Status.PENDING and rows(green).get().emergency
    urgent_rows = {r.template_code: r for r in rows(urgent.events.get())}
    assert urgent_rows[T.RECEIPT].status == Status.PENDING and urgent_rows[T.RECEIPT].emergency
    assert urgent_rows[T.SURVEY].status == Status.HELD and not urgent_rows[T.SURVEY].emergency


# --- Refused and rolled-back commands write nothing ------------------------------------------------


FORBIDDEN = [
    # (status, command path, who, body, HTTP status)
    (S.REGISTERED, "reply", "v1_clerk", {"answer": "x"}, 409),
    (S.ROUTING, "resolve", "v1_clerk", {"summary": "x"}, 409),
    (S.IN_PROGRESS, "assign", "v1_clerk", {}, 409),
    (S.RESOLVED, "reopen", "v1_clerk", {"reason": "没有回访就重办"}, 409),  # guard: no unsatisfied callback
    (S.ASSIGNED, "return", "land_handler", {"reason": "x"}, 403),  # a handler, not the head
    (S.IN_PROGRESS, "reply", "t1_office_handler", {"answer": ""}, 400),
    (S.ROUTING, "assign", "t2_clerk", {}, 404),  # another town's clerk does not see the case
]


@pytest.mark.parametrize(("status", "command", "who", "body", "code"), FORBIDDEN)
def test_a_refused_command_writes_no_notification(org, status, command, who, body, code):
    case = drive(org, status)
    before = Notification.objects.count()
    response = client_for(org[who]).post(case_url(case.pk, command), body, format="json")
    assert response.status_code == code, response.content
    assert Notification.objects.count() == before


def test_a_command_rolled_back_after_its_event_takes_its_notifications_with_it(org):
    case = drive(org, S.IN_PROGRESS)
    before = Notification.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        event = services.case_resolve(actor=org["t1_office_handler"], case_id=case.pk, summary="已办结")
        assert rows(event).count() == 2  # written in the command's transaction
        raise RuntimeError("the surrounding transaction fails after the event was written")
    assert Notification.objects.count() == before
    assert not SurveyToken.objects.filter(case=case).exists()


# --- An event processed twice sends nothing twice --------------------------------------------------


def test_an_event_processed_twice_writes_and_enqueues_nothing_more(org, django_capture_on_commit_callbacks):
    events = [sc_intake_immediate(org), sc_assign(org), sc_return_by_lead(org), sc_resolve(org)]
    before = {e.pk: sorted(rows(e).values_list("pk", "dedupe_key")) for e in events}
    tokens = SurveyToken.objects.count()
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        for event in events:
            effects.event_recorded(CaseEvent.objects.get(pk=event.pk))  # as a retried handler would
            notices.notify_event(CaseEvent.objects.get(pk=event.pk))
    assert {e.pk: sorted(rows(e).values_list("pk", "dedupe_key")) for e in events} == before
    assert SurveyToken.objects.count() == tokens
    assert callbacks == []  # no delivery enqueued again


def test_a_duplicated_event_is_delivered_once(org, settings, django_capture_on_commit_callbacks):
    event = sc_resolve(org)
    assert relay_pending() == {"sent": 3}  # the intake's receipt, then the resolve and survey SMS
    delivered = sms_lines(settings)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        effects.event_recorded(CaseEvent.objects.get(pk=event.pk))
    assert callbacks == []
    assert relay_pending() == {}
    assert sms_lines(settings) == delivered
    assert sorted(line["template_code"] for line in delivered) == [T.RECEIPT, T.RESOLVE, T.SURVEY]
    assert {line["to"] for line in delivered} == {MASKED}


# --- The survey link -----------------------------------------------------------------------------


def test_the_survey_link_is_single_use_expiring_and_superseded_by_a_reopen(org, settings):
    event = sc_resolve(org)
    token = SurveyToken.objects.get(event=event)
    url = f"{BASE}{survey_path(token.token)}"
    assert survey_path(token.token) == f"/survey/{token.token}/"
    survey = rows(event).get(template_code=T.SURVEY)
    assert survey.context["survey_url"] == url and url in survey.body
    assert token.expires_at == event.created_at + dt.timedelta(days=settings.CASE_SURVEY_LINK_DAYS)

    assert survey_token_get(token=token.token).case == event.case
    with pytest.raises(SurveyLinkInvalid) as unknown:
        survey_token_get(token="not-a-token")
    assert unknown.value.reason == SurveyLinkInvalid.UNKNOWN
    with pytest.raises(SurveyLinkInvalid) as expired:
        survey_token_get(token=token.token, now=token.expires_at)
    assert expired.value.reason == SurveyLinkInvalid.EXPIRED

    assert survey_token_use(token=token.token).used_at is not None
    with pytest.raises(SurveyLinkInvalid) as used:
        survey_token_use(token=token.token)
    assert used.value.reason == SurveyLinkInvalid.USED

    # A second resolution gets a new link; the old resolution's unused link is superseded by the reopen.
    other = sc_resolve(org)
    old = SurveyToken.objects.get(event=other)
    _unsatisfied(org, other.case)
    with pytest.raises(SurveyLinkInvalid) as answered:
        survey_token_get(token=old.token)
    assert answered.value.reason == SurveyLinkInvalid.SUPERSEDED
    services.case_reopen(actor=org["v1_clerk"], case_id=other.case.pk, reason="不满意")
    again = services.case_resolve(actor=org["t1_office_handler"], case_id=other.case.pk, summary="重新办结")
    new = SurveyToken.objects.get(event=again)
    assert new.token != old.token
    assert survey_token_get(token=new.token).event == again
    with pytest.raises(SurveyLinkInvalid) as superseded:
        survey_token_get(token=old.token)
    assert superseded.value.reason == SurveyLinkInvalid.SUPERSEDED


def test_a_failed_callback_gives_the_survey_link_back(org):
    event = sc_resolve(org)
    token = SurveyToken.objects.get(event=event).token
    with pytest.raises(RuntimeError), transaction.atomic():
        survey_token_use(token=token)
        raise RuntimeError("the callback failed")
    assert survey_token_get(token=token).used_at is None


def test_no_unmasked_requester_phone_in_the_logs(org, caplog, settings):
    caplog.set_level(logging.DEBUG)
    case = take_in(org)
    services.case_classify(
        actor=org["v1_clerk"],
        case_id=case.pk,
        category=org.category,
        matter_kind=MatterKind.DIFFICULT,
        complexity=Complexity.GENERAL,
        handling_mode=HandlingMode.STANDARD,
    )
    take_in(org, requester=enterprise(phone="0575-87012345"))
    relay_pending()
    assert caplog.records, "the flow logs something"
    assert PHONE not in caplog.text and "87012345" not in caplog.text
    assert MASKED in caplog.text
    assert sms_lines(settings) and all(PHONE not in json.dumps(line) for line in sms_lines(settings))
