"""Timers: every deadline besides the completion clock is watched (docs/DEADLINES.md, "Every clock").

The one table (``sla.timers_wanted``) against the stored timers through a case's life; the timer ladder
(reminder → 催办 → 督办) fires each step once and tells who must act; the reasoned-reply and extension-
decision timers; requests that lapse when the case moves on; ``manage.py timers_reconcile`` for cases that
predate the timers; and a 催办 issued from the case page reaching the lead department's inbox.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from cases import services, sla
from cases.choices import AlarmLevel, CaseStatus, ExtensionStatus, Satisfaction, SweepEventKind, TimerKind
from cases.models import CaseEvent, CaseTimer, Extension
from cases.sweep import sweep
from notifications.choices import Channel, TemplateCode
from notifications.models import Notification
from tests.factories import CLASSIFICATION, take_in

from .deadline_helpers import at, bj, local, routed_case, seed_policies

pytestmark = pytest.mark.django_db
S = CaseStatus


@pytest.fixture(autouse=True)
def _policies(db):
    seed_policies()


def running(case) -> dict:
    return {
        (t.kind, t.subject_id): local(t.due_at)
        for t in CaseTimer.objects.filter(case=case, stopped_at__isnull=True)
    }


def timer_events(case, clock: str) -> list[tuple[str, str]]:
    return [
        (kind, payload["level"])
        for kind, payload in CaseEvent.objects.filter(case=case, payload__clock=clock)
        .order_by("sequence")
        .values_list("kind", "payload")
    ]


def told(user, template) -> int:
    return Notification.objects.filter(
        recipient_user=user, channel=Channel.IN_APP, template_code=template
    ).count()


def test_the_stored_timers_follow_the_table_through_a_cases_life(org):
    with at(bj(3, 2, 9)):
        case = take_in(org, "v1")
    # Taken in: the reply is due (5 working days); the reasoned reply (3) earlier.
    assert running(case) == {
        (TimerKind.REPLY, 0): bj(3, 9, 17, 30),
        (TimerKind.REASONED_REPLY, 0): bj(3, 5, 17, 30),
    }
    with at(bj(3, 3, 10)):  # routed the next day
        services.case_classify(
            actor=org["v1_clerk"], case_id=case.pk, category=org.category, **CLASSIFICATION
        )
        services.case_assign(actor=org["v1_clerk"], case_id=case.pk, lead_department=org.dept("t1_office"))
        services.assignment_accept(actor=org["t1_office_handler"], case_id=case.pk)
    lead = case.assignments.get(is_current=True)
    # First contact counts from the day the lead received the case (same day), not from intake (Monday).
    assert running(case)[(TimerKind.FIRST_CONTACT, lead.pk)] == bj(3, 3, 17, 30)
    case.refresh_from_db()
    assert local(case.first_contact_due_at) == bj(3, 3, 17, 30)
    with at(bj(3, 3, 11)):
        services.case_note(
            actor=org["t1_office_handler"], case_id=case.pk, text="已电话联系", contacted_requester=True
        )
    assert (TimerKind.FIRST_CONTACT, lead.pk) not in running(case)
    with at(bj(3, 4, 9)):
        services.case_resolve(actor=org["t1_office_handler"], case_id=case.pk, summary="已办结")
    # Resolved: nothing left but the callback, due the next working day.
    assert running(case) == {(TimerKind.CALLBACK, 0): bj(3, 5, 17, 30)}
    with at(bj(3, 4, 10)):
        services.case_callback(actor=org["v1_clerk"], case_id=case.pk, satisfaction=Satisfaction.SATISFIED)
        services.case_close(actor=org["v1_clerk"], case_id=case.pk)
    assert running(case) == {}
    stopped = CaseTimer.objects.filter(case=case)
    assert stopped.count() == 4 and all(t.stopped_at is not None and t.next_alarm_at is None for t in stopped)


def test_a_timers_ladder_fires_each_step_once_and_tells_who_must_act(org):
    case = routed_case(org, bj(3, 2, 9), assisting=())
    with at(bj(3, 2, 10)):
        services.case_note(
            actor=org["t1_office_handler"], case_id=case.pk, text="已联系", contacted_requester=True
        )
    # The reasoned-reply limit (Thursday 17:30) passes without an answer: a reminder to the lead's staff …
    sweep(now=bj(3, 5, 17, 31))
    sweep(now=bj(3, 5, 17, 32))
    assert timer_events(case, TimerKind.REASONED_REPLY) == [(SweepEventKind.REMIND, "remind")]
    assert told(org["t1_office_handler"], TemplateCode.WARNING_RED) == 1
    # … 催办 to its head one whole working day later …
    sweep(now=bj(3, 6, 17, 31))
    assert timer_events(case, TimerKind.REASONED_REPLY)[-1] == (SweepEventKind.URGE, "red")
    assert told(org["t1_office_head"], TemplateCode.URGE) >= 1
    # … and 督办 with the supervisors of the tier above after two.
    sweep(now=bj(3, 9, 17, 31))
    assert timer_events(case, TimerKind.REASONED_REPLY)[-1] == (SweepEventKind.SUPERVISE, "supervise")
    assert told(org["county_supervisor"], TemplateCode.SUPERVISE) >= 1
    timer = CaseTimer.objects.get(case=case, kind=TimerKind.REASONED_REPLY)
    assert timer.alarm_level == AlarmLevel.SUPERVISE and timer.next_alarm_at is None
    case.refresh_from_db()
    assert case.version == case.events.count()
    # An answer stops both answer clocks.
    with at(bj(3, 10, 9)):
        services.case_reply(actor=org["t1_office_handler"], case_id=case.pk, answer="本周内办结")
    assert not {k for k, _ in running(case)} & {TimerKind.REPLY, TimerKind.REASONED_REPLY}


def test_an_extension_request_waits_on_a_decision_clock_and_lapses_when_the_case_moves_on(org):
    case = routed_case(org, bj(3, 2, 9), assisting=())
    with at(bj(3, 3, 9)):
        services.case_extension_request(
            actor=org["t1_office_handler"], case_id=case.pk, days=2, reason="需测绘"
        )
    extension = Extension.objects.get(case=case)
    assert running(case)[(TimerKind.EXTENSION_DECISION, extension.pk)] == bj(3, 4, 17, 30)
    sweep(now=bj(3, 4, 17, 31))
    assert timer_events(case, TimerKind.EXTENSION_DECISION) == [(SweepEventKind.REMIND, "remind")]
    assert told(org["county_supervisor"], TemplateCode.WARNING_RED) == 1
    # Resolved before anyone decided: the request lapses, and so does its clock.
    with at(bj(3, 5, 9)):
        services.case_resolve(actor=org["t1_office_handler"], case_id=case.pk, summary="已办结")
    extension.refresh_from_db()
    assert extension.status == ExtensionStatus.LAPSED
    assert (TimerKind.EXTENSION_DECISION, extension.pk) not in running(case)


def test_timers_reconcile_starts_the_timers_of_cases_that_predate_them(org):
    case = routed_case(org, bj(3, 2, 9), assisting=())
    wanted = running(case)
    CaseTimer.objects.filter(case=case).delete()  # as if taken in before this release
    out = io.StringIO()
    call_command("timers_reconcile", stdout=out)
    assert "cases=1" in out.getvalue()
    assert running(case) == wanted
    call_command("timers_reconcile", stdout=io.StringIO())  # idempotent
    assert CaseTimer.objects.filter(case=case).count() == len(wanted)
    case.refresh_from_db()
    current = list(case.assignments.filter(is_current=True))
    assert {key: local(due) for key, due in sla.timers_wanted(case, current).items()} == running(case)


def test_urge_from_the_case_page_reaches_the_lead_departments_inbox(client, org):
    case = routed_case(org, bj(3, 2, 9), assisting=())
    client.force_login(org["county_supervisor"])
    response = client.post(
        reverse("cases:action", args=[case.pk, SweepEventKind.URGE]), {"urge-reason": "请本周内办结"}
    )
    assert response.status_code == 302
    for username in ("t1_office_head", "t1_office_handler"):
        rows = Notification.objects.filter(
            recipient_user=org[username], channel=Channel.IN_APP, template_code=TemplateCode.URGE
        )
        assert rows.count() == 1 and "请本周内办结" in rows.get().body
    assert told(org["v1_clerk"], TemplateCode.URGE) == 0
