"""Every escape from the loop is seen: a "cannot be done yet" answer is held to its new date, a "no" (not
accepted, cannot be done, a late withdrawal, a long suspension) waits in the supervisors' review queue, and
the other deadlines (suspension's end, callback, first contact, reply) reach the right inbox through the
sweep. Each case goes through the escape over HTTP (``POST /api/v1/cases/{id}/<command>/``) and is then
found on the supervisor's screen and, where a notice is due, in the in-app inbox of the right user."""

from __future__ import annotations

import re

import pytest
from rest_framework.test import APIClient

from cases.choices import CaseStatus, ReviewKind, ReviewStatus, TimerKind
from cases.models import Case, CaseTimer, RefusalReview
from cases.sweep import sweep
from notifications.choices import Channel, TemplateCode
from notifications.models import Notification
from tests.factories import take_in

from .scenarios import at, routed_case, travel

pytestmark = pytest.mark.django_db

T = TemplateCode


def api(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def post(user, case, command: str, **data):
    return api(user).post(f"/api/v1/cases/{case.pk}/{command}/", data, format="json")


def inbox(user, template: str) -> int:
    """How many in-app messages of one template the user has."""
    return Notification.objects.filter(
        recipient_user=user, channel=Channel.IN_APP, template_code=template
    ).count()


def row_of(html: str, tracking_number: str) -> str:
    match = re.search(rf'<tr data-[a-z]+="[^"]*"\s+data-case="{tracking_number}"[^>]*>(.*?)</tr>', html, re.S)
    if match is None:
        match = re.search(rf'<tr data-case="{tracking_number}"[^>]*>(.*?)</tr>', html, re.S)
    assert match, f"no row for {tracking_number}"
    return match.group(0)


def page(client, user, url: str) -> str:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


# --- a. "cannot be done yet" with a new date -------------------------------------------------------------


def test_a_follow_up_date_missed_turns_red_counts_late_and_urges_the_lead_head(client, org):
    case = routed_case(org, when="2026-03-02 09:00")
    with travel("2026-03-04 10:00"):
        response = post(
            org["t1_office_handler"], case, "reply", answer="需协调用地", can_be_done=False,
            follow_up_due_at="2026-03-12",
        )  # fmt: skip
        assert response.status_code == 200, response.json()
        detail = api(org["t1_office_handler"]).get(f"/api/v1/cases/{case.pk}/").json()
        assert detail["is_follow_up"] is True
        assert detail["follow_up_due_at"].startswith("2026-03-12")
        html = page(client, org["t1_office_handler"], f"/cases/{case.pk}/")
        assert "答复未办结 · 预计 2026-03-12" in html
        dashboard = page(client, org["county_supervisor"], "/supervision/?region=330681")
        assert 'data-count="follow-ups">1<' in dashboard
    heads_before = inbox(org["t1_office_head"], T.URGE)
    with travel("2026-03-16 10:00"):
        sweep(now=at("2026-03-16 10:00"))
        case.refresh_from_db()
        assert case.light_at(at("2026-03-16 10:00")) == "red"
        html = page(client, org["county_supervisor"], f"/cases/{case.pk}/")
        assert 'data-light="red"' in html
        overdue = page(client, org["county_supervisor"], "/supervision/overdue/?region=330681")
        assert case.tracking_number in overdue
    assert Case.objects.with_on_time(at("2026-03-16 10:00")).get(pk=case.pk).on_time is False
    assert inbox(org["t1_office_head"], T.URGE) > heads_before


# --- b. "cannot be done" ---------------------------------------------------------------------------------


def _cannot_be_done(org, case, when="2026-03-04 10:00"):
    with travel(when):
        response = post(
            org["t1_office_handler"], case, "reply", answer="该事项正在诉讼中", can_be_done=False,
            cannot_be_done=True, reason_code="litigation", basis="《信访工作条例》第三十一条",
        )  # fmt: skip
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == CaseStatus.REPLIED


def test_b_cannot_be_done_is_reviewed_reminded_and_overturned_or_confirmed(client, org):
    case = routed_case(org, when="2026-03-02 09:00")
    other = routed_case(org, when="2026-03-02 09:00")
    supervisor = org["county_supervisor"]
    _cannot_be_done(org, case)
    _cannot_be_done(org, other)
    assert inbox(supervisor, T.REVIEW) == 2
    with travel("2026-03-04 11:00"):
        queue = page(client, supervisor, "/supervision/reviews/?region=330681")
        row = row_of(queue, case.tracking_number)
        assert "诉讼/仲裁程序中" in row and "不能办理" in row and "《信访工作条例》第三十一条" in row
        assert f"/cases/{case.pk}/" in row
        dashboard = page(client, supervisor, "/supervision/?region=330681")
        assert 'data-count="pending-reviews">2<' in dashboard
        assert 'data-reason="诉讼/仲裁程序中"' in dashboard
        rows = api(supervisor).get("/api/v1/reviews/", {"status": "pending", "reason": "litigation"}).json()
        assert {r["case"]["id"] for r in rows["results"]} == {case.pk, other.pk}
        review = rows["results"][0]
        assert api(supervisor).get(f"/api/v1/reviews/{review['id']}/").status_code == 200
        # Outside the scope: another town's supervisor gets 404 like a missing one.
        assert api(org["t2_supervisor"]).get(f"/api/v1/reviews/{review['id']}/").status_code == 404
        detail = api(supervisor).get(f"/api/v1/cases/{case.pk}/").json()
        assert detail["needs_review"] is True
        assert [r["status"] for r in detail["reviews"]] == [ReviewStatus.PENDING]
        assert TimerKind.REVIEW in {t["kind"] for t in detail["timers"]}
    # The review deadline (2 working days) is missed: the sweep reminds the supervisors.
    before = inbox(supervisor, T.WARNING_RED)
    with travel("2026-03-09 10:00"):
        sweep(now=at("2026-03-09 10:00"))
        queue = page(client, supervisor, "/supervision/reviews/?region=330681")
        assert 'data-overdue="1"' in row_of(queue, case.tracking_number)
    assert inbox(supervisor, T.WARNING_RED) > before
    # Overturn: back to the lead with a new date, the lead department told.
    lead_before = inbox(org["t1_office_handler"], T.REVIEW_DECISION)
    with travel("2026-03-09 11:00"):
        response = post(
            supervisor,
            case,
            "review",
            decision="overturn",
            instruction="请依法办理",
            follow_up_due_at="2026-03-20",
        )
        assert response.status_code == 200, response.json()
        confirmed = post(supervisor, other, "review", decision="confirm")
        assert confirmed.status_code == 200, confirmed.json()
    case.refresh_from_db()
    other.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS and case.follow_up_due_at is not None
    assert inbox(org["t1_office_handler"], T.REVIEW_DECISION) > lead_before
    assert other.status == CaseStatus.RESOLVED
    with travel("2026-03-09 12:00"):
        decided = page(client, supervisor, "/supervision/reviews/?region=330681&tab=decided")
        assert case.tracking_number in decided and other.tracking_number in decided
        assert case.tracking_number not in page(client, supervisor, "/supervision/reviews/?region=330681")


# --- c. not accepted -------------------------------------------------------------------------------------


def test_c_not_accepted_is_reviewed_and_overturned_back_to_the_window(client, org):
    with travel("2026-03-02 09:00"):
        case = take_in(org, "v1")
        response = post(
            org["v1_clerk"],
            case,
            "not-accept",
            reason="属信访事项",
            guidance="请向信访局反映",
            reason_code="petition",
        )
        assert response.status_code == 200, response.json()
        queue = page(client, org["v1_supervisor"], "/supervision/reviews/?region=330681001001")
        assert "信访事项" in row_of(queue, case.tracking_number)
    with travel("2026-03-03 09:00"):
        response = post(org["county_supervisor"], case, "review", decision="overturn", instruction="应予受理")
        assert response.status_code == 200, response.json()
    case.refresh_from_db()
    assert case.status in (CaseStatus.REGISTERED, CaseStatus.ROUTING)
    assert inbox(org["v1_clerk"], T.REVIEW_DECISION) == 1


# --- d. suspensions --------------------------------------------------------------------------------------


def test_d_long_suspension_is_reviewed_and_an_ended_suspension_reminds_the_lead(client, org):
    long = routed_case(org, when="2026-03-02 09:00")
    short = routed_case(org, when="2026-03-02 09:00")
    with travel("2026-03-04 10:00"):
        response = post(
            org["t1_office_handler"],
            long,
            "suspend",
            reason="等待鉴定",
            reason_code="awaiting_third_party",
            days=15,
        )
        assert response.status_code == 200, response.json()
        response = post(
            org["t1_office_handler"], short, "suspend", reason="等待补充材料", reason_code="awaiting_materials",
            days=2,
        )  # fmt: skip
        assert response.status_code == 200, response.json()
        queue = page(client, org["county_supervisor"], "/supervision/reviews/?region=330681")
        assert 'data-kind="long_suspension"' in row_of(queue, long.tracking_number)
        assert short.tracking_number not in queue
        dashboard = page(client, org["county_supervisor"], "/supervision/?region=330681")
        assert re.search(r'data-status="suspended">[^<]*<strong>2</strong>', dashboard)
    short.refresh_from_db()
    assert short.suspended_until is not None
    before = inbox(org["t1_office_handler"], T.WARNING_RED)
    with travel("2026-03-09 10:00"):
        sweep(now=at("2026-03-09 10:00"))
    assert inbox(org["t1_office_handler"], T.WARNING_RED) > before


# --- e. withdrawal after the deadline --------------------------------------------------------------------


def test_e_a_late_withdrawal_needs_the_requesters_confirmation_counts_late_and_is_reviewed(client, org):
    case = routed_case(org, when="2026-03-02 09:00")
    with travel("2026-03-10 10:00"):
        refused = post(org["v1_clerk"], case, "withdraw", reason="反映人要求撤回")
        assert refused.status_code == 400, refused.json()
        assert "requester_confirmed" in refused.json()
        response = post(org["v1_clerk"], case, "withdraw", reason="反映人要求撤回", requester_confirmed=True)
        assert response.status_code == 200, response.json()
        assert response.json()["status"] == CaseStatus.WITHDRAWN
        queue = page(client, org["county_supervisor"], "/supervision/reviews/?region=330681")
        assert 'data-kind="late_withdrawal"' in row_of(queue, case.tracking_number)
    assert Case.objects.with_on_time(at("2026-03-10 10:00")).get(pk=case.pk).on_time is False
    assert RefusalReview.objects.get(case=case).kind == ReviewKind.LATE_WITHDRAWAL


# --- f. callback -----------------------------------------------------------------------------------------


def test_f_no_callback_for_a_working_day_reminds_the_window_clerks(client, org):
    case = routed_case(org, when="2026-03-02 09:00")
    with travel("2026-03-04 10:00"):
        response = post(org["t1_office_handler"], case, "resolve", summary="已办结")
        assert response.status_code == 200, response.json()
        html = page(client, org["v1_clerk"], f"/cases/{case.pk}/")
        assert 'data-timer="callback"' in html
    before = inbox(org["v1_clerk"], T.WARNING_RED)
    with travel("2026-03-06 10:00"):
        sweep(now=at("2026-03-06 10:00"))
        html = page(client, org["v1_clerk"], f"/cases/{case.pk}/")
        assert re.search(r'data-timer="callback" class="overdue', html)
    assert inbox(org["v1_clerk"], T.WARNING_RED) > before


# --- g. first contact and reply, counted from the assignment ---------------------------------------------


def test_g_first_contact_counts_from_the_assignment_and_reminders_reach_the_lead(client, org):
    with travel("2026-03-02 09:00"):
        case = take_in(
            org,
            "v1",
            category=org.category,
            matter_kind="difficult",
            complexity="general",
            handling_mode="standard",
        )
    with travel("2026-03-04 09:00"):
        response = post(org["v1_clerk"], case, "assign", lead_department=org.dept("t1_office").pk)
        assert response.status_code == 200, response.json()
    timers = {t.kind: t for t in CaseTimer.objects.filter(case=case, stopped_at__isnull=True)}
    # First contact (当日联系) is due the day the lead department receives the case, not two days after
    # intake; the reply deadline is the receipt's (预计答复时间), counted from intake.
    assert timers[TimerKind.FIRST_CONTACT].due_at == at("2026-03-04 17:30")
    assert timers[TimerKind.REPLY].due_at == at("2026-03-09 17:30")
    handler = org["t1_office_handler"]

    def notes() -> list[str]:
        rows = Notification.objects.filter(
            recipient_user=handler, channel=Channel.IN_APP, template_code=T.WARNING_RED
        )
        return [row.context.get("note", "") for row in rows]

    with travel("2026-03-04 18:00"):
        sweep(now=at("2026-03-04 18:00"))
        html = page(client, handler, f"/cases/{case.pk}/")
        assert re.search(r'data-timer="first_contact" class="overdue', html)
    assert any("首次联系期限已到" in note for note in notes())
    with travel("2026-03-09 18:00"):
        sweep(now=at("2026-03-09 18:00"))
    assert any("答复期限已到" in note for note in notes())


# --- The lists' endpoints --------------------------------------------------------------------------------


def test_the_reasons_list_is_for_signed_in_staff_and_filters_by_purpose(org):
    assert APIClient().get("/api/v1/reasons/").status_code in (401, 403)
    assert APIClient().get("/api/v1/reviews/").status_code in (401, 403)
    rows = api(org["v1_clerk"]).get("/api/v1/reasons/", {"purpose": "suspension"}).json()
    assert {r["purpose"] for r in rows} == {"suspension"}
    assert any(r["code"] == "awaiting_materials" and r["label"] == "等待反映人补充材料" for r in rows)
    refusal = {
        r["code"] for r in api(org["t1_office_handler"]).get("/api/v1/reasons/?purpose=refusal").json()
    }
    assert {"litigation", "petition", "other"} <= refusal


def test_another_towns_staff_see_none_of_the_reviews(org):
    case = routed_case(org, when="2026-03-02 09:00")
    _cannot_be_done(org, case)
    assert api(org["t2_supervisor"]).get("/api/v1/reviews/").json()["count"] == 0
    assert api(org["t1_supervisor"]).get("/api/v1/reviews/", {"case": case.pk}).json()["count"] == 1
    assert (
        api(org["t1_office_handler"]).get("/api/v1/reviews/", {"kind": "cannot_be_done"}).json()["count"] == 1
    )
