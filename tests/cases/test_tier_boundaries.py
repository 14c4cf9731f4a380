"""Tier boundaries: only the tier that took a case in (or one above it) ends it or moves its lead. A county
window's case delegated down to a village is the village's to handle, not to withdraw or reassign."""

from __future__ import annotations

import pytest

from cases import services
from cases.choices import CaseStatus
from cases.models import Case
from tests.cases.api_helpers import case_url, client_for
from tests.factories import CLASSIFICATION, build_org, take_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def delegated():
    """Taken in at the county window, led by 市场监管局, delegated to the town office, then to the village."""
    org = build_org()
    case = take_in(org, "county", category=org.category, **CLASSIFICATION)
    services.case_assign(actor=org["county_clerk"], case_id=case.pk, lead_department=org.dept("market"))
    services.assignment_accept(actor=org["market_handler"], case_id=case.pk)
    services.case_delegate(
        actor=org["market_head"], case_id=case.pk, department=org.dept("t1_office"), reason="属地办理"
    )
    services.assignment_accept(actor=org["t1_office_handler"], case_id=case.pk)
    services.case_delegate(
        actor=org["t1_office_head"], case_id=case.pk, department=org.dept("v1_committee"), reason="村里落实"
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.ASSIGNED
    return org, case


@pytest.mark.parametrize(
    ("command", "body"),
    [
        ("withdraw", {"reason": "反映人不再需要"}),
        ("reassign", {"lead_department": "v2_committee", "reason": "换一个村"}),
    ],
)
@pytest.mark.parametrize("supervisor", ["v1_supervisor", "t1_supervisor"])
def test_a_lower_tier_that_only_handles_the_case_may_not_end_or_move_it(delegated, command, body, supervisor):
    org, case = delegated
    body = {k: (org.dept(v).pk if k == "lead_department" else v) for k, v in body.items()}
    client = client_for(org[supervisor])
    assert client.get(case_url(case.pk)).status_code == 200  # they see it: it is handled in their subtree
    response = client.post(case_url(case.pk, command), body, format="json")
    assert response.status_code == 403, response.content
    assert command not in client.get(case_url(case.pk, "commands")).json()["allowed_commands"]
    assert Case.objects.get(pk=case.pk).status == CaseStatus.ASSIGNED


def test_the_intake_tier_still_may(delegated):
    org, case = delegated
    client = client_for(org["county_supervisor"])
    assert "reassign" in client.get(case_url(case.pk, "commands")).json()["allowed_commands"]
    response = client.post(
        case_url(case.pk, "reassign"),
        {"lead_department": org.dept("land").pk, "reason": "改由自然资源局主办"},
        format="json",
    )
    assert response.status_code == 200, response.content
