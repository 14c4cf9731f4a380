"""The whole closed loop at the service level, with who-sees-what checked at every step.

village window → escalated to the town → transferred to a county department → returned once with a reason
(the ping-pong guard sends it to the coordination centre) → the centre names a lead and an assisting
department → both sign → progress note → reply → resolve → unsatisfied callback → reopen → resolve →
satisfied callback → close.
"""

import itertools

import pytest

from cases import selectors, services
from cases.choices import AssignmentStatus, CaseStatus, EventKind, HandlingMode, Satisfaction
from cases.models import Assignment, Case, CoordinationMeeting
from tests.factories import CLASSIFICATION, take_in
from windowsvc.errors import NotFound, TransitionNotAllowed

S = CaseStatus
E = EventKind

EVERYONE = [
    "county_clerk", "t1_clerk", "t2_clerk", "v1_clerk", "v1b_clerk", "v2_clerk",
    "county_supervisor", "t1_supervisor", "t2_supervisor", "v1_supervisor",
    "county_admin", "t1_admin", "coordinator",
    "market_head", "market_handler", "land_head", "land_handler", "housing_head", "housing_handler",
    "t1_office_head", "t1_office_handler", "t2_office_head", "v1_committee_head", "v1_committee_handler",
    "v1b_committee_head", "v2_committee_head", "stranger",
]  # fmt: skip

# Who sees the case from the start: the village's own window, every clerk and overseer above it.
ALWAYS = {
    "county_clerk", "t1_clerk", "v1_clerk", "county_supervisor", "t1_supervisor", "v1_supervisor",
    "county_admin", "t1_admin", "coordinator",
}  # fmt: skip


def seen_by(org, case) -> set[str]:
    """The usernames (of EVERYONE) that can see the case, each checked through the selector."""
    result = set()
    for name in EVERYONE:
        try:
            selectors.case_get_visible(user=org[name], case_id=case.pk)
        except NotFound:
            continue
        result.add(name)
    return result


def status(case) -> str:
    case.refresh_from_db()
    return case.status


@pytest.mark.django_db
def test_the_closed_loop_end_to_end(org, settings):
    settings.CASE_PINGPONG_LIMIT = 2
    d = org.dept

    case = take_in(org, "v1")
    assert status(case) == S.REGISTERED
    assert seen_by(org, case) == ALWAYS

    services.case_classify(actor=org["v1_clerk"], case_id=case.pk, category=org.category, **CLASSIFICATION)
    services.case_assign(actor=org["v1_clerk"], case_id=case.pk, lead_department=d("v1_committee"))
    assert status(case) == S.ASSIGNED
    assert seen_by(org, case) == ALWAYS | {"v1_committee_head", "v1_committee_handler"}

    # The village committee cannot do it: escalated to the town office (上报).
    services.case_escalate(
        actor=org["v1_committee_head"], case_id=case.pk, department=d("t1_office"), reason="需街道协调"
    )
    assert status(case) == S.ASSIGNED
    assert case.lead_department == d("t1_office")
    assert case.handling_region_path == org.regions["t1"].path

    # The town signs for it, then transfers it to a county department (转办).
    services.assignment_accept(actor=org["t1_office_handler"], case_id=case.pk)
    assert status(case) == S.IN_PROGRESS
    services.case_transfer(
        actor=org["t1_office_head"], case_id=case.pk, department=d("market"), reason="属县级职权"
    )
    assert status(case) == S.ASSIGNED
    assert case.handling_region_path == org.regions["county"].path
    assert seen_by(org, case) == ALWAYS | {
        "v1_committee_head", "v1_committee_handler", "t1_office_head", "t1_office_handler",
        "market_head", "market_handler",
    }  # fmt: skip

    # The county department returns it once, with a reason: 2 moves + 1 return > 2 → coordination centre.
    event = services.assignment_return(actor=org["market_head"], case_id=case.pk, reason="不属于市场监管职责")
    assert status(case) == S.COORDINATING
    assert event.payload["pingpong_guard"] is True
    assert (case.return_count, case.transfer_count, case.lead_department) == (1, 2, None)

    # The coordination centre meets and names the lead (自然资源局) with an assisting department (住建局).
    services.case_coordinate(
        actor=org["coordinator"],
        case_id=case.pk,
        lead_department=d("land"),
        assisting_departments=[d("housing")],
        participants=[d("market")],
        decisions="自然资源局牵头办理，住建局配合",
        handling_mode=HandlingMode.COORDINATED,
    )
    assert status(case) == S.ASSIGNED
    meeting = CoordinationMeeting.objects.get(case=case)
    assert set(meeting.departments.all()) == {d("land"), d("housing"), d("market")}
    assert not Assignment.objects.filter(case=case, is_current=True, can_return=True).exists()

    services.assignment_accept(actor=org["land_handler"], case_id=case.pk)
    assert status(case) == S.IN_PROGRESS
    services.assignment_accept(actor=org["housing_handler"], case_id=case.pk)
    assert status(case) == S.IN_PROGRESS
    # The named lead can no longer hand it back.
    with pytest.raises(TransitionNotAllowed):
        services.assignment_return(actor=org["land_head"], case_id=case.pk, reason="再退一次")

    services.case_note(
        actor=org["land_handler"], case_id=case.pk, text="已电话联系申请人", contacted_requester=True
    )
    services.case_reply(actor=org["land_handler"], case_id=case.pk, answer="已明确办理路径，五个工作日内办结")
    assert status(case) == S.REPLIED
    services.case_resolve(actor=org["land_handler"], case_id=case.pk, summary="已完成用地手续")
    assert status(case) == S.RESOLVED

    services.case_callback(
        actor=org["v1_clerk"], case_id=case.pk, satisfaction=Satisfaction.UNSATISFIED, comment="证书仍未拿到"
    )
    with pytest.raises(TransitionNotAllowed):
        services.case_close(actor=org["v1_clerk"], case_id=case.pk)
    services.case_reopen(actor=org["v1_clerk"], case_id=case.pk, reason="申请人不满意：证书未拿到")
    assert status(case) == S.IN_PROGRESS  # straight back to the same lead: no second sign-for
    assert case.lead_department == d("land")  # the same lead
    assert case.reopen_count == 1

    services.case_resolve(actor=org["land_handler"], case_id=case.pk, summary="证书已发放")
    services.case_callback(actor=org["v1_clerk"], case_id=case.pk, satisfaction=Satisfaction.SATISFIED)
    services.case_close(actor=org["v1_clerk"], case_id=case.pk)
    assert status(case) == S.CLOSED
    assert case.closed_at is not None and case.first_contacted_at is not None

    # Everyone who ever held an assignment still sees it; siblings, other departments and strangers do not.
    assert seen_by(org, case) == ALWAYS | {
        "v1_committee_head", "v1_committee_handler", "t1_office_head", "t1_office_handler",
        "market_head", "market_handler", "land_head", "land_handler", "housing_head", "housing_handler",
    }  # fmt: skip

    timeline = list(selectors.case_timeline(user=org["v1_clerk"], case_id=case.pk))
    assert [e.kind for e in timeline] == [
        E.INTAKE, E.CLASSIFY, E.ASSIGN, E.ESCALATE, E.ACCEPT, E.TRANSFER, E.RETURN, E.COORDINATE,
        E.ACCEPT, E.ACCEPT, E.NOTE, E.REPLY, E.RESOLVE, E.CALLBACK, E.REOPEN, E.RESOLVE,
        E.CALLBACK, E.CLOSE,
    ]  # fmt: skip
    assert [e.sequence for e in timeline] == list(range(1, len(timeline) + 1))
    assert Case.objects.get(pk=case.pk).version == len(timeline)
    # Each event chains from the previous one's status.
    for previous, event in itertools.pairwise(timeline):
        assert event.from_status == previous.to_status
    public = [
        e.kind for e in selectors.case_timeline(user=org["v1_clerk"], case_id=case.pk, public_only=True)
    ]
    assert public == [
        E.INTAKE, E.ASSIGN, E.ACCEPT, E.COORDINATE, E.ACCEPT, E.ACCEPT, E.REPLY, E.RESOLVE, E.REOPEN,
        E.RESOLVE, E.CLOSE,
    ]  # fmt: skip

    # Rankings: who passed the case on, per department.
    counts = {row["department_id"]: row for row in selectors.department_bounce_counts()}
    assert counts[d("v1_committee").pk]["transferred"] == 1
    assert counts[d("t1_office").pk]["transferred"] == 1
    assert counts[d("market").pk]["returned"] == 1
    assert d("land").pk not in counts
    land = Assignment.objects.filter(case=case, department=d("land")).order_by("pk")
    assert [a.status for a in land] == [AssignmentStatus.COMPLETED, AssignmentStatus.COMPLETED]
