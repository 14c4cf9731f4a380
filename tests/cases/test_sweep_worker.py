"""The deadline sweep through a REAL Celery worker process and the Redis broker (the CI database is
PostgreSQL): each level fires exactly once with two sweeps at once, a sweep killed mid-batch is finished by
the next without duplicates, and after 3 hours of downtime (simulated with the task's ``now``) the sweep
catches up. The worker sees only committed rows, hence ``transaction=True``.

``WINDOWSVC_SWEEP_TEST_DELAY`` (cases/sweep.py) makes the worker's sweep sleep after each clock inside its
batch, so two sweeps overlap and a kill lands mid-batch.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.db import connection

from cases import clocks, sla
from cases.choices import SweepEventKind
from cases.models import Case, CaseEvent
from cases.tasks import sweep_deadlines
from notifications.choices import TemplateCode
from notifications.models import Notification
from tests.fixtures.celery_worker import start_worker

from .deadline_helpers import bj, routed_case, seed_policies

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]
K = SweepEventKind
RESULT_TIMEOUT = 120


@pytest.fixture
def world(org):
    seed_policies()
    return org


# The completion ladders' steps; the timers' own steps (reply, first contact …) are test_timers.py's.
LADDERS = {"payload__clock__in": ["case", "assignment"]}


def ladder_events(case) -> list[tuple[str, dict]]:
    return list(
        CaseEvent.objects.filter(case=case, kind__in=K.values, **LADDERS)
        .order_by("sequence")
        .values_list("kind", "payload")
    )


def run_sweep(now) -> dict:
    return sweep_deadlines.apply_async(kwargs={"now": now.isoformat()}).get(timeout=RESULT_TIMEOUT)


def wait_for(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def overdue_cases(org, n: int) -> list[Case]:
    """``n`` cases due Monday 2026-03-09 17:30, the lead signed for, nothing fired yet."""
    return [routed_case(org, bj(3, 2, 9), assisting=()) for _ in range(n)]


def assert_each_fired_once(cases, kind: str) -> None:
    for case in cases:
        events = ladder_events(case)
        assert [k for k, _ in events] == [kind], case.tracking_number
        case.refresh_from_db()
        assert case.version == case.events.count()


def test_two_sweeps_at_once_fire_each_level_exactly_once(world, tmp_path):
    cases = overdue_cases(world, 12)
    worker = start_worker(
        tmp_path,
        extra_env={"WINDOWSVC_SWEEP_TEST_DELAY": "0.2", "CASE_SWEEP_BATCH_SIZE": "3"},
        concurrency=2,
    )
    try:
        now = (bj(3, 9, 17, 30) + timedelta(hours=1)).isoformat()
        first = sweep_deadlines.apply_async(kwargs={"now": now})
        second = sweep_deadlines.apply_async(kwargs={"now": now})
        results = [first.get(timeout=RESULT_TIMEOUT), second.get(timeout=RESULT_TIMEOUT)]
        again = run_sweep(bj(3, 9, 18, 30))  # and a third, later: nothing new
    finally:
        worker.stop()
    assert sum(r["cases"] for r in results) == 12  # every clock claimed by exactly one sweep
    assert sum(r.get("red", 0) for r in results) == 12
    if connection.vendor == "postgresql":
        # SKIP LOCKED: both sweeps really ran side by side, each on its own rows.
        assert all(r["cases"] > 0 for r in results), results
    assert again["fired"] == 0
    assert_each_fired_once(cases, K.URGE)
    ids = CaseEvent.objects.filter(kind=K.URGE, **LADDERS).values_list("pk", flat=True)
    urges = Notification.objects.filter(
        template_code=TemplateCode.URGE, channel="in_app", event_key__regex=r"^case-event:\d+:urge$"
    )
    assert urges.count() == 12  # one 催办 to the t1 office head per case
    assert {n.event_key.split(":")[1] for n in urges} == {str(pk) for pk in ids}


def test_a_sweep_killed_mid_batch_is_finished_by_the_next_without_duplicates(world, tmp_path):
    cases = overdue_cases(world, 6)
    now = bj(3, 9, 17, 30) + timedelta(hours=1)
    slow = start_worker(tmp_path, extra_env={"WINDOWSVC_SWEEP_TEST_DELAY": "5"})
    try:
        sweep_deadlines.apply_async(kwargs={"now": now.isoformat()})
        wait_for(lambda: "sweep: inside a batch" in slow.log())
        slow.kill()  # SIGKILL while the batch's transaction is open
    finally:
        slow.stop()
    # The killed batch rolled back: no step fired, every clock is still due.
    assert CaseEvent.objects.filter(kind__in=K.values).count() == 0
    assert Case.objects.filter(pk__in=[c.pk for c in cases], next_alarm_at__lte=now).count() == 6
    worker = start_worker(tmp_path)
    try:
        result = run_sweep(now)
    finally:
        worker.stop()
    assert (result["cases"], result["red"]) == (6, 6)
    assert_each_fired_once(cases, K.URGE)


def test_after_three_hours_of_downtime_the_sweep_catches_up(world, tmp_path):
    last_sweep = bj(3, 2, 16)
    back = last_sweep + timedelta(hours=3)  # nothing ran from 16:00 to 19:00
    immediate = {"handling_mode": "immediate"}
    before = routed_case(world, bj(3, 2, 15), assisting=(), **immediate)  # yellow at once, due 17:30
    during = routed_case(world, bj(3, 2, 16, 30), assisting=(), **immediate)  # yellow and red both missed
    fresh = routed_case(world, bj(3, 2, 16, 30), assisting=())  # 5 working days: green
    weekend = routed_case(world, bj(2, 24, 10), assisting=())  # over the make-up Saturday 02-28: due today
    yellow_in_gap = routed_case(world, bj(2, 25, 9), assisting=())  # yellow at 16:12 today
    worker = start_worker(tmp_path)
    try:
        first = run_sweep(last_sweep)
        caught_up = run_sweep(back)
    finally:
        worker.stop()
    assert (first["fired"], first["yellow"]) == (2, 2)  # before, weekend
    assert [(k, p["skipped"]) for k, p in ladder_events(before)] == [("warn", []), ("urge", [])]
    assert [(k, p["skipped"]) for k, p in ladder_events(during)] == [("urge", ["yellow"])]
    assert ladder_events(fresh) == []
    assert [(k, p["skipped"]) for k, p in ladder_events(weekend)] == [("warn", []), ("urge", [])]
    assert [(k, p["skipped"]) for k, p in ladder_events(yellow_in_gap)] == [("warn", [])]
    assert caught_up["fired"] == 4
    # Whatever the case, the worker fired what the pure ladder says was reached at each sweep.
    for case in (before, during, fresh, weekend, yellow_in_gap):
        case.refresh_from_db()
        ladder = sla.case_ladder(case, sla.calendar_for(case))
        expected = [
            level
            for level in (clocks.level_reached(ladder, last_sweep), clocks.level_reached(ladder, back))
            if level
        ]
        fired = [p["level"] for _, p in ladder_events(case)]
        assert fired == [level.name.lower() for level in dict.fromkeys(expected)], case.tracking_number
        assert case.next_alarm_at > back
