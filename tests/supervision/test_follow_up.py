"""Nobody acts unheard: a supervisor's 催办 / 督办 (dashboard, ticked cases, a department's overdue set, the
case page and the staff API) reaches the lead department's inbox exactly once; the deadline sweep's own
steps are not told twice; an extension request reaches the case's supervisors and waits on the dashboard
and in the API until it is decided; the 催办 / 督办 so far show on the overdue list, the dashboard, the
department queue and the case page. All through HTTP, on the real services, within each user's scope."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from cases import notices, services
from cases.choices import ExtensionStatus, SweepEventKind
from cases.models import CaseEvent, Extension
from cases.sweep import sweep
from notifications.choices import Channel, TemplateCode
from notifications.models import ChannelPreference, Notification

from .scenarios import at, routed_case, travel

pytestmark = pytest.mark.django_db

T = TemplateCode
NOW = "2026-03-20 12:00"
LEAD = ("t1_office_head", "t1_office_handler")
OFFICE = "暨阳街道便民服务中心"


def api(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def inbox(user, template: str) -> list[dict]:
    """The user's in-app messages of one template, read through the inbox API."""
    response = api(user).get("/api/v1/notifications/", {"template_code": template})
    assert response.status_code == 200
    return response.json()["results"]


def told(event: CaseEvent) -> list[tuple[str, str, str]]:
    """(channel, username, template) of every outbox row of the event, sorted: duplicates would show."""
    rows = Notification.objects.filter(event_key__startswith=f"case-event:{event.pk}:")
    return sorted(
        (r.channel, r.recipient_user.username, r.template_code) for r in rows.select_related("recipient_user")
    )


def in_app(template: str, *usernames: str) -> list[tuple[str, str, str]]:
    return sorted((Channel.IN_APP, name, template) for name in usernames)


def row_of(html: str, tracking_number: str) -> str:
    """The table row of a case (``<tr data-case="…">``) in a page."""
    match = re.search(rf'<tr data-case="{tracking_number}"[^>]*>(.*?)</tr>', html, re.S)
    assert match, f"no row for {tracking_number}"
    return match.group(1)


@pytest.fixture
def late(org):
    """Two cases of the t1 office, taken in at v1 on 03-02 and due 03-09 17:30: overdue at NOW."""
    return routed_case(org, when="2026-03-02 09:00"), routed_case(org, when="2026-03-02 09:00")


# --- 催办 / 督办 by hand reach the lead department ---------------------------------------------------------


def test_urge_from_the_dashboards_bulk_action_lands_once_in_the_lead_departments_inbox(client, org, late):
    client.force_login(org["county_supervisor"])
    with travel(NOW):
        response = client.post(
            reverse("supervision:bulk-action") + "?region=330681",
            {
                "case": [case.pk for case in late],
                "action": "urge",
                "reason": "请本周内办结并报送情况",
                "next": "/supervision/?region=330681",
            },
            follow=True,
        )
    assert "已催办 2 件案件" in response.content.decode()
    events = list(CaseEvent.objects.filter(kind=SweepEventKind.URGE).order_by("case_id"))
    assert len(events) == 2 and all(event.payload["manual"] for event in events)
    for event in events:
        assert told(event) == in_app(T.URGE, *LEAD)
    for username in LEAD:
        messages = inbox(org[username], T.URGE)
        assert sorted(m["link"] for m in messages) == sorted(f"/cases/{case.pk}/" for case in late)
        for message in messages:
            assert "请本周内办结并报送情况" in message["body"]
            assert "2026-03-09 17:30" in message["body"]  # the case's deadline
    # Nobody else hears of it: not the supervisor, the window, another department.
    for username in ("county_supervisor", "v1_clerk", "t2_office_head", "market_handler"):
        assert inbox(org[username], T.URGE) == []
    # An event processed again (a retried handler) sends nothing twice.
    before = Notification.objects.count()
    for event in events:
        notices.notify_event(CaseEvent.objects.get(pk=event.pk))
    assert Notification.objects.count() == before


def test_urge_a_departments_overdue_set_from_the_dashboard(client, org, late):
    client.force_login(org["t1_supervisor"])
    with travel(NOW):
        client.post(
            reverse("supervision:department-action", args=[org.dept("t1_office").pk, "urge"])
            + "?region=330681001",
            {"reason": "本部门超期案件较多"},
        )
    for username in LEAD:
        assert len(inbox(org[username], T.URGE)) == 2


@pytest.mark.parametrize(
    "url", ["/api/v1/cases/{pk}/urge/", "/api/v1/supervision/cases/{pk}/urge/"], ids=["cases", "supervision"]
)
def test_urge_from_the_staff_api_lands_once_with_the_reason(org, late, url):
    case = late[0]
    with travel(NOW):
        response = api(org["t1_supervisor"]).post(
            url.format(pk=case.pk), {"reason": "群众多次来电"}, format="json"
        )
    assert response.status_code == 200, response.content
    event = CaseEvent.objects.get(kind=SweepEventKind.URGE, case=case)
    assert told(event) == in_app(T.URGE, *LEAD)
    for username in LEAD:
        (message,) = inbox(org[username], T.URGE)
        assert "群众多次来电" in message["body"] and case.tracking_number in message["subject"]


def test_supervise_carries_the_orders_own_deadline_and_follows_channel_preferences(client, org, late):
    head = org["t1_office_head"]
    head.email = "head@t1.example.gov.cn"
    head.save(update_fields=["email"])
    ChannelPreference.objects.create(user=org["t1_office_handler"], sms_enabled=True, phone="13900139000")
    case = late[0]
    client.force_login(org["t1_supervisor"])
    with travel("2026-03-11 10:00"):
        response = client.post(
            reverse("supervision:case-action", args=[case.pk, "supervise"]) + "?region=330681001",
            {"reason": "限期两日内办结", "days": 2, "next": "/supervision/?region=330681001"},
        )
    assert response.status_code == 302
    event = CaseEvent.objects.get(kind=SweepEventKind.SUPERVISE, case=case)
    assert told(event) == sorted(
        [
            *in_app(T.SUPERVISE, *LEAD),
            (Channel.EMAIL, "t1_office_head", T.SUPERVISE),
            (Channel.SMS, "t1_office_handler", T.SUPERVISE),
        ]
    )
    for username in LEAD:
        (message,) = inbox(org[username], T.SUPERVISE)
        # Two working days after Wednesday 03-11: the order is due on Friday 03-13 at 17:30.
        assert "2026-03-13 17:30" in message["body"] and "限期两日内办结" in message["body"]


def test_supervise_through_the_cases_api_too(org, late):
    case = late[1]
    with travel("2026-03-11 10:00"):
        response = api(org["county_supervisor"]).post(
            f"/api/v1/cases/{case.pk}/supervise/", {"reason": "督办", "days": 3}, format="json"
        )
    assert response.status_code == 200
    for username in LEAD:
        (message,) = inbox(org[username], T.SUPERVISE)
        assert "2026-03-16 17:30" in message["body"]  # Wednesday + 3 working days: Monday


def test_a_sweep_fired_urge_is_told_once_by_the_sweep_alone(org, late):
    case = late[0]
    result = sweep(now=at("2026-03-10 10:00"))  # the day after the deadline: red, 催办
    assert result["red"] >= 1
    event = CaseEvent.objects.get(kind=SweepEventKind.URGE, case=case)
    assert event.actor is None and "manual" not in event.payload
    # The sweep tells the lead's heads; the handler for supervisors' orders adds nobody.
    assert told(event) == in_app(T.URGE, "t1_office_head")
    notices.notify_event(CaseEvent.objects.get(pk=event.pk))
    assert told(event) == in_app(T.URGE, "t1_office_head")
    assert inbox(org["t1_office_handler"], T.URGE) == []
    # A supervisor urging the same case afterwards is a message of its own.
    with travel("2026-03-10 11:00"):
        manual = services.case_urge(actor=org["t1_supervisor"], case_id=case.pk, reason="请说明超期原因")
    assert told(manual) == in_app(T.URGE, *LEAD)
    about_case = [m for m in inbox(org["t1_office_head"], T.URGE) if m["link"] == f"/cases/{case.pk}/"]
    assert len(about_case) == 2  # the sweep's and the supervisor's


# --- Extension requests reach the case's supervisors and wait on their screens ---------------------------


def test_an_extension_request_reaches_the_supervisors_and_waits_until_decided(client, org, late):
    case = late[0]
    with travel("2026-03-05 10:00"):
        response = api(org["t1_office_handler"]).post(
            f"/api/v1/cases/{case.pk}/extension-request/", {"days": 2, "reason": "需现场勘测"}, format="json"
        )
    assert response.status_code == 200, response.content
    event = CaseEvent.objects.get(kind="extension_request", case=case)
    # The supervisors whose subtree holds the case (village, town, county); nobody else.
    assert told(event) == in_app(T.EXTENSION_REQUEST, "county_supervisor", "t1_supervisor", "v1_supervisor")
    (message,) = inbox(org["t1_supervisor"], T.EXTENSION_REQUEST)
    assert OFFICE in message["body"] and "2个工作日" in message["body"] and "需现场勘测" in message["body"]
    assert message["link"] == f"/cases/{case.pk}/"
    assert inbox(org["t2_supervisor"], T.EXTENSION_REQUEST) == []

    extension = Extension.objects.get(case=case)
    client.force_login(org["t1_supervisor"])
    with travel("2026-03-05 11:00"):
        dashboard = client.get(reverse("supervision:dashboard"))
    pending = dashboard.context["pending_extensions"]
    assert pending.count == 1 and [x.pk for x in pending.rows] == [extension.pk]
    html = dashboard.content.decode()
    assert (
        f'data-extension="{extension.pk}"' in html and "需现场勘测" in html and f"/cases/{case.pk}/" in html
    )
    listed = api(org["t1_supervisor"]).get("/api/v1/extensions/", {"status": "requested"}).json()
    assert [row["id"] for row in listed["results"]] == [extension.pk]
    row = listed["results"][0]
    assert (row["days"], row["reason"], row["department"]["name"], row["case"]["tracking_number"]) == (
        2,
        "需现场勘测",
        OFFICE,
        case.tracking_number,
    )
    assert (
        row["requested_by"]["username"] == "t1_office_handler" and row["status"] == ExtensionStatus.REQUESTED
    )

    with travel("2026-03-05 14:00"):
        decided = api(org["t1_supervisor"]).post(
            f"/api/v1/cases/{case.pk}/extension-decide/", {"approve": True}, format="json"
        )
        assert decided.status_code == 200, decided.content
        # Three hours later the page session has ended (idle timeout): the supervisor logs in again.
        assert client.get(reverse("supervision:dashboard")).status_code == 302
        client.force_login(org["t1_supervisor"])
        dashboard = client.get(reverse("supervision:dashboard"))
    assert dashboard.context["pending_extensions"].count == 0
    assert f'data-extension="{extension.pk}"' not in dashboard.content.decode()
    client_api = api(org["t1_supervisor"])
    assert client_api.get("/api/v1/extensions/", {"status": "requested"}).json()["results"] == []
    approved = client_api.get("/api/v1/extensions/", {"status": "approved"}).json()["results"]
    assert [row["id"] for row in approved] == [extension.pk]
    assert approved[0]["decided_by"]["username"] == "t1_supervisor"


def test_another_towns_supervisor_sees_none_of_it(client, org, late):
    case = late[0]
    with travel("2026-03-05 10:00"):
        services.case_extension_request(actor=org["t1_office_handler"], case_id=case.pk, days=1, reason="x")
    with travel(NOW):
        services.case_urge(actor=org["county_supervisor"], case_id=case.pk, reason="催办")
    extension = Extension.objects.get(case=case)
    other = org["t2_supervisor"]
    assert Notification.objects.filter(recipient_user=other).count() == 0
    assert api(other).get("/api/v1/extensions/").json()["results"] == []
    assert api(other).get(f"/api/v1/extensions/{extension.pk}/").status_code == 404
    assert api(other).get("/api/v1/extensions/", {"case": case.pk}).json()["results"] == []
    client.force_login(other)
    with travel(NOW):
        dashboard = client.get(reverse("supervision:dashboard"))
        overdue = client.get(reverse("supervision:overdue"))
        page = client.get(reverse("cases:detail", args=[case.pk]))
        foreign = client.get(reverse("supervision:dashboard"), {"region": "330681001"})
    assert dashboard.context["pending_extensions"].count == 0
    assert case.tracking_number not in dashboard.content.decode()
    assert case.tracking_number not in overdue.content.decode()
    assert page.status_code == 404 and foreign.status_code == 404
    # A department without the case and a clerk of another town do not see the request either.
    assert api(org["t2_office_head"]).get("/api/v1/extensions/").json()["results"] == []
    assert api(org["t2_clerk"]).get(f"/api/v1/extensions/{extension.pk}/").status_code == 404
    # The requesting department sees its own request.
    mine = api(org["t1_office_head"]).get("/api/v1/extensions/").json()["results"]
    assert [row["id"] for row in mine] == [extension.pk]


def test_the_extensions_api_needs_a_login(org):
    assert APIClient().get("/api/v1/extensions/").status_code in (401, 403)


# --- The 催办 / 督办 marks ----------------------------------------------------------------------------------


def test_urged_and_supervised_marks_show_on_every_list_and_the_case_page(client, org, late):
    urged, quiet = late
    with travel("2026-03-18 10:00"):
        services.case_urge(actor=org["t1_supervisor"], case_id=urged.pk, reason="第一次催办")
    with travel(NOW):
        services.case_urge(actor=org["county_supervisor"], case_id=urged.pk, reason="第二次催办")
        services.case_supervise(actor=org["county_supervisor"], case_id=urged.pk, reason="督办")
    urged_mark, supervised_mark = "已催办 ×2 · 最近 2026-03-20", "已督办 ×1 · 最近 2026-03-20"

    client.force_login(org["county_supervisor"])
    with travel(NOW):
        pages = {
            "overdue": client.get(reverse("supervision:overdue")).content.decode(),
            "dashboard": client.get(reverse("supervision:dashboard")).content.decode(),
        }
    client.force_login(org["t1_office_handler"])
    with travel(NOW):
        pages["queue"] = client.get(reverse("cases:queue"), {"tab": "in-progress"}).content.decode()
    for name, html in pages.items():
        row = row_of(html, urged.tracking_number)
        assert urged_mark in row and supervised_mark in row, name
        assert "已催办" not in row_of(html, quiet.tracking_number), name
    client.force_login(org["t1_office_head"])
    with travel(NOW):
        detail = client.get(reverse("cases:detail", args=[urged.pk])).content.decode()
        other = client.get(reverse("cases:detail", args=[quiet.pk])).content.decode()
    assert urged_mark in detail and supervised_mark in detail
    assert 'class="case-action-marks"' not in other


def test_a_sweep_fired_step_counts_in_the_marks(client, org, late):
    sweep(now=at("2026-03-10 10:00"))
    client.force_login(org["county_supervisor"])
    with travel(NOW):
        html = client.get(reverse("supervision:overdue")).content.decode()
        rows = api(org["county_supervisor"]).get("/api/v1/supervision/overdue/").json()["results"]
    for case in late:
        assert "已催办 ×1 · 最近 2026-03-10" in row_of(html, case.tracking_number)
    marks = {row["id"]: row["action_marks"] for row in rows}
    for case in late:
        assert (marks[case.pk]["urged"], marks[case.pk]["supervised"]) == (1, 0)
        assert marks[case.pk]["urged_last"].startswith("2026-03-10")


def test_the_marks_cost_one_query_per_page_whatever_their_number(client, org, late):
    client.force_login(org["county_supervisor"])

    def queries(name: str) -> int:
        with travel(NOW):
            client.get(reverse(name))  # warm: the calendar snapshot is cached per process
            with CaptureQueriesContext(connection) as captured:
                assert client.get(reverse(name)).status_code == 200
        return len(captured)

    before = {name: queries(name) for name in ("supervision:overdue", "supervision:dashboard")}
    more = [routed_case(org, when="2026-03-03 09:00") for _ in range(3)]
    with travel(NOW):
        for case in [*late, *more]:
            services.case_urge(actor=org["county_supervisor"], case_id=case.pk, reason="催办")
            services.case_supervise(actor=org["county_supervisor"], case_id=case.pk, reason="督办")
    assert {name: queries(name) for name in before} == before
