"""``Case.objects.visible_to(user)``: each role at each tier against its own subtree, a sibling's and the
parent's; department staff against other departments' cases; one SQL query, no duplicate rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import services
from cases.models import Case
from routing.scoping import scope_for
from tests.factories import CLASSIFICATION, take_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(org):
    """One case per window; v2's case is routed to the t1 office (handled in a sibling town)."""
    made = {
        where: take_in(org, where, title=f"{where}的事项") for where in ("county", "t1", "v1", "v1b", "v2")
    }
    for where, lead in (("v1", "market"), ("v2", "t1_office")):
        services.case_classify(
            actor=org[f"{where}_clerk"], case_id=made[where].pk, category=org.category, **CLASSIFICATION
        )
        services.case_assign(
            actor=org[f"{where}_clerk"], case_id=made[where].pk, lead_department=org.dept(lead)
        )
    return made


EXPECTED = {
    "root": {"county", "t1", "v1", "v1b", "v2"},
    # Region roles see their subtree, by where it was taken in or where it is handled now.
    "county_supervisor": {"county", "t1", "v1", "v1b", "v2"},
    "county_admin": {"county", "t1", "v1", "v1b", "v2"},
    "coordinator": {"county", "t1", "v1", "v1b", "v2"},
    "t1_supervisor": {"t1", "v1", "v1b", "v2"},  # v2 is handled by the t1 office
    "t1_admin": {"t1", "v1", "v1b", "v2"},
    "t2_supervisor": {"v2"},
    "v1_supervisor": {"v1"},
    # Clerks see what windows in their subtree took in.
    "county_clerk": {"county", "t1", "v1", "v1b", "v2"},
    "t1_clerk": {"t1", "v1", "v1b"},
    "t2_clerk": {"v2"},
    "v1_clerk": {"v1"},
    "v1b_clerk": {"v1b"},
    "v2_clerk": {"v2"},
    # Department staff see what is assigned to their department.
    "market_head": {"v1"},
    "market_handler": {"v1"},
    "t1_office_head": {"v2"},
    "t1_office_handler": {"v2"},
    "housing_head": set(),
    "v1_committee_head": set(),
    "t2_office_head": set(),
    "stranger": set(),
}


@pytest.mark.parametrize("username", sorted(EXPECTED))
def test_visible_to_per_role_and_tier(org, cases, username):
    by_pk = {case.pk: where for where, case in cases.items()}
    seen = {by_pk[pk] for pk in Case.objects.visible_to(org[username]).values_list("pk", flat=True)}
    assert seen == EXPECTED[username]


def test_anonymous_and_inactive_users_see_nothing(org, cases):
    from django.contrib.auth.models import AnonymousUser

    assert not Case.objects.visible_to(AnonymousUser()).exists()
    supervisor = org["county_supervisor"]
    supervisor.is_active = False
    supervisor.save(update_fields=["is_active"])
    supervisor.refresh_from_db()
    assert not Case.objects.visible_to(supervisor).exists()


def test_past_assignments_keep_the_case_visible_without_duplicates(org, cases):
    case = cases["v1"]
    services.assignment_return(actor=org["market_head"], case_id=case.pk, reason="不属本局")
    services.case_assign(actor=org["v1_clerk"], case_id=case.pk, lead_department=org.dept("market"))
    services.assignment_return(actor=org["market_head"], case_id=case.pk, reason="仍不属本局")
    assert case.assignments.filter(department=org.dept("market")).count() == 2
    assert list(Case.objects.visible_to(org["market_head"])) == [case]


def test_visible_to_is_one_query_with_exists_and_no_join(org, cases):
    user = org["market_head"]
    scope_for(user)  # the scope is computed once per request and cached on the user
    with CaptureQueriesContext(connection) as queries:
        rows = list(Case.objects.visible_to(user))
    assert len(rows) == 1 and len(queries) == 1
    sql = queries[0]["sql"].upper()
    assert "EXISTS" in sql and "JOIN" not in sql
