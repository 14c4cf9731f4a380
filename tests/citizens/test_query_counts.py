"""Query counts of the citizens' status lookup (issue 17): a hit, a miss and a wrong secret each cost one
indexed query (the case's columns with its public timeline aggregated), whatever the case's history."""

from __future__ import annotations

from cases import services
from cases.choices import CaseStatus
from tests.cases.states import drive

from .helpers import lookup


def test_a_lookup_costs_one_query_on_a_hit_and_on_a_miss(client, org, django_assert_num_queries):
    case = drive(org, CaseStatus.IN_PROGRESS)
    with django_assert_num_queries(1):
        assert (
            lookup(client, tracking_number=case.tracking_number, query_code=case.query_code).status_code
            == 200
        )
    for _ in range(5):
        services.case_note(actor=org["t1_office_handler"], case_id=case.pk, text="已联系反映人")
    with django_assert_num_queries(1):
        assert (
            lookup(client, tracking_number=case.tracking_number, query_code=case.query_code).status_code
            == 200
        )
    with django_assert_num_queries(1):
        assert lookup(client, tracking_number=case.tracking_number, query_code="WRONGCOD").status_code == 404
