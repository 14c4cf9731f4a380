"""Query counts pinned (issue 17): what a request costs must not grow with the data behind it.

Every role's case list (page and API) and the home page's worklist cost the same number of queries with 3
and with 30 past assignments of the department; intake through the API costs a fixed number. The counts
include the request's own (session, user, the user's memberships), on PostgreSQL.
"""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.choices import CaseStatus
from cases.models import Assignment, DepartmentCase
from tests.cases.api_helpers import CASES, client_for, intake_body
from tests.cases.states import drive

S = CaseStatus

ROLES = ["v1_clerk", "t1_office_handler", "land_head", "t1_supervisor", "county_supervisor", "coordinator"]
# API: session, user, memberships (scope), the capped count, one page of rows with their requesters, then
# the page's windows, regions, lead departments and categories by id (4: ``cases.selectors.with_list_rows``);
# the page also reads the filter form's choices (2). The worklist: its sections per role the user holds, and
# the same four lookups for a section with rows.
EXPECTED = {
    "v1_clerk": {"api": 9, "page": 11, "worklist": 17},
    "t1_office_handler": {"api": 9, "page": 11, "worklist": 9},
    "land_head": {"api": 9, "page": 11, "worklist": 9},
    "t1_supervisor": {"api": 9, "page": 11, "worklist": 12},
    "county_supervisor": {"api": 9, "page": 11, "worklist": 12},
    "coordinator": {"api": 9, "page": 11, "worklist": 6},
}


def _costs(org) -> dict[tuple[str, str], int]:
    costs = {}
    for username in ROLES:
        client = client_for(org[username])
        for label, url in (("api", CASES), ("page", reverse("cases:list")), ("worklist", "/")):
            client.get(url)  # the first request of the minute also refreshes the session's idle expiry
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            assert response.status_code == 200, (username, url, response.status_code)
            costs[(username, label)] = len(queries)
    return costs


def _past_assignments(org, count: int) -> None:
    """``count`` resolved cases: each leaves a completed (past) assignment of the t1 office and the land
    bureau."""
    for _ in range(count):
        drive(org, S.RESOLVED)


def test_lists_and_worklist_cost_the_same_with_3_and_30_past_assignments(org):
    _past_assignments(org, 3)
    drive(org, S.IN_PROGRESS)
    few = _costs(org)
    _past_assignments(org, 27)
    assert Assignment.objects.filter(department=org.dept("t1_office"), is_current=False).count() == 30
    many = _costs(org)
    assert few == {(user, label): n for user, counts in EXPECTED.items() for label, n in counts.items()}
    assert many == few


def test_department_access_rows_follow_the_assignments(org):
    """One ``DepartmentCase`` per department ever assigned, whatever came and went."""
    case = drive(org, S.RESOLVED)
    pairs = set(Assignment.objects.filter(case=case).values_list("department_id", "case_id"))
    assert set(DepartmentCase.objects.filter(case=case).values_list("department_id", "case_id")) == pairs
    assert set(DepartmentCase.objects.filter(case=case).values_list("taken_in_at", flat=True)) == {
        case.taken_in_at
    }


# Reads: session and user (a token request: one, the token with its user), the window with the clerk check
# (one query; not cached, so a membership taken away counts at once), the tracking number (its own short
# transaction, so windows do not wait for each other). Categories, SLA policies and message templates come
# from per-process caches (windowsvc/refcache.py). Writes, one statement each, none read back: the
# idempotency record (the lock against a concurrent duplicate), the requester, the case, its timers (one
# multi-row insert), its event, the receipt SMS, the region-day rollups (one upsert), the case fact; the
# library's check for 按此案例办理 choices made under this key; the idempotency record's answer.
# Not the target of 8: each remaining statement writes a different table or holds a lock the
# others need, and folding them into one multi-statement SQL would bypass the models (encrypted fields,
# the event's hash) that the one-home rules keep in one place. Pinned so that it only goes down.
INTAKE_QUERIES = 14
# session, user, window with clerk check, tracking number (drawn before the key is known), the record's
# insert that finds the key taken, the record with the case, window, region and requester it answers.
REPLAY_QUERIES = 6


def test_intake_through_the_api_costs_a_fixed_number_of_queries(org):
    clerk = client_for(org["v1_clerk"])
    clerk.get(CASES)
    assert clerk.post(CASES, intake_body(org), format="json", HTTP_IDEMPOTENCY_KEY="a").status_code == 201
    counts = []
    body = intake_body(org)
    for key in ("b", "c"):
        with CaptureQueriesContext(connection) as queries:
            response = clerk.post(CASES, body, format="json", HTTP_IDEMPOTENCY_KEY=key)
        assert response.status_code == 201
        # The test's transaction turns the intake's into savepoints; in production they are BEGIN/COMMIT.
        counts.append(len([q for q in queries if "SAVEPOINT" not in q["sql"]]))
    assert counts == [INTAKE_QUERIES, INTAKE_QUERIES]
    # The replay answers from the idempotency record.
    with CaptureQueriesContext(connection) as queries:
        replay = clerk.post(CASES, body, format="json", HTTP_IDEMPOTENCY_KEY="c")
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    assert len([q for q in queries if "SAVEPOINT" not in q["sql"]]) == REPLAY_QUERIES
