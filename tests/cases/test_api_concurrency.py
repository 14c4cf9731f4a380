"""Concurrent HTTP requests on one case, and concurrent intakes with one Idempotency-Key: real threads,
each with its own API client and database connection, on committed data.

To make the race real rather than hoped for, the test thread first takes the contended lock in its own
transaction (the case row; for an intake, the idempotency key — by sending the first request itself),
starts the competing requests, waits until PostgreSQL shows them all blocked on it, then lets go.
"""

from __future__ import annotations

import threading

import pytest

from cases.choices import CaseStatus, EventKind
from cases.models import Case, CaseEvent, IdempotencyRecord
from routing.choices import StaffRole
from tests.factories import MembershipFactory, UserFactory, build_org, take_in

from .api_helpers import CASES, case_url, client_for, intake_body, race
from .states import drive

pytestmark = pytest.mark.django_db(transaction=True)

S = CaseStatus
E = EventKind


def lock_case(case):
    return lambda: list(Case.objects.select_for_update().filter(pk=case.pk))


def _post(client, url, body, **headers):
    return lambda: client.post(url, body, format="json", **headers)


def test_two_department_heads_signing_for_the_lead_at_once_one_wins():
    org = build_org()
    deputy = UserFactory(username="t1_office_deputy_head")
    MembershipFactory(user=deputy, role=StaffRole.DEPARTMENT_HEAD, department=org.dept("t1_office"))
    case = drive(org, S.ASSIGNED)
    events_before = CaseEvent.objects.filter(case=case).count()
    heads = [client_for(org["t1_office_head"]), client_for(deputy)]

    responses = race([_post(head, case_url(case.pk, "accept"), {}) for head in heads], hold=lock_case(case))

    assert sorted(r.status_code for r in responses) == [200, 409]
    loser = next(r for r in responses if r.status_code == 409).json()
    assert loser["current_status"] == S.IN_PROGRESS
    assert "accept" not in loser["allowed_commands"]
    case.refresh_from_db()
    assert case.status == S.IN_PROGRESS
    assert CaseEvent.objects.filter(case=case).count() == events_before + 1 == case.version
    assert CaseEvent.objects.filter(case=case, kind=E.ACCEPT).count() == 1


def test_two_clerks_classifying_at_once_one_wins():
    org = build_org()
    colleague = UserFactory(username="v1_clerk_2")
    MembershipFactory(user=colleague, role=StaffRole.CLERK, region=org.regions["v1"])
    case = take_in(org, "v1")
    body = {
        "category": org.category.pk,
        "matter_kind": "difficult",
        "complexity": "general",
        "handling_mode": "standard",
    }
    clerks = [client_for(org["v1_clerk"]), client_for(colleague)]

    responses = race(
        [_post(clerk, case_url(case.pk, "classify"), body) for clerk in clerks], hold=lock_case(case)
    )

    assert sorted(r.status_code for r in responses) == [200, 409]
    assert next(r for r in responses if r.status_code == 409).json()["current_status"] == S.ROUTING
    assert list(CaseEvent.objects.filter(case=case).order_by("sequence").values_list("kind", flat=True)) == [
        E.INTAKE,
        E.CLASSIFY,
    ]


def test_retries_of_an_intake_in_flight_with_one_key_create_one_case():
    org = build_org()
    body = intake_body(org)
    clerk = client_for(org["v1_clerk"])
    retries = [client_for(org["v1_clerk"]) for _ in range(3)]
    first = {}

    def hold():
        # The first request runs in this thread's transaction: its key stays locked until we commit.
        first["response"] = clerk.post(CASES, body, format="json", HTTP_IDEMPOTENCY_KEY="form-8c1")

    responses = race([_post(c, CASES, body, HTTP_IDEMPOTENCY_KEY="form-8c1") for c in retries], hold=hold)

    assert first["response"].status_code == 201
    assert [r.status_code for r in responses] == [201, 201, 201]
    assert all(r.json() == first["response"].json() for r in responses)
    assert all(r["Idempotent-Replayed"] == "true" for r in responses)
    assert Case.objects.count() == 1 and CaseEvent.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1


def test_simultaneous_intakes_with_one_key_create_one_case_and_a_different_body_is_refused():
    org = build_org()
    body = intake_body(org)
    barrier = threading.Barrier(4)

    def submit(payload):
        client = client_for(org["v1_clerk"])

        def call():
            barrier.wait(10)
            return client.post(CASES, payload, format="json", HTTP_IDEMPOTENCY_KEY="retry-2b")

        return call

    responses = race([submit(body) for _ in range(4)])

    assert [r.status_code for r in responses] == [201] * 4
    assert len({r.json()["id"] for r in responses}) == 1
    assert sorted(r.has_header("Idempotent-Replayed") for r in responses) == [False, True, True, True]
    assert Case.objects.count() == 1
    changed = client_for(org["v1_clerk"]).post(
        CASES, {**body, "title": "改了标题"}, format="json", HTTP_IDEMPOTENCY_KEY="retry-2b"
    )
    assert changed.status_code == 422
    assert Case.objects.count() == 1
