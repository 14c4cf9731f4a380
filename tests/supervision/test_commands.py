"""催办 (urge) and 督办 (supervise) as workflow commands: one event each, no status change, supervisors of
the case only, only while a department holds the case; and the supervision API's endpoints for them."""

from __future__ import annotations

from datetime import datetime

import pytest
from rest_framework.test import APIClient

from cases import services, workflow
from cases.choices import CaseStatus, SweepEventKind
from cases.models import CaseEvent
from supervision import services as supervision_services
from tests.cases.states import drive
from windowsvc.errors import NotFound, PermissionDenied, TransitionNotAllowed, ValidationFailed

from .scenarios import at, routed_case, travel

pytestmark = pytest.mark.django_db

S = CaseStatus
HOLDING = (S.ASSIGNED, S.IN_PROGRESS, S.SUSPENDED, S.REPLIED)


@pytest.mark.parametrize("status", list(S))
@pytest.mark.parametrize("command", ["urge", "supervise"])
def test_allowed_exactly_while_a_department_holds_the_case(org, status, command):
    case = drive(org, status)
    events = CaseEvent.objects.filter(case=case).count()
    run = services.case_urge if command == "urge" else services.case_supervise
    if status in HOLDING:
        event = run(actor=org["county_supervisor"], case_id=case.pk, reason="请加快办理")
        case.refresh_from_db()
        assert (event.kind, event.from_status, event.to_status, case.status) == (
            command,
            status,
            status,
            status,
        )
        assert case.version == events + 1 == event.sequence
        assert event.actor == org["county_supervisor"]
    else:
        with pytest.raises(TransitionNotAllowed):
            run(actor=org["county_supervisor"], case_id=case.pk, reason="请加快办理")
        assert CaseEvent.objects.filter(case=case).count() == events


@pytest.mark.parametrize("username", ["v1_clerk", "t1_office_head", "t1_office_handler", "coordinator"])
def test_only_supervisors_may(org, username):
    case = drive(org, S.IN_PROGRESS)
    with pytest.raises(PermissionDenied):
        services.case_supervise(actor=org[username], case_id=case.pk, reason="督办")
    assert "supervise" not in workflow.allowed_commands(case, org[username])


def test_a_supervisor_of_another_subtree_does_not_see_the_case(org):
    case = drive(org, S.IN_PROGRESS)
    with pytest.raises(NotFound):
        services.case_urge(actor=org["t2_supervisor"], case_id=case.pk, reason="催办")


def test_supervise_records_its_own_deadline_and_the_department(org):
    case = routed_case(org, when="2026-03-02 09:00")
    with travel("2026-03-11 10:00"):
        event = services.case_supervise(
            actor=org["t1_supervisor"], case_id=case.pk, reason="限期办结", days=2
        )
    assert event.department == org.dept("t1_office")
    # Two working days after Wednesday 03-11: close of business on Friday 03-13.
    assert datetime.fromisoformat(event.payload["due_at"]) == at("2026-03-13 17:30")
    with pytest.raises(ValidationFailed):
        services.case_supervise(actor=org["t1_supervisor"], case_id=case.pk, reason="")


def test_the_case_page_offers_both_to_its_supervisor(client, org):
    case = drive(org, S.IN_PROGRESS)
    client.force_login(org["t1_supervisor"])
    html = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-command="urge"' in html and 'data-command="supervise"' in html
    client.force_login(org["v1_clerk"])
    assert 'data-command="supervise"' not in client.get(f"/cases/{case.pk}/").content.decode()


def test_department_action_skips_cases_that_changed(org):
    first = routed_case(org, when="2026-03-02 09:00")
    second = routed_case(org, when="2026-03-02 09:00")
    with travel("2026-03-20 12:00"):
        result = supervision_services.department_overdue_action(
            actor=org["county_supervisor"],
            department_id=org.dept("t1_office").pk,
            action="supervise",
            reason="集中督办",
        )
    assert sorted(e.case_id for e in result.events) == sorted([first.pk, second.pk])
    assert result.refused == []
    with pytest.raises(NotFound):
        supervision_services.department_overdue_action(
            actor=org["t1_supervisor"], department_id=org.dept("t2_office").pk, action="urge", reason="催办"
        )


# --- The supervision API ----------------------------------------------------------------------------------


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_api_urge_and_supervise(org):
    case = routed_case(org, when="2026-03-02 09:00")
    url = f"/api/v1/supervision/cases/{case.pk}/"
    with travel("2026-03-20 12:00"):
        ok = api(org["county_supervisor"]).post(
            url + "supervise/", {"reason": "督办", "days": 3}, format="json"
        )
        assert ok.status_code == 200
        assert ok.json()["kind"] == SweepEventKind.SUPERVISE
        assert api(org["county_supervisor"]).post(url + "urge/", {}, format="json").status_code == 400
        assert (
            api(org["t2_supervisor"]).post(url + "urge/", {"reason": "x"}, format="json").status_code == 404
        )
        assert api(org["v1_clerk"]).post(url + "urge/", {"reason": "x"}, format="json").status_code == 403
        # The cases API has the same commands.
        cases_api = api(org["county_supervisor"]).post(
            f"/api/v1/cases/{case.pk}/urge/", {"reason": "催办"}, format="json"
        )
        assert cases_api.status_code == 200
    closed = drive(org, S.CLOSED)
    refused = api(org["county_supervisor"]).post(
        f"/api/v1/supervision/cases/{closed.pk}/urge/", {"reason": "x"}, format="json"
    )
    assert refused.status_code == 409


def test_api_reads(org):
    case = routed_case(org, when="2026-03-02 09:00")
    client = api(org["county_supervisor"])
    with travel("2026-03-20 12:00"):
        dashboard = client.get("/api/v1/supervision/dashboard/").json()
        assert dashboard["region"]["code"] == "330681"
        assert dashboard["by_light"]["red"] == 1 and dashboard["open"] == 1
        overdue = client.get("/api/v1/supervision/overdue/").json()
        assert [row["id"] for row in overdue["results"]] == [case.pk]
        assert overdue["results"][0]["days_overdue"] == 8 and overdue["results"][0]["light"] == "red"
        departments = client.get("/api/v1/supervision/departments/", {"period": "2026-03"}).json()
        office = next(row for row in departments if row["department"]["code"] == "D-t1_office")
        assert (office["late"], office["overdue_now"]) == (1, 1)
        rankings = client.get("/api/v1/supervision/rankings/", {"month": "2026-03"}).json()
        assert {tier["tier"] for tier in rankings} == {"county", "town", "village"}
        assert (
            api(org["t1_supervisor"]).get("/api/v1/supervision/dashboard/", {"region": "330681"}).status_code
            == 404
        )
        assert api(org["v1_clerk"]).get("/api/v1/supervision/dashboard/").status_code == 403
        assert APIClient().get("/api/v1/supervision/dashboard/").status_code in (401, 403)


def test_urges_are_limited_per_case_per_local_day(org, settings):
    """Two 催办 per case per local day (CASE_URGE_LIMIT_PER_DAY), by whichever supervisors: the third is a
    409 through the API and leaves no event; the ladder's own urges do not count; the next day resets."""
    settings.CASE_URGE_LIMIT_PER_DAY = 2
    case = routed_case(org, when="2026-03-02 09:00")
    url = f"/api/v1/supervision/cases/{case.pk}/urge/"
    with travel("2026-03-10 08:30"):
        # The deadline ladder urged first (no actor): not the supervisors' budget.
        CaseEvent.objects.create(
            case=case, sequence=case.version + 1, kind=SweepEventKind.URGE, to_status=case.status
        )
        case.version += 1
        case.save(update_fields=["version"])
        assert api(org["county_supervisor"]).post(url, {"reason": "催办一"}, format="json").status_code == 200
        assert api(org["t1_supervisor"]).post(url, {"reason": "催办二"}, format="json").status_code == 200
        events = CaseEvent.objects.filter(case=case).count()
        third = api(org["county_supervisor"]).post(url, {"reason": "催办三"}, format="json")
        assert third.status_code == 409
        assert "每日上限" in str(third.json())
        assert CaseEvent.objects.filter(case=case).count() == events
        assert "urge" not in workflow.allowed_commands(case, org["county_supervisor"])
        # 督办 is the stronger step and stays open.
        assert "supervise" in workflow.allowed_commands(case, org["county_supervisor"])
    # 23:59 is still the same local day; after midnight in Asia/Shanghai the budget is new.
    with travel("2026-03-10 23:59"):
        assert api(org["county_supervisor"]).post(url, {"reason": "催办"}, format="json").status_code == 409
    with travel("2026-03-11 00:01"):
        assert api(org["county_supervisor"]).post(url, {"reason": "催办"}, format="json").status_code == 200
