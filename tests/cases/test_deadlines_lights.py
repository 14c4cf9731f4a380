"""Lights (green → yellow → red, derived at read time) in the model, the queryset, the API and the pages;
the one on-time rule and its SQL twin; the pure ladder helpers on real dates."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from cases import clocks, services, sla
from cases.choices import AlarmLevel, Light
from cases.models import Case
from routing.deadlines import working_days_overdue
from tests.factories import take_in

from .api_helpers import CASES, client_for
from .deadline_helpers import at, bj, local, routed_case, seed_policies

pytestmark = pytest.mark.django_db
TICK = timedelta(microseconds=1)


@pytest.fixture(autouse=True)
def _policies(db):
    seed_policies()


def annotated(case, now):
    return Case.objects.with_light(now).values_list("light", flat=True).get(pk=case.pk)


def test_light_transitions_green_yellow_red(org):
    case = routed_case(org, bj(3, 2, 9))
    assert local(case.yellow_at) == bj(3, 6, 16, 12)
    checkpoints = [
        (bj(3, 2, 9), Light.GREEN),
        (case.yellow_at - TICK, Light.GREEN),
        (case.yellow_at, Light.YELLOW),
        (case.due_at, Light.YELLOW),  # red only once the deadline has passed
        (case.due_at + TICK, Light.RED),
        (bj(3, 20), Light.RED),
    ]
    for now, expected in checkpoints:
        assert case.light_at(now) == expected, now
        assert annotated(case, now) == expected, now
    lead = case.assignments.get(role="lead")
    assert lead.light_at(case.due_at + TICK) == Light.RED
    assert case.assignments.with_light(bj(3, 2, 9)).get(pk=lead.pk).light == Light.GREEN


def test_one_working_day_left_turns_yellow_before_eighty_percent(org):
    # 3 working days (加急办) from Monday 09:00: 27.5 h allowed, 80% = 22 h, "one day left" = 20.5 h first.
    case = routed_case(org, bj(3, 2, 9), handling_mode="expedited")
    calendar = sla.calendar_for(case)
    allowed = calendar.working_day_length * 3 + timedelta(hours=6.5)
    assert clocks.yellow_budget(allowed, share=0.8, day=calendar.working_day_length) == timedelta(hours=20.5)
    assert local(case.due_at) == bj(3, 5, 17, 30)
    assert local(case.yellow_at) == bj(3, 4, 17, 30)  # exactly Thursday, the last working day, is left


def test_no_light_without_a_running_clock(org):
    case = routed_case(org, bj(3, 2, 9))
    with at(bj(3, 3, 9)):
        services.case_resolve(actor=org["t1_office_handler"], case_id=case.pk, summary="已办结")
    case.refresh_from_db()
    assert case.light_at(bj(3, 20)) is None
    assert annotated(case, bj(3, 20)) is None


def test_the_api_shows_and_filters_lights(org):
    late = routed_case(org, bj(3, 2, 9))
    fresh = routed_case(org, bj(3, 9, 9))
    supervisor = client_for(org["county_supervisor"])
    with at(bj(3, 10, 9)):
        red = supervisor.get(CASES, {"light": "red"}).json()
        both = supervisor.get(CASES, {"light": ["red", "green"]}).json()
        detail = supervisor.get(f"{CASES}{late.pk}/").json()
        assignments = supervisor.get(f"{CASES}{fresh.pk}/assignments/").json()
    assert [row["id"] for row in red["results"]] == [late.pk]
    assert {row["id"] for row in both["results"]} == {late.pk, fresh.pk}
    assert detail["light"] == "red"
    assert detail["due_at"] and detail["reply_due_at"] and detail["yellow_at"]
    assert {a["light"] for a in assignments} == {"green"}
    # Out of scope stays out of scope whatever the light.
    assert client_for(org["t2_clerk"]).get(CASES, {"light": "red"}).json()["results"] == []


def test_the_pages_show_a_light_badge(client, org):
    case = routed_case(org, bj(3, 2, 9))
    client.force_login(org["county_supervisor"])
    with at(bj(3, 10, 9)):
        listing = client.get(reverse("cases:list")).content.decode()
        detail = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'data-light="red"' in listing
    assert 'data-light="red"' in detail and "红灯" in detail
    assert "2026-03-09 17:30" in detail  # the completion deadline, Beijing time


# --- On time: one rule, in Python and in SQL ---------------------------------------------------------


def _on_time_cases(org):
    """(case, expected on_time at Friday 2026-03-20 09:00)."""
    cases = []
    early = routed_case(org, bj(3, 2, 9))
    with at(bj(3, 6, 9)):
        services.case_resolve(actor=org["t1_office_handler"], case_id=early.pk, summary="按时办结")
    cases.append((early, True))
    late = routed_case(org, bj(3, 2, 9))
    with at(bj(3, 10, 9)):
        services.case_resolve(actor=org["t1_office_handler"], case_id=late.pk, summary="超期办结")
    cases.append((late, False))
    rotting = routed_case(org, bj(3, 2, 9))  # open past its deadline: late, not "not yet counted"
    cases.append((rotting, False))
    pending = routed_case(org, bj(3, 19, 9))  # open, not due yet: undecided
    cases.append((pending, None))
    reasoned = routed_case(org, bj(3, 2, 9))
    with at(bj(3, 4, 9)):  # "cannot be done yet" with reasons within 3 working days
        services.case_reply(
            actor=org["t1_office_handler"],
            case_id=reasoned.pk,
            answer="暂不能办",
            can_be_done=False,
            cannot_be_done=True,
            reason_code="not_lawful",
            basis="《某条例》第十条",
        )
    cases.append((reasoned, True))
    slow_reason = routed_case(org, bj(3, 2, 9))
    with at(bj(3, 9, 9)):  # the reasons came after 3 working days, and the case is still open past due
        services.case_reply(
            actor=org["t1_office_handler"],
            case_id=slow_reason.pk,
            answer="暂不能办",
            can_be_done=False,
            cannot_be_done=True,
            reason_code="not_lawful",
            basis="《某条例》第十条",
        )
    cases.append((slow_reason, False))
    withdrawn = routed_case(org, bj(3, 2, 9))
    with at(bj(3, 3, 9)):
        services.case_withdraw(actor=org["v1_clerk"], case_id=withdrawn.pk, reason="撤回")
    cases.append((withdrawn, None))
    suspended = routed_case(org, bj(3, 2, 9))
    with at(bj(3, 3, 9)):  # paused well before its deadline: judged as of the pause
        services.case_suspend(
            actor=org["t1_office_handler"],
            case_id=suspended.pk,
            reason="等材料",
            reason_code="awaiting_materials",
        )
    cases.append((suspended, None))
    return cases


def test_on_time_is_one_rule_in_python_and_sql(org):
    now = bj(3, 20, 9)
    table = _on_time_cases(org)
    annotated_rows = dict(Case.objects.with_on_time(now).values_list("pk", "on_time"))
    for case, expected in table:
        case.refresh_from_db()
        pure = clocks.on_time(
            now=now,
            due_at=case.due_at,
            resolved_at=case.resolved_at,
            reasoned_reply_at=case.reasoned_reply_at,
            reasoned_reply_due_at=case.reasoned_reply_due_at,
            paused_at=case.clock_paused_at,
            is_open=case.is_open,
        )
        assert pure is expected, case.title
        assert annotated_rows[case.pk] is expected, case.title
    from django.db.models import Count, Q

    rate = Case.objects.with_on_time(now).aggregate(
        punctual=Count("pk", filter=Q(on_time=True)), late=Count("pk", filter=Q(on_time=False))
    )
    assert rate == {"punctual": 2, "late": 3}


# --- The ladder's moments on real dates --------------------------------------------------------------------


def test_overdue_days_agree_with_the_calendar_counting(org):
    case = take_in(org, "v1")
    calendar = sla.calendar_for(case)
    for due in (bj(3, 9, 17, 30), bj(9, 30, 17, 30), bj(2, 13, 12), bj(3, 7, 10)):
        for days in (1, 2, 3):
            moment = clocks.overdue_days_at(due, days, calendar=calendar)
            assert working_days_overdue(due, moment, calendar=calendar).days == days
            assert working_days_overdue(due, moment - TICK, calendar=calendar).days == days - 1
    # Monday 17:30 deadline: two whole working days overdue at Wednesday's close of business.
    assert clocks.overdue_days_at(bj(3, 9, 17, 30), 2, calendar=calendar) == bj(3, 11, 17, 30)
    # Over 国庆节: due 09-30, the first whole working days after it are 10-08 and 10-09.
    assert clocks.overdue_days_at(bj(9, 30, 17, 30), 2, calendar=calendar) == bj(10, 9, 17, 30)


def test_the_case_ladder_and_its_alarms(org):
    case = routed_case(org, bj(3, 2, 9))
    ladder = sla.case_ladder(case, sla.calendar_for(case))
    assert [step.level for step in ladder] == [
        AlarmLevel.YELLOW,
        AlarmLevel.RED,
        AlarmLevel.SUPERVISE,
        AlarmLevel.BULLETIN,
    ]
    assert [local(step.at) for step in ladder] == [
        bj(3, 6, 16, 12),
        bj(3, 9, 17, 30),
        bj(3, 11, 17, 30),  # 2 working days overdue
        bj(3, 16, 17, 30),  # the supervision order's 3 working days
    ]
    assert clocks.level_reached(ladder, bj(3, 9, 17, 30)) == AlarmLevel.YELLOW
    assert clocks.level_reached(ladder, bj(3, 9, 17, 30) + TICK) == AlarmLevel.RED
    assert clocks.next_alarm_at(ladder, AlarmLevel.YELLOW) == bj(3, 9, 17, 30) + TICK
    assert clocks.skipped_levels(ladder, AlarmLevel.NONE, AlarmLevel.SUPERVISE) == [
        AlarmLevel.YELLOW,
        AlarmLevel.RED,
    ]
