"""Every (state, command) pair: allowed → the new state and exactly one new event; forbidden → 409-type
refusal (``TransitionNotAllowed``), no event, nothing changed.

The expected table below is written out by hand from the documented state machine (docs: "The closed
loop: state machine"); it is deliberately not derived from ``cases.workflow.RULES``.
"""

from __future__ import annotations

import pytest

from cases import workflow
from cases.choices import CaseStatus, Complexity, EventKind, Satisfaction
from cases.models import Assignment, Case, CaseEvent
from windowsvc.errors import TransitionNotAllowed

from .states import drive

S = CaseStatus
E = EventKind

# (state → {command: resulting state}); every pair not listed must be refused.
ALLOWED: dict[str, dict[str, str]] = {
    S.REGISTERED: {
        E.NOT_ACCEPT: S.NOT_ACCEPTED,
        E.WITHDRAW: S.WITHDRAWN,
        E.CLASSIFY: S.ROUTING,
        E.NOTE: S.REGISTERED,
    },
    S.ROUTING: {
        E.NOT_ACCEPT: S.NOT_ACCEPTED,
        E.WITHDRAW: S.WITHDRAWN,
        E.RECLASSIFY: S.ROUTING,
        E.ASSIGN: S.ASSIGNED,
        E.COORDINATE: S.ASSIGNED,
        E.NOTE: S.ROUTING,
    },
    S.COORDINATING: {
        E.WITHDRAW: S.WITHDRAWN,
        E.RECLASSIFY: S.COORDINATING,
        E.ASSIGN: S.ASSIGNED,
        E.COORDINATE: S.ASSIGNED,
        E.NOTE: S.COORDINATING,
    },
    S.ASSIGNED: {
        E.WITHDRAW: S.WITHDRAWN,
        E.RECLASSIFY: S.ASSIGNED,
        E.ACCEPT: S.IN_PROGRESS,
        E.RETURN: S.ROUTING,
        E.TRANSFER: S.ASSIGNED,
        E.ESCALATE: S.ASSIGNED,
        E.DELEGATE: S.ASSIGNED,
        E.COORDINATE: S.ASSIGNED,
        E.REASSIGN: S.ASSIGNED,
        E.NOTE: S.ASSIGNED,
    },
    S.IN_PROGRESS: {
        E.WITHDRAW: S.WITHDRAWN,
        E.RECLASSIFY: S.IN_PROGRESS,
        E.ACCEPT: S.IN_PROGRESS,
        E.RETURN: S.ROUTING,
        E.TRANSFER: S.ASSIGNED,
        E.ESCALATE: S.ASSIGNED,
        E.DELEGATE: S.ASSIGNED,
        E.COORDINATE: S.ASSIGNED,
        E.REASSIGN: S.ASSIGNED,
        E.NOTE: S.IN_PROGRESS,
        E.SUSPEND: S.SUSPENDED,
        E.REPLY: S.REPLIED,
        E.RESOLVE: S.RESOLVED,
        E.EXTENSION_REQUEST: S.IN_PROGRESS,
    },
    S.SUSPENDED: {
        E.WITHDRAW: S.WITHDRAWN,
        E.RECLASSIFY: S.SUSPENDED,
        E.ACCEPT: S.SUSPENDED,
        E.REASSIGN: S.ASSIGNED,
        E.NOTE: S.SUSPENDED,
        E.RESUME: S.IN_PROGRESS,
        E.EXTENSION_REQUEST: S.SUSPENDED,
    },
    S.REPLIED: {
        E.WITHDRAW: S.WITHDRAWN,
        E.RECLASSIFY: S.REPLIED,
        E.ACCEPT: S.REPLIED,
        E.COORDINATE: S.ASSIGNED,
        E.REASSIGN: S.ASSIGNED,
        E.NOTE: S.REPLIED,
        E.SUSPEND: S.SUSPENDED,
        E.REPLY: S.REPLIED,
        E.RESOLVE: S.RESOLVED,
        E.EXTENSION_REQUEST: S.REPLIED,
    },
    S.RESOLVED: {E.NOTE: S.RESOLVED, E.CALLBACK: S.RESOLVED, E.REOPEN: S.IN_PROGRESS, E.CLOSE: S.CLOSED},
    S.CLOSED: {},
    # The refusal waits for a supervisor's review (否定答复报告); overturning it puts the case back.
    S.NOT_ACCEPTED: {E.REVIEW: S.REGISTERED},
    S.WITHDRAWN: {},
}

CASE_COMMANDS = [kind for kind in EventKind if kind != E.INTAKE]


def command_for(org, command: str, state: str) -> tuple[object, dict]:
    """The canonical actor and input of a command (valid whenever the command is allowed)."""
    d = org.dept
    if command == E.ACCEPT:
        # The lead signs while the case waits for it; afterwards the still-pending assisting department.
        return (org["t1_office_handler"] if state == S.ASSIGNED else org["land_handler"]), {}
    if command == E.ASSIGN:
        actor = org["coordinator"] if state == S.COORDINATING else org["v1_clerk"]
        return actor, {"lead_department": d("market").pk, "assisting_departments": [d("housing").pk]}
    table = {
        E.NOT_ACCEPT: (org["v1_clerk"], {"reason": "属于信访事项", "guidance": "请到信访局反映"}),
        E.WITHDRAW: (org["v1_clerk"], {"reason": "申请人撤回"}),
        E.CLASSIFY: (
            org["v1_clerk"],
            {
                "category": org.category.pk,
                "matter_kind": "difficult",
                "complexity": "general",
                "handling_mode": "standard",
            },
        ),
        E.RECLASSIFY: (
            org["county_supervisor"],
            {"complexity": Complexity.COMPLEX, "reason": "涉及多个部门"},
        ),
        E.RETURN: (org["t1_office_head"], {"reason": "不属于本单位职责"}),
        E.TRANSFER: (org["t1_office_head"], {"department": d("t2_office").pk, "reason": "属地在浣东街道"}),
        E.ESCALATE: (org["t1_office_head"], {"department": d("market").pk, "reason": "需县级部门办理"}),
        E.DELEGATE: (org["t1_office_head"], {"department": d("v1b_committee").pk, "reason": "由社区办理"}),
        E.COORDINATE: (
            org["coordinator"],
            {
                "lead_department": d("housing").pk,
                "assisting_departments": [d("market").pk],
                "decisions": "住建局牵头",
            },
        ),
        E.REASSIGN: (org["county_supervisor"], {"lead_department": d("housing").pk, "reason": "督办改派"}),
        E.NOTE: (org["v1_clerk"], {"text": "申请人来电询问进度"}),
        E.SUSPEND: (
            org["t1_office_handler"],
            {"reason": "等待补充材料", "reason_code": "awaiting_materials"},
        ),
        E.RESUME: (org["t1_office_handler"], {"reason": "材料已补齐"}),
        E.REPLY: (org["t1_office_handler"], {"answer": "已答复办理方案"}),
        E.RESOLVE: (org["t1_office_handler"], {"summary": "已办结"}),
        E.CALLBACK: (org["v1_clerk"], {"satisfaction": Satisfaction.SATISFIED}),
        E.REOPEN: (org["county_supervisor"], {"reason": "督办要求重办"}),
        E.CLOSE: (org["county_supervisor"], {"override": True, "reason": "申请人无法联系，督办销号"}),
        # The lead asks before its deadline (never while only pending: nothing signed for yet); deciding
        # needs a pending request, so it is refused (409) in every state of this table.
        E.EXTENSION_REQUEST: (org["t1_office_handler"], {"days": 2, "reason": "需补充调查"}),
        E.EXTENSION_DECIDE: (org["county_supervisor"], {"approve": True}),
        # Only a pending "no" can be reviewed: in this table, the refusal of ``not_accepted``.
        E.REVIEW: (
            org["county_supervisor"],
            {"decision": "overturn", "instruction": "属于受理范围，请重新办理"},
        ),
    }
    return table[command]


def snapshot(case: Case) -> dict:
    return {
        "case": Case.objects.filter(pk=case.pk).values().get(),
        "assignments": list(Assignment.objects.filter(case=case).order_by("pk").values()),
        "events": CaseEvent.objects.filter(case=case).count(),
    }


PAIRS = [(state, command) for state in CaseStatus for command in CASE_COMMANDS]


def test_the_table_covers_every_state():
    assert set(ALLOWED) == set(CaseStatus)


@pytest.mark.django_db
@pytest.mark.parametrize(("state", "command"), PAIRS, ids=[f"{s.value}-{c.value}" for s, c in PAIRS])
def test_state_command_pair(org, state, command):
    case = drive(org, state)
    actor, data = command_for(org, command, state)
    before = snapshot(case)
    expected = ALLOWED[state].get(command)
    if expected is None:
        # A refusal must come from the state, whoever asks: when the canonical actor cannot even see the
        # case (it would be NotFound), a supervisor of the county, who sees everything, asks instead.
        if not Case.objects.visible_to(actor).filter(pk=case.pk).exists():
            actor = org["county_supervisor"]
        with pytest.raises(TransitionNotAllowed) as refused:
            workflow.run(case.pk, command, actor, data)
        assert refused.value.current == state
        assert refused.value.allowed == workflow.allowed_commands(case, actor)
        assert command not in refused.value.allowed
        assert snapshot(case) == before
        return
    assert command in workflow.allowed_commands(case, actor)
    event = workflow.run(case.pk, command, actor, data)
    case.refresh_from_db()
    assert case.status == expected
    assert CaseEvent.objects.filter(case=case).count() == before["events"] + 1
    assert (event.kind, event.from_status, event.to_status) == (command, state, expected)
    assert event.sequence == case.version == before["case"]["version"] + 1
    assert event.actor == actor


@pytest.mark.django_db
def test_intake_is_the_only_command_without_a_case(org):
    from tests.factories import take_in

    case = take_in(org, "v1")
    [event] = case.events.all()
    assert (event.kind, event.from_status, event.to_status, event.sequence) == (E.INTAKE, "", S.REGISTERED, 1)
    assert case.version == 1
