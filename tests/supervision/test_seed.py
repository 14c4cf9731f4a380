"""``seed_cases``: the generated history is what the closed loop would have written.

Checked on a small history over the test organisation: event sequences and versions, deadlines equal to
``cases.clocks`` (policy, clock, suspensions), facts equal to a rebuild, rollups equal to the facts'
contributions, no ladder step left for the sweep to fire, and a mix of states, lights, returns and
reopens. ``routing.calendar.fastclock`` is compared with the real arithmetic on random inputs.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db.models import Count, Max

from audit.chain import chains_verify
from cases import clocks as d
from cases import sla
from cases.choices import CaseStatus, EventKind
from cases.models import Assignment, Case, CaseEvent, CaseNumberCounter
from cases.sweep import sweep
from routing.calendar import calendar_snapshot
from routing.calendar.fastclock import FastCalendar, from_us, to_us
from routing.deadlines import working_days_overdue, working_time_between
from supervision import projection
from supervision.models import CaseFact
from supervision.seed import seed_cases

from .scenarios import at

pytestmark = pytest.mark.django_db

NOW = at("2026-03-20 11:47")


@pytest.fixture
def seeded(org):
    result = seed_cases(cases=400, days=90, seed=11, workers=0, now=NOW)
    assert result.cases == 400
    return result


def test_events_are_numbered_and_versions_count_them(seeded):
    assert Case.objects.count() == 400
    rows = Case.objects.annotate(n=Count("events"), last=Max("events__sequence")).values_list(
        "version", "n", "last"
    )
    assert all(version == n == last for version, n, last in rows)
    first = CaseEvent.objects.filter(sequence=1).values_list("kind", flat=True)
    assert set(first) == {EventKind.INTAKE}
    assert CaseEvent.objects.filter(created_at__gt=NOW).count() == 0
    # Every status change chains: each event starts where the previous one ended.
    for case in Case.objects.order_by("?")[:60]:
        events = list(case.events.order_by("sequence").values_list("from_status", "to_status"))
        assert all(events[i][1] == events[i + 1][0] for i in range(len(events) - 1))
        assert events[-1][1] == case.status


def test_every_seeded_chain_verifies(seeded):
    """The COPY lines carry the same hash chain as the workflow's saves (cases/auditchain.py)."""
    report = chains_verify(compare_digest=False)
    assert report.cases == 400 and report.events == CaseEvent.objects.count()
    assert report.breaks == []


def test_deadlines_are_the_loops_own(seeded):
    for case in Case.objects.exclude(clock_started_at=None).select_related("category")[:150]:
        limits, policy = sla.limits_for(case)
        assert case.sla_policy_id == (policy.pk if policy else None)
        clock = d.case_clock(
            origin=case.clock_started_at,
            limits=limits,
            paused_total=case.clock_paused_total,
            yellow_share=sla.yellow_share(),
            calendar=sla.calendar_for(case),
        )
        assert (case.due_at, case.reply_due_at, case.yellow_at, case.reasoned_reply_due_at) == (
            clock.due_at,
            clock.reply_due_at,
            clock.yellow_at,
            clock.reasoned_reply_due_at,
        ), case.tracking_number
        for assignment in case.assignments.all():
            own = d.assignment_clock(
                origin=assignment.created_at,
                limits=limits,
                paused_total=assignment.clock_paused_total,
                yellow_share=sla.yellow_share(),
                calendar=sla.calendar_for(case),
            )
            assert (assignment.accept_due_at, assignment.due_at, assignment.yellow_at) == (
                own.accept_due_at,
                own.due_at,
                own.yellow_at,
            )


def test_facts_and_rollups_are_consistent(seeded):
    maintained = {row["case_id"]: row for row in CaseFact.objects.values("case_id", *projection.FACT_COLUMNS)}
    assert projection.rollups_differences() == {}
    projection.case_facts_rebuild()
    rebuilt = {row["case_id"]: row for row in CaseFact.objects.values("case_id", *projection.FACT_COLUMNS)}
    assert rebuilt == maintained


def test_the_sweep_finds_nothing_left_to_fire(seeded):
    assert sweep(now=NOW)["fired"] == 0


def test_a_realistic_mix(seeded):
    statuses = Counter(Case.objects.values_list("status", flat=True))
    assert statuses[CaseStatus.CLOSED] > 200
    for status in (CaseStatus.IN_PROGRESS, CaseStatus.RESOLVED, CaseStatus.NOT_ACCEPTED):
        assert statuses[status] > 0, status
    lights = Counter(Case.objects.open().with_light(NOW).values_list("light", flat=True))
    assert lights["red"] > 0 and lights["green"] > 0
    kinds = Counter(CaseEvent.objects.values_list("kind", flat=True))
    for kind in ("return", "transfer", "reopen", "callback", "warn", "urge", "supervise"):
        assert kinds[kind] > 0, kind
    assert Assignment.objects.filter(status="returned").count() == kinds["return"]


def test_seeded_numbers_are_encrypted_indexed_and_found(seeded, org):
    from django.db import connection

    from cases import selectors
    from cases.models import Requester

    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, credit_code FROM cases_requester")
        stored = [value for row in cursor.fetchall() for value in row if value is not None]
    assert stored and all(value.startswith("gAAAAA") for value in stored)  # Fernet tokens, no clear number
    person = Requester.objects.filter(id_number__isnull=False).first()
    company = Requester.objects.filter(credit_code__isnull=False).first()
    assert validators_pass(person.id_number, company.credit_code)
    assert Requester.objects.with_id_number(person.id_number.lower()).filter(pk=person.pk).exists()
    assert Requester.objects.with_credit_code(company.credit_code).filter(pk=company.pk).exists()
    open_case = Case.objects.open().filter(requester__kind="person").select_related("requester").first()
    found = selectors.requester_open_cases(user=org["root"], id_number=open_case.requester.id_number)
    assert open_case in found


def validators_pass(id_number: str, credit_code: str) -> bool:
    from cases.validators import validate_credit_code, validate_id_number

    validate_id_number(id_number)
    validate_credit_code(credit_code)
    return True


def test_tracking_numbers_continue_after_the_seed(seeded, org):
    from tests.factories import take_in

    day = NOW.date()
    counter = CaseNumberCounter.objects.filter(day=day).aggregate(Max("last_value"))["last_value__max"]
    assert counter
    case = take_in(org, "county")
    assert not Case.objects.exclude(pk=case.pk).filter(tracking_number=case.tracking_number).exists()


def test_seeding_twice_adds_to_what_is_there(org):
    seed_cases(cases=50, days=20, seed=1, workers=0, now=NOW)
    seed_cases(cases=50, days=20, seed=2, workers=0, now=NOW)
    assert Case.objects.count() == 100
    assert projection.rollups_differences() == {}


def test_the_command(org, capsys):
    call_command("seed_cases", cases=30, days=10, workers=0, verbosity=0)
    assert Case.objects.count() == 30
    assert "seeded 30 cases" in capsys.readouterr().out


# --- The fast arithmetic is the real one -----------------------------------------------------------------


def test_fastclock_equals_the_deadline_arithmetic(org):
    calendar = calendar_snapshot(region=org.regions["county"])
    fast = FastCalendar(calendar, date(2025, 6, 1), date(2027, 3, 31))
    rng = random.Random(4)
    profiles = [
        d.DEFAULT_LIMITS,
        d.Limits(completion_days=10, reply_days=5),
        d.Limits(completion_days=0, reply_days=0),
        d.Limits(completion_days=3, reply_days=3, reasoned_reply_days=None),
        d.DEFAULT_LIMITS.shortened(50),
    ]
    for i in range(800):
        origin = datetime(2025, 9, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(0, 86400 * 420))
        if i % 2:
            origin = origin.replace(second=0, microsecond=0)
        limits = rng.choice(profiles)
        paused = rng.choice([0, 0, 5 * 3600 * 10**6])
        clock = d.case_clock(
            origin=origin, limits=limits, paused_total=timedelta(microseconds=paused), calendar=calendar
        )
        got = fast.case_clock(to_us(origin), limits, paused_total=paused)
        assert tuple(None if x is None else from_us(x) for x in got) == (
            clock.first_contact_due_at,
            clock.reply_due_at,
            clock.due_at,
            clock.reasoned_reply_due_at,
            clock.yellow_at,
        )
        own = d.assignment_clock(origin=origin, limits=limits, calendar=calendar)
        assert tuple(from_us(x) for x in fast.assignment_clock(to_us(origin), limits)) == (
            own.accept_due_at,
            own.due_at,
            own.yellow_at,
        )
        later = origin + timedelta(seconds=rng.randrange(0, 86400 * 25))
        assert timedelta(microseconds=fast.working_time_between(to_us(origin), to_us(later))) == (
            working_time_between(origin, later, calendar=calendar).duration
        )
        assert fast.working_days_overdue(to_us(origin), to_us(later)) == (
            working_days_overdue(origin, later, calendar=calendar).days
        )
        n = rng.randrange(0, 4)
        assert from_us(fast.overdue_days_at(to_us(origin), n)) == d.overdue_days_at(
            origin, n, calendar=calendar
        )
