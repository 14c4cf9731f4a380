"""Aggregations on generated cases with known answers: on-time rate with open overdue cases counted late,
median and 90th-percentile handling time in working days, returns, reopens, satisfaction, trends, the
monthly light board and its thresholds, and the overdue list's "at least N working days" filter.

The March 2026 history of the 暨阳街道 office (``t1_office``), every case taken in at 09:00 and handled
through the real services (default policy: 5 working days; a reasoned reply within 3):

    A  03-02 → resolved 03-04 09:00   on time   2.00 days   满意
    B  03-02 → resolved 03-10 09:00   late      6.00 days   基本满意   (due 03-09 17:30)
    C  03-03 → still open                 late once 03-10 17:30 has passed (open overdue)
    D  03-03 → "cannot be done yet" with reasons 03-04 09:00: on time (reasoned reply due 03-06 17:30)
    G  03-09 → resolved 03-10 09:00   on time   1.00 day    不满意
    H  03-11 → resolved 03-16 09:00   on time   3.00 days
    J  03-02 → resolved 03-03, unsatisfied, reopened 03-03 10:00, resolved again 03-05 09:00:
              on time against the new round's deadline, 3.00 days from intake, one reopen
    E  03-16 → still open, due 03-23 17:30: undecided on 03-20, late on 04-02
    R  03-05 → returned by the office the same morning (one return)

On 2026-03-20 12:00: on time A D G H J = 5, late B C = 2 → 5/7 (counting only resolved cases would
give 5/6: the open overdue case C must not vanish). Handling days [1, 2, 3, 3, 6]: median 3.00, 90th
percentile 3 + 0.6 × (6 − 3) = 4.80.
"""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.test import override_settings

from cases import services
from cases.choices import CaseStatus, Light, Satisfaction
from routing.calendar import calendar_snapshot
from routing.deadlines import working_days_overdue
from supervision import rankings, selectors
from supervision.aggregates import percentile
from supervision.periods import MONTH, WEEK, Period, current_period, parse_period
from supervision.selectors import region_node

from .scenarios import at, resolve, routed_case, travel

pytestmark = pytest.mark.django_db


@pytest.fixture
def march(org):
    cases = {}
    cases["A"] = routed_case(org, when="2026-03-02 09:00")
    resolve(org, cases["A"], when="2026-03-04 09:00", satisfaction=Satisfaction.SATISFIED)
    cases["B"] = routed_case(org, when="2026-03-02 09:00")
    resolve(org, cases["B"], when="2026-03-10 09:00", satisfaction=Satisfaction.BASICALLY_SATISFIED)
    cases["C"] = routed_case(org, when="2026-03-03 09:00")
    cases["D"] = routed_case(org, when="2026-03-03 09:00")
    with travel("2026-03-04 09:00"):
        services.case_reply(
            actor=org["t1_office_handler"],
            case_id=cases["D"].pk,
            answer="暂不能办理：政策待出台",
            can_be_done=False,
            cannot_be_done=True,
            reason_code="not_yet_possible",
            basis="相关政策待出台",
        )
    cases["G"] = routed_case(org, when="2026-03-09 09:00")
    resolve(org, cases["G"], when="2026-03-10 09:00", satisfaction=Satisfaction.UNSATISFIED)
    cases["H"] = routed_case(org, when="2026-03-11 09:00")
    resolve(org, cases["H"], when="2026-03-16 09:00")
    cases["J"] = routed_case(org, when="2026-03-02 09:00")
    resolve(org, cases["J"], when="2026-03-03 09:00", satisfaction=Satisfaction.UNSATISFIED)
    with travel("2026-03-03 10:00"):
        services.case_reopen(actor=org["v1_clerk"], case_id=cases["J"].pk, reason="回访不满意")
    resolve(org, cases["J"], when="2026-03-05 09:00")
    cases["E"] = routed_case(org, when="2026-03-16 09:00")
    cases["R"] = routed_case(org, when="2026-03-05 09:00")
    with travel("2026-03-05 10:00"):
        services.assignment_return(actor=org["t1_office_head"], case_id=cases["R"].pk, reason="不属本单位")
    return cases


def office_row(org, *, now, period=None, user="county_supervisor", code="330681"):
    node = region_node(user=org[user], code=code)
    period = period or current_period(MONTH, now)
    rows = selectors.department_table(user=org[user], node=node, period=period, now=now)
    return next(row for row in rows if row.department == org.dept("t1_office"))


def test_on_time_rate_counts_open_overdue_cases_as_late(org, march):
    now = at("2026-03-20 12:00")
    row = office_row(org, now=now)
    assert (row.on_time, row.late) == (5, 2)
    assert row.on_time_rate == pytest.approx(5 / 7)
    # Open now: C, D (replied, still open) and E; C is red (overdue), E green.
    assert (row.open, row.overdue_now) == (3, 1)


def test_a_month_that_is_over_settles_its_running_clocks_as_late(org, march):
    now = at("2026-04-02 12:00")
    march_period = parse_period("2026-03", now=now)
    row = office_row(org, now=now, period=march_period)
    # E was undecided on 03-20; on 04-02 its deadline (03-23) has passed with the case still open.
    assert (row.on_time, row.late) == (5, 3)


def test_median_and_ninetieth_percentile_handling_time_in_working_days(org, march):
    row = office_row(org, now=at("2026-03-20 12:00"))
    assert row.resolved == 5
    assert row.median_days == pytest.approx(3.0)
    assert row.p90_days == pytest.approx(4.8)


def test_returns_reopens_and_satisfaction_of_the_period(org, march):
    row = office_row(org, now=at("2026-03-20 12:00"))
    assert (row.returned, row.transferred, row.reopened) == (1, 0, 1)
    # Callbacks of the cases resolved in March (J's first, unsatisfied, callback was cleared by the reopen).
    assert (row.satisfied, row.basically_satisfied, row.unsatisfied) == (1, 1, 1)
    assert row.satisfaction_rate == pytest.approx(2 / 3)


def test_region_numbers_and_weekly_trend(org, march):
    now = at("2026-03-20 12:00")
    node = region_node(user=org["county_supervisor"], code="330681")
    month = selectors.region_periods(node=node, periods=[current_period(MONTH, now)], now=now)[0]
    # R (back at the window since its return, due 03-12) is late too at the region's level.
    assert (month.taken_in, month.resolved, month.on_time, month.late) == (9, 5, 5, 3)
    weeks = selectors.trend(node=node, kind=WEEK, count=3, now=now)
    assert [w.period.first_day.isoformat() for w in weeks] == ["2026-03-02", "2026-03-09", "2026-03-16"]
    # Taken in: A B C D J R (week 1), G H (week 2), E (week 3). Resolved (a case's latest resolution):
    # A J (week 1), B G (week 2), H (week 3).
    assert [w.taken_in for w in weeks] == [6, 2, 1]
    assert [w.resolved for w in weeks] == [2, 2, 1]
    # Due in week 2 (03-09 … 03-13): A B (03-09), C D J (03-10), R (03-12); G H are due in week 3.
    assert [(w.on_time, w.late) for w in weeks] == [(0, 0), (3, 3), (2, 0)]


def test_the_town_supervisor_sees_the_same_numbers_for_its_office(org, march):
    row = office_row(org, now=at("2026-03-20 12:00"), user="t1_supervisor", code="330681001")
    assert (row.on_time, row.late, row.resolved) == (5, 2, 5)


def test_the_other_town_supervisor_cannot_look_at_this_town(org, march):
    from windowsvc.errors import NotFound

    with pytest.raises(NotFound):
        region_node(user=org["t2_supervisor"], code="330681001")


# --- The monthly light board --------------------------------------------------------------------------------


def test_light_board_thresholds_default_and_configured(org, march):
    now = at("2026-04-02 12:00")
    node = region_node(user=org["county_supervisor"], code="330681")
    months = [parse_period("2026-03", now=now)]
    cells = selectors.department_months(
        departments=selectors.node_departments(node=node), months=months, now=now
    )
    office = cells[(org.dept("t1_office").pk, "2026-03")]
    assert office.on_time_rate == pytest.approx(5 / 8)
    assert rankings.month_light(office) == "red"  # below 85 %
    with override_settings(SUPERVISION_LIGHT_THRESHOLDS={"green": 0.6, "yellow": 0.5}):
        assert rankings.month_light(office) == "green"
    with override_settings(SUPERVISION_LIGHT_THRESHOLDS={"green": 0.9, "yellow": 0.6}):
        assert rankings.month_light(office) == "yellow"
    # A department with no case due that month has no light.
    assert rankings.month_light(cells[(org.dept("market").pk, "2026-03")]) is None


def test_light_thresholds_are_inclusive():
    stats = selectors.DepartmentStats(department=None, on_time=95, late=5)
    assert rankings.month_light(stats) == "green"
    stats = selectors.DepartmentStats(department=None, on_time=85, late=15)
    assert rankings.month_light(stats) == "yellow"
    stats = selectors.DepartmentStats(department=None, on_time=84, late=16)
    assert rankings.month_light(stats) == "red"


# --- The overdue list ----------------------------------------------------------------------------------------


def test_overdue_list_lights_filters_and_days(org, march):
    now = at("2026-03-20 12:00")
    node = region_node(user=org["county_supervisor"], code="330681")
    listed = list(selectors.overdue_cases(user=org["county_supervisor"], node=node, now=now))
    # C is red (due 03-10); R waits at the window since its return (due 03-12): red too. E is green.
    assert {c.pk: c.light for c in listed} == {march["C"].pk: Light.RED, march["R"].pk: Light.RED}
    calendar = selectors.county_calendar(node.path)
    assert selectors.days_overdue(listed[0], now, calendar=calendar) == 7  # 03-11 … 03-19 working days
    only_office = selectors.overdue_cases(
        user=org["county_supervisor"],
        node=node,
        now=now,
        filters={"lead_department": org.dept("t1_office").pk},
    )
    assert [c.pk for c in only_office] == [march["C"].pk]
    assert list(
        selectors.overdue_cases(user=org["county_supervisor"], node=node, now=now, min_days_overdue=6)
    ) == [listed[0]]
    assert not selectors.overdue_cases(user=org["county_supervisor"], node=node, now=now, min_days_overdue=8)
    yellow_day = at("2026-03-22 12:00")  # Sunday: E (due Monday 03-23) is within its last working day
    yellow = selectors.overdue_cases(
        user=org["county_supervisor"], node=node, now=yellow_day, lights=(Light.YELLOW,)
    )
    assert [c.pk for c in yellow] == [march["E"].pk]


def test_overdue_cutoff_matches_working_days_overdue(org):
    calendar = calendar_snapshot(region=org.regions["county"])
    rng = random.Random(5)
    base = at("2026-01-05 08:00")
    for _ in range(400):
        now = base + timedelta(minutes=rng.randrange(0, 60 * 24 * 300))
        deadline = now - timedelta(minutes=rng.randrange(0, 60 * 24 * 30))
        days = rng.randrange(1, 8)
        cutoff = selectors.overdue_cutoff(now, days, calendar=calendar)
        assert (working_days_overdue(deadline, now, calendar=calendar).days >= days) == (deadline <= cutoff)


# --- Percentiles ---------------------------------------------------------------------------------------------


def test_percentile_interpolates_between_ranks():
    assert percentile([1, 2, 3, 4], 0.5) == 2.5
    assert percentile([1, 2, 3, 4], 0.9) == pytest.approx(3.7)
    assert percentile([5], 0.9) == 5
    assert percentile([], 0.5) is None


def test_periods_parse_and_bound():
    now = at("2026-03-20 12:00")
    march = parse_period("2026-03", now=now)
    assert (march.start, march.end) == (at("2026-03-01 00:00"), at("2026-04-01 00:00"))
    assert parse_period("2026-Q1", now=now).months()[-1] == march
    assert parse_period("2026", now=now).key == "2026"
    assert parse_period("2026-W12", now=now).first_day.isoformat() == "2026-03-16"
    assert parse_period("rubbish", now=now) == march
    assert isinstance(current_period(WEEK, now), Period)


def test_status_counts_of_open_work(org, march):
    node = region_node(user=org["county_supervisor"], code="330681")
    counts = selectors.open_counts(user=org["county_supervisor"], node=node, now=at("2026-03-20 12:00"))
    by_status = {value: count for value, _label, count in counts.by_status}
    assert by_status[CaseStatus.IN_PROGRESS] == 2  # C, E
    assert by_status[CaseStatus.REPLIED] == 1  # D
    assert by_status[CaseStatus.ROUTING] == 1  # R
    assert by_status[CaseStatus.RESOLVED] == 5  # A B G H J wait for their callback or closure
    assert counts.open == 9
    assert counts.by_light == {"green": 1, "yellow": 0, "red": 2, "none": 6}
    t1 = next(child for child in counts.children if child.region == org.regions["t1"])
    assert (t1.open, t1.red) == (counts.open, 2)
