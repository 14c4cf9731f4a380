"""The whole closed loop through the HTTP API alone, with who-sees-what checked at every step.

village window → escalated to the town → transferred to a county department → returned once with a reason
(the ping-pong guard sends it to the coordination centre) → the centre names a lead and an assisting
department → both sign → progress note → reply → resolve → unsatisfied callback → reopen (straight back to the
same lead, no second sign-for) → resolve → satisfied callback → close. Nothing here calls a service: every step is a request.
"""

from __future__ import annotations

import itertools

import pytest

from cases.choices import CaseStatus, EventKind

from .api_helpers import CASES, case_url, client_for, intake_body, sees

pytestmark = pytest.mark.django_db

S = CaseStatus
E = EventKind

# Who is asked "do you see it?" at every step: every tier, siblings, departments inside and outside the loop.
OBSERVERS = [
    "county_clerk", "t1_clerk", "t2_clerk", "v1_clerk", "v1b_clerk", "v2_clerk",
    "county_supervisor", "t1_supervisor", "t2_supervisor", "v1_supervisor", "county_admin", "t1_admin",
    "coordinator", "v1_committee_head", "v1b_committee_head", "v2_committee_head", "t1_office_head",
    "t2_office_handler", "market_head", "land_handler", "housing_head", "stranger",
]  # fmt: skip

# From intake on: the village window, the clerks and overseers above it (never beside it).
ALWAYS = {
    "county_clerk", "t1_clerk", "v1_clerk", "county_supervisor", "t1_supervisor", "v1_supervisor",
    "county_admin", "t1_admin", "coordinator",
}  # fmt: skip


def test_the_closed_loop_through_the_api(org, settings):
    settings.CASE_PINGPONG_LIMIT = 2
    clients = {name: client_for(org[name]) for name in {*OBSERVERS, "land_head", "housing_handler"}}
    d = org.dept
    commands_run: list[str] = []

    def seen_by(case_id) -> set[str]:
        return {name for name in OBSERVERS if sees(clients[name], case_id)}

    def run(user, command, body=None, *, expect=None):
        response = clients[user].post(case_url(case_id, command), body or {}, format="json")
        assert response.status_code == 200, (user, command, response.content)
        result = response.json()
        assert result["event"]["kind"] == command
        assert result["event"]["actor"]["username"] == user
        if expect is not None:
            assert result["status"] == expect, (command, result["status"])
        commands_run.append(command)
        return result

    # 受理登记 at the village window, not yet classified.
    response = clients["v1_clerk"].post(CASES, intake_body(org, "v1", classified=False), format="json")
    assert response.status_code == 201, response.content
    case_id = response.json()["id"]
    commands_run.append(E.INTAKE)
    assert seen_by(case_id) == ALWAYS

    run(
        "v1_clerk",
        E.CLASSIFY,
        {
            "category": org.category.pk,
            "matter_kind": "difficult",
            "complexity": "general",
            "handling_mode": "standard",
        },
        expect=S.ROUTING,
    )
    run("v1_clerk", E.ASSIGN, {"lead_department": d("v1_committee").pk}, expect=S.ASSIGNED)
    assert seen_by(case_id) == ALWAYS | {"v1_committee_head"}

    # The village committee cannot do it: escalated to the town office (上报).
    run(
        "v1_committee_head",
        E.ESCALATE,
        {"department": d("t1_office").pk, "reason": "需街道协调"},
        expect=S.ASSIGNED,
    )
    assert seen_by(case_id) == ALWAYS | {"v1_committee_head", "t1_office_head"}
    queue = clients["t1_office_head"].get("/api/v1/assignments/", {"queue": "to_sign"}).json()["results"]
    assert [row["case"]["id"] for row in queue] == [case_id]

    # The town passes it to a county department (转办).
    run(
        "t1_office_head",
        E.TRANSFER,
        {"department": d("market").pk, "reason": "属县级职权"},
        expect=S.ASSIGNED,
    )
    assert seen_by(case_id) == ALWAYS | {"v1_committee_head", "t1_office_head", "market_head"}

    # The county department returns it once, with a reason: 2 moves + 1 return > 2 → coordination centre.
    returned = run("market_head", E.RETURN, {"reason": "不属于市场监管职责"}, expect=S.COORDINATING)
    assert returned["event"]["reason"] == "不属于市场监管职责"
    assert returned["event"]["payload"]["pingpong_guard"] is True
    assert (
        "coordinate" in clients["coordinator"].get(case_url(case_id, "commands")).json()["allowed_commands"]
    )
    assert "assign" not in clients["v1_clerk"].get(case_url(case_id, "commands")).json()["allowed_commands"]
    detail = clients["county_supervisor"].get(case_url(case_id)).json()
    assert (detail["return_count"], detail["transfer_count"], detail["lead_department"]) == (1, 2, None)

    # The coordination centre names the lead (自然资源局) with an assisting department (住建局).
    run(
        "coordinator",
        E.COORDINATE,
        {
            "lead_department": d("land").pk,
            "assisting_departments": [d("housing").pk],
            "participants": [d("market").pk],
            "decisions": "自然资源局牵头办理，住建局配合",
        },
        expect=S.ASSIGNED,
    )
    seen = ALWAYS | {"v1_committee_head", "t1_office_head", "market_head", "land_handler", "housing_head"}
    assert seen_by(case_id) == seen

    run("land_handler", E.ACCEPT, expect=S.IN_PROGRESS)
    run("housing_handler", E.ACCEPT, expect=S.IN_PROGRESS)
    # The lead the centre named can no longer hand it back.
    refused = clients["land_head"].post(case_url(case_id, "return"), {"reason": "再退一次"}, format="json")
    assert refused.status_code == 409
    assert "return" not in refused.json()["allowed_commands"]

    run(
        "land_handler",
        E.NOTE,
        {"text": "已电话联系申请人", "contacted_requester": True},
        expect=S.IN_PROGRESS,
    )
    run("land_handler", E.REPLY, {"answer": "已明确办理路径，五个工作日内办结"}, expect=S.REPLIED)
    run("land_handler", E.RESOLVE, {"summary": "已完成用地手续"}, expect=S.RESOLVED)
    run("v1_clerk", E.CALLBACK, {"satisfaction": "unsatisfied", "comment": "证书仍未拿到"}, expect=S.RESOLVED)
    # Not closable after an unsatisfied callback (except by a supervisor's override).
    assert clients["v1_clerk"].post(case_url(case_id, "close"), {}, format="json").status_code == 409
    reopened = run("v1_clerk", E.REOPEN, {"reason": "申请人不满意：证书未拿到"}, expect=S.IN_PROGRESS)
    assert reopened["event"]["payload"]["lead_department"] == d("land").pk  # the same lead
    run("land_handler", E.RESOLVE, {"summary": "证书已发放"}, expect=S.RESOLVED)
    run("v1_clerk", E.CALLBACK, {"satisfaction": "satisfied"}, expect=S.RESOLVED)
    closed = run("v1_clerk", E.CLOSE, expect=S.CLOSED)
    assert closed["allowed_commands"] == []
    assert seen_by(case_id) == seen

    # The timeline: one event per command, in order, each chaining from the previous status.
    timeline = clients["v1_clerk"].get(case_url(case_id, "events")).json()
    assert [event["kind"] for event in timeline] == commands_run == [
        E.INTAKE, E.CLASSIFY, E.ASSIGN, E.ESCALATE, E.TRANSFER, E.RETURN, E.COORDINATE, E.ACCEPT, E.ACCEPT,
        E.NOTE, E.REPLY, E.RESOLVE, E.CALLBACK, E.REOPEN, E.RESOLVE, E.CALLBACK, E.CLOSE,
    ]  # fmt: skip
    assert [event["sequence"] for event in timeline] == list(range(1, len(timeline) + 1))
    for previous, event in itertools.pairwise(timeline):
        assert event["from_status"] == previous["to_status"]
    assert [
        e["department"]["id"] if e["department"] else None for e in timeline if e["kind"] == E.ACCEPT
    ] == [
        d("land").pk,
        d("housing").pk,
    ]
    # Who could read the timeline at the end is who could see the case.
    for name in OBSERVERS:
        expected = 200 if name in seen else 404
        assert clients[name].get(case_url(case_id, "events")).status_code == expected, name

    final = clients["v1_clerk"].get(case_url(case_id)).json()
    assert (final["status"], final["version"], final["reopen_count"]) == (S.CLOSED, len(timeline), 1)
    assert final["callback_satisfaction"] == "satisfied"
    assert final["first_contacted_at"] is not None and final["closed_at"] is not None
