"""Demo data of 常态建设: three more matters of one kind in town1, the detector's run, and one
standing-practice item on the recurring problem it finds. Called by ``manage.py load_demo`` after the cases'
demo (``cases`` never imports this app); does nothing when the demo county already has a recurring
problem, so running it again changes nothing."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from cases import services as case_services
from cases.choices import Channel, Complexity, HandlingMode, MatterKind, RequesterKind
from cases.models import Category
from routing.models import Department, Membership, Region

from . import services
from .choices import Measure, RecurringKind
from .models import RecurringProblem

MATTERS = [
    ("低保年审要求重复提交收入证明", "社区和街道分别要求提交同一份收入证明原件，跑了两趟。"),
    ("低保年审材料被退回", "已在社区交过家庭收入证明，街道又要求重新开具。"),
    ("低保续办要求本人到场", "老人行动不便，低保年审仍要求本人到街道现场核对。"),
]
REQUESTERS = [
    {
        "kind": RequesterKind.PERSON,
        "name": "李秀英",
        "phone": "13857502345",
        "id_number": "330681196505050025",
    },
    {
        "kind": RequesterKind.PERSON,
        "name": "赵志明",
        "phone": "13857503456",
        "id_number": "33068119581111001X",
    },
    {
        "kind": RequesterKind.PERSON,
        "name": "陈桂芳",
        "phone": "13857504567",
        "id_number": "330681197003030029",
    },
]


def demo_practice_load(county_code: str = "330699") -> int:
    """Create the demo recurring problem and item when the county has none; returns how many rows were made."""
    county = Region.objects.get(code=county_code)
    if RecurringProblem.objects.filter(county=county).exists():
        return 0
    users = get_user_model().objects
    clerk = users.get(username="town1_clerk")
    window = Membership.objects.get(user=clerk, role="clerk").window
    category = Category.objects.get(county=county, code="SB03")
    office = Department.objects.get(code="330699001-zhb")
    with transaction.atomic():
        for (title, description), requester in zip(MATTERS, REQUESTERS, strict=True):
            case = case_services.case_intake(
                actor=clerk,
                window=window,
                channel=Channel.WALK_IN,
                requester=requester,
                title=title,
                description=description,
            ).case
            case_services.case_classify(
                actor=clerk,
                case_id=case.pk,
                category=category,
                matter_kind=MatterKind.DIFFICULT,
                complexity=Complexity.GENERAL,
                handling_mode=HandlingMode.STANDARD,
            )
            case_services.case_assign(actor=clerk, case_id=case.pk, lead_department=office)
        services.recurring_problems_detect()
        problem = RecurringProblem.objects.get(
            kind=RecurringKind.CATEGORY_DEPARTMENT, category=category, department=office
        )
        services.practice_item_create(
            actor=users.get(username="town1_supervisor"),
            problem_id=problem.pk,
            measure=Measure.GUIDE,
            title="统一低保年审材料清单",
            description="修订低保年审办事指南：社区已收的收入证明街道不再重复收取，行动不便的老人上门核对。",
            department_id=office.pk,
        )
    return len(MATTERS) + 2
