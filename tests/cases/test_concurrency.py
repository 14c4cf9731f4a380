"""Concurrent commands on one case, concurrent intakes: real threads, real connections, committed data.

To make the race real rather than hoped for, the test thread first locks the case row (or, for intakes,
the counter/idempotency rows) in its own transaction, starts the competing threads, waits until the
database shows them all blocked (PostgreSQL: ``pg_stat_activity`` lock waits), then lets go. On SQLite the
``IMMEDIATE`` transactions serialise writers the same way; there the wait is a fixed pause.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import close_old_connections, connection, connections, transaction

from cases import services
from cases.choices import CaseStatus, EventKind
from cases.models import Case, CaseEvent, IdempotencyRecord
from routing.choices import StaffRole
from tests.factories import CLASSIFICATION, MembershipFactory, UserFactory, build_org, person, take_in
from windowsvc.errors import TransitionNotAllowed

from .states import drive

pytestmark = pytest.mark.django_db(transaction=True)


def _blocked_backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def wait_until_blocked(count: int, timeout: float = 10.0) -> None:
    if connection.vendor != "postgresql":
        time.sleep(0.5)
        return
    deadline = time.monotonic() + timeout
    while _blocked_backends() < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"expected {count} blocked transactions")
        time.sleep(0.02)


def race(calls, *, hold=None):
    """Run the callables in threads at once; with ``hold`` (a callable run in a transaction of this thread
    that takes the contended lock), the threads start while it is held and run when it is released.

    Returns a list of (result, exception) in call order.
    """
    outcomes: list = [None] * len(calls)

    def worker(i, call):
        try:
            outcomes[i] = (call(), None)
        except Exception as exc:
            outcomes[i] = (None, exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)]
    if hold is None:
        for thread in threads:
            thread.start()
    else:
        with transaction.atomic():
            hold()
            for thread in threads:
                thread.start()
            wait_until_blocked(len(threads))
    for thread in threads:
        thread.join(30)
    close_old_connections()
    return outcomes


def lock_case(case):
    return lambda: list(Case.objects.select_for_update().filter(pk=case.pk))


def test_two_concurrent_sign_fors_of_the_lead_one_wins():
    org = build_org()
    case = drive(org, CaseStatus.ASSIGNED)
    events_before = CaseEvent.objects.filter(case=case).count()
    outcomes = race(
        [
            lambda: services.assignment_accept(actor=org["t1_office_handler"], case_id=case.pk),
            lambda: services.assignment_accept(actor=org["t1_office_head"], case_id=case.pk),
        ],
        hold=lock_case(case),
    )
    winners = [r for r, exc in outcomes if exc is None]
    losers = [exc for _, exc in outcomes if exc is not None]
    assert len(winners) == 1 and len(losers) == 1
    assert isinstance(losers[0], TransitionNotAllowed)
    assert losers[0].current == CaseStatus.IN_PROGRESS
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS
    assert CaseEvent.objects.filter(case=case).count() == events_before + 1
    assert CaseEvent.objects.filter(case=case, kind=EventKind.ACCEPT).count() == 1


def test_two_clerks_classifying_at_once_one_wins():
    org = build_org()
    colleague = UserFactory(username="v1_clerk_2")
    MembershipFactory(user=colleague, role=StaffRole.CLERK, region=org.regions["v1"])
    case = take_in(org, "v1")

    def classify(actor):
        return lambda: services.case_classify(
            actor=actor, case_id=case.pk, category=org.category, **CLASSIFICATION
        )

    outcomes = race([classify(org["v1_clerk"]), classify(colleague)], hold=lock_case(case))
    errors = [exc for _, exc in outcomes if exc is not None]
    assert len(errors) == 1 and isinstance(errors[0], TransitionNotAllowed)
    assert errors[0].current == CaseStatus.ROUTING
    assert list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True).order_by("sequence")) == [
        EventKind.INTAKE,
        EventKind.CLASSIFY,
    ]


def test_concurrent_intakes_with_one_idempotency_key_create_one_case():
    org = build_org()
    data = {
        "actor": org["v1_clerk"],
        "window": org.windows["v1"],
        "channel": "walk_in",
        "requester": person(),
        "title": "重复提交",
        "description": "同一表单提交了四次",
    }
    # Hold the key: a first request is mid-flight in this thread's transaction while four retries arrive.
    first = {}

    def hold():
        first["result"] = services.case_intake(**data, idempotency_key="form-123")

    outcomes = race([lambda: services.case_intake(**data, idempotency_key="form-123")] * 4, hold=hold)
    assert all(exc is None for _, exc in outcomes), outcomes
    results = [r for r, _ in outcomes]
    assert {r.case.pk for r in results} == {first["result"].case.pk}
    assert all(r.replayed for r in results) and not first["result"].replayed
    assert Case.objects.count() == 1 and CaseEvent.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1


def test_concurrent_idempotent_intakes_without_a_head_start_create_one_case():
    org = build_org()
    data = {
        "actor": org["v1_clerk"],
        "window": org.windows["v1"],
        "channel": "online",
        "requester": person(),
        "title": "并发提交",
        "description": "网络重试",
    }
    barrier = threading.Barrier(4)

    def submit():
        barrier.wait(5)
        return services.case_intake(**data, idempotency_key="retry-9")

    outcomes = race([submit] * 4)
    assert all(exc is None for _, exc in outcomes), outcomes
    assert len({r.case.pk for r, _ in outcomes}) == 1
    assert sorted(r.replayed for r, _ in outcomes) == [False, True, True, True]
    assert Case.objects.count() == 1


def test_concurrent_intakes_at_one_window_get_distinct_tracking_numbers():
    org = build_org()
    barrier = threading.Barrier(6)

    def submit(i):
        def call():
            barrier.wait(5)
            return take_in(org, "v1", title=f"事项{i}")

        return call

    outcomes = race([submit(i) for i in range(6)])
    assert all(exc is None for _, exc in outcomes), outcomes
    numbers = sorted(case.tracking_number for case, _ in outcomes)
    assert len(set(numbers)) == 6
    assert [n[-4:] for n in numbers] == ["0001", "0002", "0003", "0004", "0005", "0006"]
