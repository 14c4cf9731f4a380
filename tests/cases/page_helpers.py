"""Builders for the staff page tests: intake form data, a case routed to a department, shown commands."""

from __future__ import annotations

import re

from cases import services
from cases.choices import Channel, Complexity, HandlingMode, MatterKind, RequesterKind
from tests.factories import CLASSIFICATION, make_id_number, take_in


def intake_data(org, where: str = "v1", **overrides) -> dict:
    """A valid POST of the intake form at ``where``'s window (a person, classified, one token)."""
    data = {
        "idempotency_key": "token-" + where,
        "kind": RequesterKind.PERSON,
        "name": "张三丰",
        "phone": "13800138000",
        "id_number": make_id_number(),
        "credit_code": "",
        "contact_name": "",
        "address": "诸暨市暨阳街道某路1号",
        "title": "营业执照变更多次未办成",
        "description": "申请变更经营范围三次被退回，原因说法不一。",
        "expectation": "一次办好",
        "category": f"{org.category.code} {org.category.name}",
        "matter_kind": MatterKind.DIFFICULT,
        "complexity": Complexity.GENERAL,
        "handling_mode": HandlingMode.STANDARD,
        "window": org.windows[where].pk,
        "channel": Channel.WALK_IN,
    }
    data.update(overrides)
    return data


def routed_case(org, where: str = "v1", lead: str = "market", assisting: tuple[str, ...] = (), **intake):
    """A case taken in at ``where``, classified and assigned by its clerk to ``lead`` (status assigned)."""
    clerk = org[f"{where}_clerk"]
    case = take_in(org, where, **intake)
    services.case_classify(actor=clerk, case_id=case.pk, category=org.category, **CLASSIFICATION)
    services.case_assign(
        actor=clerk,
        case_id=case.pk,
        lead_department=org.dept(lead),
        assisting_departments=[org.dept(key) for key in assisting],
    )
    case.refresh_from_db()
    return case


COMMAND_RE = re.compile(r'class="command[^"]*" data-command="([a-z_]+)"')


def commands_shown(html: str) -> set[str]:
    """The command buttons a case detail page shows."""
    return set(COMMAND_RE.findall(html))
