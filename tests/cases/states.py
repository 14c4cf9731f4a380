"""Drive a case into any status through the services, with one canonical routing.

The case is taken in at the v1 village window; it is routed to the t1 town office as lead with the county
自然资源局 (land) assisting, so escalate (→ a county department), delegate (→ a village committee) and
transfer (→ the other town) are all possible from the lead.
"""

from __future__ import annotations

from cases import services
from cases.choices import CaseStatus, HandlingMode, Satisfaction
from tests.factories import CLASSIFICATION, take_in

S = CaseStatus


def classify(org, case, **overrides):
    data = {**CLASSIFICATION, "category": org.category, **overrides}
    return services.case_classify(actor=org["v1_clerk"], case_id=case.pk, **data)


def drive(org, status: str):
    """A fresh case in ``status``; returns it reloaded from the database."""
    case = take_in(org, "v1")
    steps = {
        S.REGISTERED: [],
        S.NOT_ACCEPTED: ["not_accept"],
        S.WITHDRAWN: ["withdraw"],
        S.ROUTING: ["classify"],
        S.COORDINATING: ["classify_coordinated"],
        S.ASSIGNED: ["classify", "assign"],
        S.IN_PROGRESS: ["classify", "assign", "accept"],
        S.SUSPENDED: ["classify", "assign", "accept", "suspend"],
        S.REPLIED: ["classify", "assign", "accept", "reply"],
        S.RESOLVED: ["classify", "assign", "accept", "resolve"],
        S.CLOSED: ["classify", "assign", "accept", "resolve", "callback", "close"],
    }[status]
    for step in steps:
        STEPS[step](org, case)
    case.refresh_from_db()
    assert case.status == status
    return case


STEPS = {
    "not_accept": lambda org, case: services.case_not_accept(
        actor=org["v1_clerk"], case_id=case.pk, reason="属于诉讼事项", guidance="请向法院起诉"
    ),
    "withdraw": lambda org, case: services.case_withdraw(
        actor=org["v1_clerk"], case_id=case.pk, reason="已自行解决"
    ),
    "classify": classify,
    "classify_coordinated": lambda org, case: classify(org, case, handling_mode=HandlingMode.COORDINATED),
    "assign": lambda org, case: services.case_assign(
        actor=org["v1_clerk"],
        case_id=case.pk,
        lead_department=org.dept("t1_office"),
        assisting_departments=[org.dept("land")],
    ),
    "accept": lambda org, case: services.assignment_accept(actor=org["t1_office_handler"], case_id=case.pk),
    "suspend": lambda org, case: services.case_suspend(
        actor=org["t1_office_handler"],
        case_id=case.pk,
        reason="等待申请人补充材料",
        reason_code="awaiting_materials",
    ),
    "reply": lambda org, case: services.case_reply(
        actor=org["t1_office_handler"], case_id=case.pk, answer="已联系市场监管局，三个工作日内办结"
    ),
    "resolve": lambda org, case: services.case_resolve(
        actor=org["t1_office_handler"], case_id=case.pk, summary="已办理变更登记"
    ),
    "callback": lambda org, case: services.case_callback(
        actor=org["v1_clerk"], case_id=case.pk, satisfaction=Satisfaction.SATISFIED
    ),
    "close": lambda org, case: services.case_close(actor=org["v1_clerk"], case_id=case.pk),
}
