"""The case-fact projection and the rollups stay equal to what the cases say, command after command.

Facts are written by an in-transaction handler of every case event; the rollups move by the difference of
a fact's contributions. The reference is a rebuild from the cases table (facts) and the sum of the facts'
contributions (rollups): after any sequence of commands, and after a rollback, they must agree.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import transaction

from cases import clocks, services
from cases.choices import CaseStatus, Satisfaction
from cases.models import Case
from supervision import projection
from supervision.models import CaseFact, DepartmentMonthStat, RegionDayStat
from supervision.selectors import _running_late
from tests.cases.states import drive

from .scenarios import at, resolve, routed_case, travel

pytestmark = pytest.mark.django_db

S = CaseStatus


def fact_rows() -> dict[int, dict]:
    return {row["case_id"]: row for row in CaseFact.objects.values("case_id", *projection.FACT_COLUMNS)}


def assert_consistent():
    maintained = fact_rows()
    assert maintained.keys() == set(Case.objects.values_list("pk", flat=True))
    # The rollups equal the sum of the facts' contributions …
    assert projection.rollups_differences() == {}
    # … and the facts equal a rebuild from the cases.
    projection.case_facts_rebuild()
    assert fact_rows() == maintained
    assert projection.rollups_differences() == {}


def test_every_state_of_the_loop_keeps_facts_and_rollups_consistent(org):
    for status in S:
        drive(org, status)
    assert_consistent()
    closed = Case.objects.get(status=S.CLOSED)
    fact = CaseFact.objects.get(case=closed)
    assert (fact.status, fact.lead_department_id, fact.resolved_at) == (
        S.CLOSED,
        closed.lead_department_id,
        closed.resolved_at,
    )
    assert fact.callback_satisfaction == Satisfaction.SATISFIED


def test_returns_transfers_reopens_and_deadline_changes_are_followed(org):
    case = routed_case(org, when="2026-03-02 09:00")
    with travel("2026-03-03 10:00"):
        services.case_transfer(
            actor=org["t1_office_head"], case_id=case.pk, department=org.dept("t2_office"), reason="属地"
        )
    with travel("2026-03-03 11:00"):
        services.assignment_accept(actor=org["t2_office_handler"], case_id=case.pk)
    with travel("2026-03-04 09:00"):
        services.case_suspend(
            actor=org["t2_office_handler"], case_id=case.pk, reason="等材料", reason_code="awaiting_materials"
        )
    assert_consistent()
    with travel("2026-03-06 09:00"):
        services.case_resume(actor=org["t2_office_handler"], case_id=case.pk, reason="材料已到")
    resolve(org, case, when="2026-03-16 10:00", lead="t2_office", satisfaction=Satisfaction.UNSATISFIED)
    with travel("2026-03-17 09:00"):
        services.case_reopen(actor=org["v1_clerk"], case_id=case.pk, reason="不满意")
    assert_consistent()
    fact = CaseFact.objects.get(case=case)
    assert fact.lead_department_id == org.dept("t2_office").pk
    assert (fact.transfer_count, fact.reopen_count, fact.resolved_at, fact.handling_days) == (
        1,
        1,
        None,
        None,
    )
    # A new round: the reopen restarted the clock, so the fact follows the new deadline.
    case.refresh_from_db()
    assert fact.due_at == case.due_at and fact.due_at > at("2026-03-17 09:00")


def test_handling_days_are_working_days_of_business_hours(org):
    # Monday 09:00 → Wednesday 09:00 is two working days of 7 business hours; Friday 09:00 → Monday 09:00
    # one (the weekend does not count).
    first = routed_case(org, when="2026-03-02 09:00")
    resolve(org, first, when="2026-03-04 09:00")
    second = routed_case(org, when="2026-03-06 09:00")
    resolve(org, second, when="2026-03-09 09:00")
    third = routed_case(org, when="2026-03-02 09:00")
    resolve(org, third, when="2026-03-02 12:30")  # 09:00–12:00: 3 of 7 hours
    days = dict(CaseFact.objects.values_list("case_id", "handling_days"))
    assert days[first.pk] == Decimal("2.00")
    assert days[second.pk] == Decimal("1.00")
    assert days[third.pk] == Decimal("0.43")


def test_a_rolled_back_command_leaves_no_trace_in_facts_or_rollups(org):
    case = routed_case(org, when="2026-03-02 09:00")
    before_facts = fact_rows()
    before_rollups = projection.stored_rollups()
    with travel("2026-03-03 09:00"), transaction.atomic():
        services.case_resolve(actor=org["t1_office_handler"], case_id=case.pk, summary="已办结")
        assert CaseFact.objects.get(case=case).resolved_at is not None
        transaction.set_rollback(True)
    assert fact_rows() == before_facts
    assert projection.stored_rollups() == before_rollups


def test_rebuild_recreates_missing_facts_and_rollups(org):
    for status in (S.IN_PROGRESS, S.CLOSED, S.REPLIED):
        drive(org, status)
    expected = fact_rows()
    expected_rollups = projection.stored_rollups()
    CaseFact.objects.all().delete()
    RegionDayStat.objects.all().delete()
    DepartmentMonthStat.objects.all().delete()
    assert projection.case_facts_rebuild() == len(expected)
    assert fact_rows() == expected
    assert projection.stored_rollups() == expected_rollups


def test_fact_scope_is_the_case_scope_for_every_user(org):
    for status in (S.ROUTING, S.IN_PROGRESS, S.CLOSED, S.COORDINATING):
        drive(org, status)
    routed_case(org, when="2026-03-02 09:00", where="v2", lead="t2_office")
    for user in org.users.values():
        cases = set(Case.objects.visible_to(user).values_list("pk", flat=True))
        facts = set(CaseFact.objects.visible_to(user).values_list("case_id", flat=True))
        assert facts == cases, user.username


# --- The cohort classes and the live query follow cases.clocks.on_time ---------------------------------

BASE = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def _random_values(rng: random.Random) -> dict:
    def moment(low=-10, high=20):
        return BASE + timedelta(hours=rng.randint(low * 24, high * 24), minutes=rng.randint(0, 59))

    due = moment(0, 10) if rng.random() < 0.95 else None
    return {
        "due_at": due,
        "resolved_at": moment() if rng.random() < 0.5 else None,
        "reasoned_reply_at": moment() if rng.random() < 0.2 else None,
        "reasoned_reply_due_at": (due - timedelta(days=rng.randint(0, 3)))
        if due and rng.random() < 0.8
        else None,
        "clock_paused_at": moment() if rng.random() < 0.2 else None,
        "status": rng.choice(list(S)),
    }


def test_cohort_class_is_the_on_time_rule_at_every_moment():
    rng = random.Random(8)
    for _ in range(3000):
        values = _random_values(rng)
        verdict = projection.cohort_class(values) if values["due_at"] else None
        now = BASE + timedelta(hours=rng.randint(-240, 720))
        on_time = clocks.on_time(
            now=now,
            due_at=values["due_at"],
            resolved_at=values["resolved_at"],
            reasoned_reply_at=values["reasoned_reply_at"],
            reasoned_reply_due_at=values["reasoned_reply_due_at"],
            paused_at=values["clock_paused_at"],
            is_open=values["status"] not in (S.CLOSED, S.NOT_ACCEPTED, S.WITHDRAWN),
        )
        expected = {
            "on_time": True,
            "late": False,
            "running": False if values["due_at"] and now > values["due_at"] else None,
            None: None,
        }[verdict]
        assert on_time == expected, (values, now)


def test_the_live_late_query_is_the_running_class(org):
    """``_running_late`` (SQL) selects exactly the running facts due in the window (Python)."""
    case = routed_case(org, when="2026-03-02 09:00")
    rng = random.Random(3)
    template = CaseFact.objects.get(case=case)
    Case.objects.exclude(pk=case.pk).delete()
    rows = []
    for i in range(400):
        values = _random_values(rng)
        other = Case.objects.get(pk=case.pk)
        other.pk = None
        other.tracking_number = f"T{i:06d}"
        other.save()
        rows.append(
            CaseFact(
                case=other,
                region_id=template.region_id,
                region_path=template.region_path,
                handling_region_path=template.handling_region_path,
                tier=template.tier,
                taken_in_at=template.taken_in_at,
                **values,
            )
        )
    CaseFact.objects.bulk_create(rows)
    start, now = BASE - timedelta(days=3), BASE + timedelta(days=6)
    selected = set(_running_late(CaseFact.objects.all(), start, now).values_list("case_id", flat=True))
    expected = {
        fact.case_id
        for fact in CaseFact.objects.all()
        if fact.due_at is not None
        and start <= fact.due_at < now
        and projection.cohort_class({**fact.__dict__}) == "running"
    }
    assert selected == expected
    assert expected  # the sample has some
