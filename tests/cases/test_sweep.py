"""The deadline sweep in this process: the escalation ladder step by step, exactly once per level, who is
told, catching up after downtime, clocks that are not watched, and ``manage.py sweep``.

The same code through a real Celery worker and Redis (concurrent sweeps, a worker killed mid-batch,
3 hours of downtime): test_sweep_worker.py.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command

from cases import services
from cases.choices import AlarmLevel, SweepEventKind
from cases.models import Case, CaseEvent
from cases.sweep import sweep
from notifications.choices import Channel, TemplateCode
from notifications.models import Notification

from .deadline_helpers import at, bj, local, routed_case, seed_policies

pytestmark = pytest.mark.django_db
K = SweepEventKind
TICK = timedelta(microseconds=1)


@pytest.fixture(autouse=True)
def _policies(db):
    seed_policies()


def sweep_events(case):
    """The completion ladders' steps of a case (the case clock, assignments); timers are in test_timers.py."""
    return [
        (kind, payload)
        for kind, payload in CaseEvent.objects.filter(case=case, kind__in=K.values)
        .order_by("sequence")
        .values_list("kind", "payload")
        if payload.get("clock") in ("case", "assignment")
    ]


def told(event_kind, template, *, channel=Channel.IN_APP):
    """Usernames told about the completion ladders' events of ``event_kind`` with ``template``."""
    ids = CaseEvent.objects.filter(kind=event_kind, payload__clock__in=["case", "assignment"]).values_list(
        "pk", flat=True
    )
    rows = Notification.objects.filter(template_code=template, channel=channel)
    return sorted(
        row.recipient_user.username
        for row in rows.select_related("recipient_user")
        if any(row.event_key.startswith(f"case-event:{pk}:") for pk in ids)
    )


def test_the_ladder_fires_each_level_once_and_tells_the_right_people(org):
    case = routed_case(org, bj(3, 2, 9))  # lead t1 office (signed), assisting 自然资源局 (pending)
    assert sweep(now=bj(3, 2, 12))["fired"] == 0
    # Tuesday 09:00 is 7 working hours later: the assisting department has not signed for it.
    result = sweep(now=bj(3, 3, 9) + TICK)
    assert (result["fired"], result["sign"]) == (1, 1)
    assert sweep(now=bj(3, 3, 9) + TICK)["fired"] == 0  # once
    assert told(K.SIGN_REMINDER, TemplateCode.SIGN_REMINDER) == ["land_handler", "land_head"]

    result = sweep(now=bj(3, 6, 16, 12))  # the case's (and the assisting clock's) yellow point
    assert result["yellow"] == 2
    assert told(K.WARN, TemplateCode.WARNING_YELLOW) == sorted(
        ["land_handler", "land_head", "t1_office_handler", "t1_office_head"]
    )
    result = sweep(now=bj(3, 9, 17, 30) + TICK)  # red: 催办 to the heads
    assert result["red"] == 2
    assert told(K.URGE, TemplateCode.URGE) == ["land_head", "t1_office_head"]

    result = sweep(now=bj(3, 11, 17, 30))  # two whole working days overdue: 督办 from the tier above
    assert (result["fired"], result["supervise"]) == (1, 1)
    case.refresh_from_db()
    assert local(case.supervision_due_at) == bj(3, 16, 17, 30)
    # The t1 office belongs to the town: the county's supervisors are the tier above.
    assert told(K.SUPERVISE, TemplateCode.SUPERVISE) == ["county_supervisor", "t1_office_head"]
    assert sweep(now=bj(3, 16, 17, 30))["fired"] == 0  # the order's deadline itself is still in time

    result = sweep(now=bj(3, 16, 17, 30) + TICK)  # still open after the order's deadline: bulletin
    assert result["bulletin"] == 1
    case.refresh_from_db()
    assert local(case.bulletin_at) == bj(3, 16, 17, 30) + TICK
    assert case.alarm_level == AlarmLevel.BULLETIN and case.next_alarm_at is None
    assert sweep(now=bj(4, 30))["fired"] == 0  # nothing left on the ladder

    kinds = [kind for kind, _payload in sweep_events(case)]
    assert kinds == ["sign_reminder", "warn", "warn", "urge", "urge", "supervise", "bulletin"]
    events = CaseEvent.objects.filter(case=case, kind__in=K.values)
    assert all(e.actor_id is None and not e.is_public and e.from_status == e.to_status for e in events)
    assert case.version == case.events.count()  # the sweep's events are counted like commands


def test_after_downtime_only_the_highest_level_fires_with_the_skipped_ones_listed(org):
    case = routed_case(org, bj(3, 2, 9), assisting=())
    result = sweep(now=bj(3, 9, 17, 30) + timedelta(hours=3))  # no sweep ran since before yellow
    assert (result["fired"], result["red"]) == (1, 1)
    [(kind, payload)] = sweep_events(case)
    assert kind == "urge"
    assert (payload["level"], payload["skipped"], payload["clock"]) == ("red", ["yellow"], "case")
    late = routed_case(org, bj(3, 2, 9), assisting=())
    sweep(now=bj(3, 20))
    [(kind, payload)] = sweep_events(late)
    assert (kind, payload["skipped"]) == ("bulletin", ["yellow", "red", "supervise"])
    late.refresh_from_db()
    assert local(late.supervision_due_at) == bj(3, 16, 17, 30)  # the order's deadline as it was due


def test_suspended_resolved_and_signed_clocks_are_not_swept(org):
    suspended = routed_case(org, bj(3, 2, 9), assisting=())
    resolved = routed_case(org, bj(3, 2, 9), assisting=())
    signed = routed_case(org, bj(3, 2, 9), assisting=("land",))
    with at(bj(3, 3, 8)):
        services.case_suspend(
            actor=org["t1_office_handler"],
            case_id=suspended.pk,
            reason="等材料",
            reason_code="awaiting_materials",
        )
        services.case_resolve(actor=org["t1_office_handler"], case_id=resolved.pk, summary="办结")
        services.assignment_accept(actor=org["land_handler"], case_id=signed.pk)
    sweep(now=bj(3, 6, 9))
    assert sweep_events(suspended) == sweep_events(resolved) == sweep_events(signed) == []
    # Back from the suspension the clock is watched again, with its deadline moved.
    with at(bj(3, 9, 9)):
        services.case_resume(actor=org["t1_office_handler"], case_id=suspended.pk, reason="材料已到")
    suspended.refresh_from_db()
    assert suspended.next_alarm_at == suspended.yellow_at
    assert suspended.due_at > bj(3, 9, 17, 30)


def test_an_approved_extension_lets_the_ladder_fire_again_before_the_new_deadline(org):
    case = routed_case(org, bj(3, 2, 9), assisting=())
    sweep(now=bj(3, 6, 16, 12))
    case.refresh_from_db()
    assert case.alarm_level == AlarmLevel.YELLOW
    with at(bj(3, 9, 9)):
        services.case_extension_request(
            actor=org["t1_office_handler"], case_id=case.pk, days=5, reason="需测绘"
        )
        services.case_extension_decide(actor=org["county_supervisor"], case_id=case.pk, approve=True)
    case.refresh_from_db()
    assert case.alarm_level == AlarmLevel.NONE  # green again: a new yellow will come before the new date
    assert case.next_alarm_at == case.yellow_at > bj(3, 9, 17, 30)
    sweep(now=bj(3, 10, 9))
    assert [kind for kind, _ in sweep_events(case)] == ["warn"]


def test_manage_py_sweep_runs_the_same_code(org):
    case = routed_case(org, bj(3, 2, 9), assisting=())
    out = io.StringIO()
    call_command("sweep", "--now", "2026-03-09T20:00:00+08:00", stdout=out)
    assert "fired=1" in out.getvalue() and "red=1" in out.getvalue()
    assert [kind for kind, _ in sweep_events(case)] == ["urge"]
    Case.objects.filter(pk=case.pk).update(next_alarm_at=None)
    call_command("sweep", stdout=io.StringIO())  # now = the real current time: nothing watched
    assert len(sweep_events(case)) == 1
