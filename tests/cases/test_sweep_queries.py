"""The deadline sweep is set-based: a batch costs a fixed number of queries whatever its size, and a sweep
with nothing due costs one query. The batch's events still chain (``audit_verify`` passes) and keep the
supervision facts equal to a rebuild from the cases.

Every clock kind fires in the measured sweep: the case clocks (催办, yellow skipped), the assisting
departments' assignments (not signed for, then late: 催办) and the case timers (reply, reasoned reply).
How fast is measured, never asserted: ``manage.py benchmark_sweep`` (BENCHMARKS.md).
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import sla
from cases.choices import SweepEventKind
from cases.models import CaseEvent
from cases.sweep import sweep
from notifications.models import Notification
from supervision import projection
from supervision.models import CaseFact

from .deadline_helpers import bj, routed_case, seed_policies

pytestmark = pytest.mark.django_db
TICK = timedelta(microseconds=1)
ROUTED = bj(3, 2, 9)
OVERDUE = bj(3, 9, 17, 30) + TICK  # the cases' deadline has just passed; the assisting clocks' too

# One query for what is due, then one batch per kind of clock (each under CASE_SWEEP_BATCH_SIZE), inside
# a savepoint here (the test's transaction; a worker's BEGIN and COMMIT are not counted as queries): the
# claim, the cases saved (their versions; the case clocks' levels ride along), the previous event hashes,
# the events, the supervision facts, the clocks moved (assignments, timers), the department staff (and, for
# the timers' 督办, the supervisors by region), the users, their preferences, the notifications. The
# templates in force come from the per-process reference cache (the setup's notices already read it).
# Pinned: a change here is a change in the sweep's cost.
SWEEP_QUERIES = 1 + 3 * 2 + 9 + 10 + 11


@pytest.fixture(autouse=True)
def _setup(db, settings):
    seed_policies()
    # The calendar snapshot is cached per process and rechecked every 30 s by a query: never in here.
    settings.CALENDAR_CACHE_RECHECK_SECONDS = 3600
    settings.CASE_SWEEP_BATCH_SIZE = 200


def overdue_cases(org, n: int):
    cases = [routed_case(org, ROUTED) for _ in range(n)]  # lead signed for; assisting 自然资源局 pending
    sla.calendar_for(cases[0])  # the calendar loaded, as in a worker that has swept before
    return cases


def counted_sweep(now):
    with CaptureQueriesContext(connection) as captured:
        result = sweep(now=now)
    return result, len(captured)


@pytest.mark.parametrize("n", [5, 50])
def test_a_sweep_batch_costs_the_same_number_of_queries_for_5_clocks_of_each_kind_and_for_50(org, n):
    cases = overdue_cases(org, n)
    events_before = CaseEvent.objects.count()
    result, queries = counted_sweep(OVERDUE)
    # Every kind fired for every case: the case clock, the assisting assignment, the timers.
    assert (result["cases"], result["assignments"]) == (n, n)
    assert (result["fired"], result["red"]) == (2 * n, 2 * n)
    assert result["timers"] >= n and result["timer_fired"] == result["timers"]
    assert CaseEvent.objects.count() - events_before == 2 * n + result["timer_fired"]
    assert Notification.objects.filter(event_key__startswith="case-event:").exists()
    assert queries == SWEEP_QUERIES
    for case in cases:
        case.refresh_from_db()
        assert case.version == case.events.count()


def test_a_sweep_with_nothing_due_is_one_query(org):
    overdue_cases(org, 3)
    assert counted_sweep(ROUTED + timedelta(hours=1)) == (
        {"cases": 0, "assignments": 0, "timers": 0, "fired": 0},
        1,
    )
    sweep(now=OVERDUE)
    result, queries = counted_sweep(OVERDUE)  # everything fired: nothing due again at the same moment
    assert (result["fired"], queries) == (0, 1)


def test_the_batchs_events_chain_and_the_facts_stay_equal_to_a_rebuild(org):
    overdue_cases(org, 4)
    for moment in (bj(3, 3, 9) + TICK, bj(3, 6, 16, 12), OVERDUE, bj(3, 20)):
        sweep(now=moment)
    assert CaseEvent.objects.filter(kind=SweepEventKind.BULLETIN).count() == 4
    out = io.StringIO()
    call_command("audit_verify", stdout=out)  # raises CommandError on a broken chain
    maintained = {row["case_id"]: row for row in CaseFact.objects.values("case_id", *projection.FACT_COLUMNS)}
    assert projection.rollups_differences() == {}
    projection.case_facts_rebuild()
    assert {
        row["case_id"]: row for row in CaseFact.objects.values("case_id", *projection.FACT_COLUMNS)
    } == maintained
