"""Scenarios of the supervision tests: cases driven through the real services at controlled times.

Times are Beijing time on the official 2026 calendar (seeded into the test database by the calendar's
post-migrate hook). A case taken in on Monday 2026-03-02 at 09:00 with the default policy (一般事项, 5 working
days) is due Monday 2026-03-09 at 17:30; the county's ``t1_office`` leads the routed cases.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine

from cases import services
from cases.choices import Complexity, HandlingMode, MatterKind, Satisfaction
from tests.factories import take_in

SH = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    """``"2026-03-02 09:00"`` in Beijing time."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=SH)


def travel(text: str):
    return time_machine.travel(at(text), tick=False)


def routed_case(
    org, *, when: str, where: str = "v1", lead: str = "t1_office", matter_kind=MatterKind.DIFFICULT
):
    """Taken in, classified (general, standard) and assigned at ``when``; accepted one minute later."""
    with travel(when):
        case = take_in(
            org,
            where,
            category=org.category,
            matter_kind=matter_kind,
            complexity=Complexity.GENERAL,
            handling_mode=HandlingMode.STANDARD,
        )
        services.case_assign(actor=org[f"{where}_clerk"], case_id=case.pk, lead_department=org.dept(lead))
    with travel(_plus_minute(when)):
        services.assignment_accept(actor=org[f"{lead}_handler"], case_id=case.pk)
    case.refresh_from_db()
    return case


def _plus_minute(when: str) -> str:
    moment = at(when)
    return f"{moment:%Y-%m-%d} {moment.hour:02d}:{moment.minute + 1:02d}"


def resolve(org, case, *, when: str, lead: str = "t1_office", satisfaction: str | None = None):
    with travel(when):
        services.case_resolve(actor=org[f"{lead}_handler"], case_id=case.pk, summary="已办结")
        if satisfaction:
            comment = "办理结果不满意" if satisfaction == Satisfaction.UNSATISFIED else ""
            services.case_callback(
                actor=org["v1_clerk"], case_id=case.pk, satisfaction=satisfaction, comment=comment
            )
    case.refresh_from_db()
    return case


SATISFIED = Satisfaction.SATISFIED
UNSATISFIED = Satisfaction.UNSATISFIED
