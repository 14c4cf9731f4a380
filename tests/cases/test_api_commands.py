"""Every command endpoint (/api/v1/cases/{id}/{command}/): success, 404 out of scope (the same body as a
missing case, whatever was sent), 409 in a wrong state (whatever was sent), 400 for missing or malformed
required fields — and nothing written when refused.

Cases come from ``tests/cases/states.drive``: taken in at the v1 village window, routed to the t1 town
office as lead with the county 自然资源局 assisting.
"""

from __future__ import annotations

import pytest
from django.db import transaction

from cases import services
from cases.choices import CaseStatus, EventKind
from cases.models import Case, CaseEvent
from tests.factories import build_org

from .api_helpers import MISSING_PK, case_url, client_for
from .states import drive

S = CaseStatus
E = EventKind


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """One organisation for the whole module, rolled back at its end; each test runs in a savepoint."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_org()
        transaction.set_rollback(True)


def table(org) -> dict[str, dict]:
    """Per command: a state that allows it, the actor, a valid body, the resulting state; a state that does
    not allow it; and an invalid body with the fields its errors name."""
    d = org.dept
    classification = {
        "category": org.category.pk,
        "matter_kind": "difficult",
        "complexity": "general",
        "handling_mode": "standard",
    }
    return {
        E.NOT_ACCEPT: dict(state=S.REGISTERED, actor="v1_clerk", body={"reason": "属于诉讼事项", "guidance": "请向法院起诉"},
                           to=S.NOT_ACCEPTED, wrong=S.IN_PROGRESS, invalid={}, fields={"reason", "guidance"}),
        E.WITHDRAW: dict(state=S.REGISTERED, actor="v1_clerk", body={"reason": "已自行解决"}, to=S.WITHDRAWN,
                         wrong=S.RESOLVED, invalid={"reason": ""}, fields={"reason"}),
        E.CLASSIFY: dict(state=S.REGISTERED, actor="v1_clerk", body=classification, to=S.ROUTING, wrong=S.ROUTING,
                         invalid={"category": "市场", "matter_kind": "whatever"},
                         fields={"category", "matter_kind", "complexity", "handling_mode"}),
        E.RECLASSIFY: dict(state=S.ROUTING, actor="county_supervisor", body={"complexity": "complex", "reason": "涉及多部门"},
                           to=S.ROUTING, wrong=S.REGISTERED, invalid={"complexity": "complex"}, fields={"reason"}),
        E.ASSIGN: dict(state=S.ROUTING, actor="v1_clerk", body={"lead_department": d("market").pk}, to=S.ASSIGNED,
                       wrong=S.ASSIGNED, invalid={"lead_department": "市场监管局", "assisting_departments": "land"},
                       fields={"lead_department", "assisting_departments"}),
        E.ACCEPT: dict(state=S.ASSIGNED, actor="t1_office_handler", body={}, to=S.IN_PROGRESS, wrong=S.REGISTERED,
                       invalid={"assignment": "the lead one"}, fields={"assignment"}),
        E.RETURN: dict(state=S.ASSIGNED, actor="t1_office_head", body={"reason": "不属于本单位职责"}, to=S.ROUTING,
                       wrong=S.REPLIED, invalid={}, fields={"reason"}),
        E.TRANSFER: dict(state=S.ASSIGNED, actor="t1_office_head", body={"department": d("t2_office").pk, "reason": "属地"},
                         to=S.ASSIGNED, wrong=S.REGISTERED, invalid={}, fields={"department", "reason"}),
        E.ESCALATE: dict(state=S.ASSIGNED, actor="t1_office_head", body={"department": d("market").pk, "reason": "需县级"},
                         to=S.ASSIGNED, wrong=S.REPLIED, invalid={"department": 0}, fields={"department", "reason"}),
        E.DELEGATE: dict(state=S.ASSIGNED, actor="t1_office_head", body={"department": d("v1b_committee").pk, "reason": "社区办"},
                         to=S.ASSIGNED, wrong=S.SUSPENDED, invalid={"reason": "社区办"}, fields={"department"}),
        E.COORDINATE: dict(state=S.ASSIGNED, actor="coordinator", body={"lead_department": d("housing").pk, "decisions": "住建局牵头"},
                           to=S.ASSIGNED, wrong=S.REGISTERED, invalid={"participants": ["x"]},
                           fields={"lead_department", "decisions", "participants"}),
        E.REASSIGN: dict(state=S.ASSIGNED, actor="county_supervisor", body={"lead_department": d("housing").pk, "reason": "督办改派"},
                         to=S.ASSIGNED, wrong=S.ROUTING, invalid={}, fields={"lead_department", "reason"}),
        E.NOTE: dict(state=S.ASSIGNED, actor="v1_clerk", body={"text": "申请人来电询问进度"}, to=S.ASSIGNED,
                     wrong=S.WITHDRAWN, invalid={"text": "  "}, fields={"text"}),
        E.SUSPEND: dict(state=S.IN_PROGRESS, actor="t1_office_handler",
                        body={"reason": "等待补充材料", "reason_code": "awaiting_materials"}, to=S.SUSPENDED,
                        wrong=S.ASSIGNED, invalid={"reason_code": "no-such-reason"}, fields={"reason"}),
        E.RESUME: dict(state=S.SUSPENDED, actor="t1_office_handler", body={"reason": "材料已补齐"}, to=S.IN_PROGRESS,
                       wrong=S.IN_PROGRESS, invalid={}, fields={"reason"}),
        E.REPLY: dict(state=S.IN_PROGRESS, actor="t1_office_handler", body={"answer": "已答复办理方案"}, to=S.REPLIED,
                      wrong=S.ASSIGNED, invalid={"can_be_done": "maybe"}, fields={"answer", "can_be_done"}),
        E.RESOLVE: dict(state=S.IN_PROGRESS, actor="t1_office_handler", body={"summary": "已办结"}, to=S.RESOLVED,
                        wrong=S.SUSPENDED, invalid={"evidence": [MISSING_PK]}, fields={"summary"}),
        E.CALLBACK: dict(state=S.RESOLVED, actor="v1_clerk", body={"satisfaction": "satisfied"}, to=S.RESOLVED,
                         wrong=S.IN_PROGRESS, invalid={"satisfaction": "so-so"}, fields={"satisfaction"}),
        E.REOPEN: dict(state=S.RESOLVED, actor="county_supervisor", body={"reason": "督办要求重办"}, to=S.IN_PROGRESS,
                       wrong=S.REPLIED, invalid={}, fields={"reason"}),
        E.CLOSE: dict(state=S.RESOLVED, actor="county_supervisor", body={"override": True, "reason": "申请人无法联系"},
                      to=S.CLOSED, wrong=S.IN_PROGRESS, invalid={"override": True}, fields={"reason"}),
        E.EXTENSION_REQUEST: dict(state=S.IN_PROGRESS, actor="t1_office_handler", body={"days": 2, "reason": "需补充调查"},
                                  to=S.IN_PROGRESS, wrong=S.ROUTING, invalid={"days": 0}, fields={"days", "reason"}),
        # Deciding needs a pending request: ``prepare`` files one first.
        E.EXTENSION_DECIDE: dict(state=S.IN_PROGRESS, actor="county_supervisor", body={"approve": True},
                                 to=S.IN_PROGRESS, wrong=S.REGISTERED, invalid={"approve": "maybe"}, fields={"approve"},
                                 prepare=lambda org, case: services.case_extension_request(
                                     actor=org["t1_office_handler"], case_id=case.pk, days=2, reason="需补充调查")),
        # Reviewing needs a pending "no": the refusal of ``state`` is one.
        E.REVIEW: dict(state=S.NOT_ACCEPTED, actor="county_supervisor", body={"decision": "overturn", "instruction": "属受理范围"},
                       to=S.REGISTERED, wrong=S.IN_PROGRESS, invalid={"decision": "maybe"}, fields={"decision"}),
    }  # fmt: skip


COMMANDS = [command for command in EventKind if command != E.INTAKE]


@pytest.mark.django_db
def test_the_table_covers_every_command(world):
    assert set(table(world)) == set(COMMANDS)


def _events(case) -> int:
    return CaseEvent.objects.filter(case=case).count()


def _row(case) -> dict:
    return Case.objects.filter(pk=case.pk).values().get()


@pytest.mark.django_db
@pytest.mark.parametrize("command", COMMANDS)
def test_allowed(world, command):
    row = table(world)[command]
    case = drive(world, row["state"])
    if "prepare" in row:
        row["prepare"](world, case)
    response = client_for(world[row["actor"]]).post(case_url(case.pk, command), row["body"], format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["event"]["kind"], body["event"]["from_status"], body["status"]) == (
        command,
        row["state"],
        row["to"],
    )
    assert _events(case) == body["version"] == body["event"]["sequence"]


@pytest.mark.django_db
@pytest.mark.parametrize("command", COMMANDS)
def test_out_of_scope_is_404_like_a_missing_case(world, command):
    row = table(world)[command]
    case = drive(world, row["state"])
    before = _row(case)
    outsider = client_for(world["t2_clerk"])  # another town's window: sees none of the v1 village's cases
    missing = outsider.post(case_url(MISSING_PK, command), row["body"], format="json")
    assert missing.status_code == 404
    for body in (row["body"], row["invalid"], {}):
        response = outsider.post(case_url(case.pk, command), body, format="json")
        assert (response.status_code, response.json()) == (404, missing.json())
    assert _row(case) == before


@pytest.mark.django_db
@pytest.mark.parametrize("command", COMMANDS)
def test_wrong_state_is_409_whatever_the_input(world, command):
    row = table(world)[command]
    for state in (row["wrong"], S.CLOSED):
        case = drive(world, state)
        before = _row(case)
        supervisor = client_for(world["county_supervisor"])  # sees every case of the county
        for body in (row["body"], row["invalid"]):
            response = supervisor.post(case_url(case.pk, command), body, format="json")
            assert response.status_code == 409, (state, response.content)
            answer = response.json()
            assert answer["current_status"] == state
            assert command not in answer["allowed_commands"]
            expected = supervisor.get(case_url(case.pk, "commands")).json()["allowed_commands"]
            assert answer["allowed_commands"] == expected
        assert _row(case) == before


@pytest.mark.django_db
@pytest.mark.parametrize("command", COMMANDS)
def test_missing_or_malformed_fields_are_400_field_errors(world, command):
    row = table(world)[command]
    case = drive(world, row["state"])
    if "prepare" in row:
        # The command's guards come before its input (a decision with nothing to decide is 409 whatever
        # was sent): give it something to decide, so only the input is wrong.
        row["prepare"](world, case)
    before = _row(case)
    response = client_for(world[row["actor"]]).post(case_url(case.pk, command), row["invalid"], format="json")
    assert response.status_code == 400, response.content
    errors = response.json()
    assert set(errors) == row["fields"]
    # A message list per field (for a list field: per position).
    assert all(isinstance(messages, list | dict) and messages for messages in errors.values())
    assert _row(case) == before
