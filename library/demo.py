"""Demo write-ups: the demo county's solved cases written up, reviewed and published through the services,
so that the public case library (/library/cases/) is not empty in the demo. Idempotent."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from cases.models import Case
from routing.models import Region

from . import services
from .models import BlockerType, WriteUp

# By the title of a demo case (cases/demo.py): the write-up's text.
WRITEUPS = {
    "新生儿落户需回原籍开证明": {
        "title": "新生儿落户不再回原籍开证明",
        "problem": "孩子在本县出生，派出所要求家长回外省原籍开具证明后才能落户，家长多次往返未办成。",
        "blocker_type": "missing_process",
        "blocker_note": "跨省户籍协查没有明确的办理流程，窗口只能要求群众自行开具证明。",
        "solution": "公安局通过部门间协查核实信息，免于回原籍开证明，当即办理新生儿落户。",
        "basis": "《户口登记条例》；跨省通办相关规定。",
        "lessons": "能通过部门协查核实的，不再要求群众提供证明。",
        "typical": True,
    },
}


def demo_writeups_load(county_code: str = "330699") -> int:
    """Write up and publish the demo county's solved demo cases that have no write-up; returns how many."""
    county = Region.objects.filter(code=county_code).first()
    users = get_user_model().objects.in_bulk(["county_supervisor"], field_name="username")
    reviewer = users.get("county_supervisor")
    if county is None or reviewer is None:
        return 0
    made = 0
    for case_title, text in WRITEUPS.items():
        case = Case.objects.filter(region_path__startswith=county.path, title=case_title).first()
        if case is None or WriteUp.objects.filter(case=case).exists():
            continue
        data = dict(text)
        typical = data.pop("typical", False)
        data["blocker_type"] = BlockerType.objects.get(code=data["blocker_type"])
        writeup = services.writeup_create(actor=case.clerk, case_id=case.pk, **data)
        services.writeup_submit(actor=case.clerk, writeup_id=writeup.pk)
        services.writeup_publish(actor=reviewer, writeup_id=writeup.pk)
        if typical:
            services.writeup_mark_typical(actor=reviewer, writeup_id=writeup.pk)
        made += 1
    return made
