"""Demo data of the closed loop: the county's category tree and a handful of cases in every state.

Loaded by ``manage.py load_demo`` after the demo organisation. Categories are upserted (running it again
changes nothing); demo cases are created through the real services only when the demo county has none, so
every one of them carries a genuine event history.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import yaml
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from routing.choices import StaffRole
from routing.models import Department, Membership, Region

from . import services
from .choices import Channel, Complexity, HandlingMode, MatterKind, RequesterKind, Satisfaction
from .models import Case, Category, CategoryDefaultDepartment


def demo_categories_load(path: Path) -> int:
    """Upsert the category tree and default lead departments from a YAML file; returns rows changed."""
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    county = Region.objects.get(code=spec["county"])
    departments = {d.code: d for d in Department.objects.filter(region__path__startswith=county.path)}
    regions = {r.code: r for r in Region.objects.filter(path__startswith=county.path)}
    changed = 0

    def upsert(node: dict, parent: Category | None) -> None:
        nonlocal changed
        category, created = Category.objects.get_or_create(
            county=county, code=node["code"], defaults={"name": node["name"], "parent": parent}
        )
        if not created and (category.name, category.parent_id) != (node["name"], parent and parent.pk):
            category.name, category.parent = node["name"], parent
            category.save(update_fields=["name", "parent", "updated_at"])
            changed += 1
        changed += created
        for region_code, department_code in (node.get("default") or {}).items():
            _, made = CategoryDefaultDepartment.objects.update_or_create(
                category=category,
                region=regions[region_code],
                defaults={"department": departments[department_code]},
            )
            changed += made
        for child in node.get("children") or ():
            upsert(child, category)

    with transaction.atomic():
        for node in spec["categories"]:
            upsert(node, None)
    return changed


def _staff(username: str):
    return get_user_model().objects.get(username=username)


def _window(username: str):
    return Membership.objects.get(user__username=username, role=StaffRole.CLERK).window


# Demo requesters: valid GB 11643 id numbers and a GB 32100 credit code (check characters computed).
PERSON = {
    "kind": RequesterKind.PERSON,
    "name": "张丽华",
    "phone": "13857501234",
    "id_number": "330681198001010029",
}
PERSON2 = {
    "kind": RequesterKind.PERSON,
    "name": "王建国",
    "phone": "13905755678",
    "id_number": "330681197506150014",
}
ENTERPRISE = {
    "kind": RequesterKind.ENTERPRISE,
    "name": "浣江县青山五金制品有限公司",
    "phone": "0575-87123456",
    "credit_code": "91330681MA2BCDEF16",
}


def demo_cases_load(county_code: str = "330699") -> int:
    """Create the demo cases through the services when the county has none; returns how many were made."""
    county = Region.objects.get(code=county_code)
    if Case.objects.filter(region_path__startswith=county.path).exists():
        return 0
    categories = {c.code: c for c in Category.objects.filter(county=county)}
    departments = {d.code: d for d in Department.objects.filter(region__path__startswith=county.path)}
    made = 0

    def intake(clerk, requester, title, description, **extra):
        nonlocal made
        made += 1
        return services.case_intake(
            actor=_staff(clerk),
            window=_window(clerk),
            channel=extra.pop("channel", Channel.WALK_IN),
            requester=requester,
            title=title,
            description=description,
            **extra,
        ).case

    def classify(actor, case, code, kind=MatterKind.DIFFICULT, complexity=Complexity.GENERAL, mode=None):
        services.case_classify(
            actor=_staff(actor),
            case_id=case.pk,
            category=categories[code],
            matter_kind=kind,
            complexity=complexity,
            handling_mode=mode or HandlingMode.STANDARD,
        )

    with transaction.atomic():
        # 1. Just taken in at the county window, waiting for classification.
        intake(
            "county_clerk",
            ENTERPRISE,
            "食品经营许可证延续多次被退回",
            "企业三次线上申请食品经营许可延续均被退回，退回理由不一致，许可证下月到期。",
            expectation="在许可证到期前完成延续。",
        )
        # 2. Classified and routed to the market regulator, waiting for sign-for.
        case = intake(
            "county_clerk",
            PERSON2,
            "个体户变更经营范围无法线上办理",
            "系统提示经营范围代码不存在，窗口称需线上办理，来回跑了三次。",
            channel=Channel.PHONE,
        )
        classify("county_clerk", case, "QY01", MatterKind.URGENT)
        services.case_assign(
            actor=_staff("county_clerk"), case_id=case.pk, lead_department=departments["scjg"]
        )
        # 3. Village case escalated to the town office, signed for, in progress.
        case = intake(
            "village11_clerk",
            PERSON,
            "低保年审材料重复提交",
            "母亲低保年审，社区和街道分别要求提交同一份收入证明原件。",
        )
        classify("village11_clerk", case, "SB03")
        services.case_assign(
            actor=_staff("village11_clerk"), case_id=case.pk, lead_department=departments["330699001001-wh"]
        )
        services.assignment_accept(actor=_staff("village11_head"), case_id=case.pk)
        services.case_escalate(
            actor=_staff("village11_head"),
            case_id=case.pk,
            department=departments["330699001-zhb"],
            reason="需街道统一明确材料要求。",
        )
        services.assignment_accept(actor=_staff("town1_head"), case_id=case.pk)
        services.case_note(
            actor=_staff("town1_handler"),
            case_id=case.pk,
            text="已电话联系申请人，了解重复提交情况。",
            contacted_requester=True,
        )
        # 4. A hard cross-department case at the coordination centre.
        case = intake(
            "county_clerk",
            ENTERPRISE,
            "厂房扩建涉及用地、规划、环评多部门",
            "企业扩建厂房，自然资源、住建、生态环境部门各自要求先取得对方意见，项目停滞两个月。",
            expectation="明确办理顺序并限时办结。",
        )
        classify(
            "county_clerk", case, "GC01", MatterKind.DIFFICULT, Complexity.COMPLEX, HandlingMode.COORDINATED
        )
        services.case_coordinate(
            actor=_staff("county_coordinator"),
            case_id=case.pk,
            lead_department=departments["zrzy"],
            assisting_departments=[departments["zjj"], departments["sthj"]],
            decisions="自然资源和规划局牵头，住建局、生态环境局并联出具意见，10个工作日内办结。",
        )
        # 5. Resolved with a satisfied callback and closed (销号).
        case = intake(
            "town2_clerk",
            PERSON2,
            "新生儿落户需回原籍开证明",
            "孩子在本县出生，派出所要求回外省原籍开具证明。",
        )
        classify("town2_clerk", case, "HJ01", MatterKind.NOVEL)
        services.case_assign(actor=_staff("town2_clerk"), case_id=case.pk, lead_department=departments["gaj"])
        services.assignment_accept(actor=_staff("dept_gaj_head"), case_id=case.pk)
        services.case_reply(
            actor=_staff("dept_gaj_handler"), case_id=case.pk, answer="经核查可通过部门间协查，无需回原籍。"
        )
        services.case_resolve(
            actor=_staff("dept_gaj_handler"), case_id=case.pk, summary="已通过协查办理落户。"
        )
        services.case_callback(
            actor=_staff("town2_clerk"), case_id=case.pk, satisfaction=Satisfaction.SATISFIED
        )
        services.case_close(actor=_staff("town2_clerk"), case_id=case.pk)
        # 6. Not accepted, with guidance where to go (一次性告知).
        case = intake(
            "town3_clerk", PERSON, "邻里宅基地界址纠纷", "与邻居因宅基地界址发生争议，要求窗口裁决。"
        )
        services.case_not_accept(
            actor=_staff("town3_clerk"),
            case_id=case.pk,
            reason="属民事纠纷，不属于窗口受理范围。",
            guidance="可向所在村人民调解委员会申请调解，或向县人民法院起诉。",
            reason_code="civil_dispute",
        )  # waits in the supervisors' review queue (否定答复报告)
        # 7. Answered "cannot be done yet" with a new date: the follow-up clock runs (答复未办结).
        case = intake(
            "county_clerk",
            ENTERPRISE,
            "厂房不动产权证办理卡在历史遗留问题",
            "厂房建于2008年，因规划手续不全一直无法办理不动产权证，影响企业融资。",
        )
        classify("county_clerk", case, "GC02", complexity=Complexity.COMPLEX)
        services.case_assign(
            actor=_staff("county_clerk"), case_id=case.pk, lead_department=departments["zrzy"]
        )
        services.assignment_accept(actor=_staff("dept_zrzy_head"), case_id=case.pk)
        services.case_reply(
            actor=_staff("dept_zrzy_handler"),
            case_id=case.pk,
            answer="需报县政府专题会议研究历史遗留问题处置意见，预计一个月内办结。",
            can_be_done=False,
            follow_up_due_at=timezone.localdate() + timedelta(days=30),
        )
        # 8. Suspended while the requester brings materials (a reason from the list, its own clock).
        case = intake(
            "town1_clerk", PERSON2, "残疾人两项补贴申请被退回", "材料已交齐仍被退回，理由是缺少证明。"
        )
        classify("town1_clerk", case, "SB03")
        services.case_assign(actor=_staff("town1_clerk"), case_id=case.pk, lead_department=departments["mzj"])
        services.assignment_accept(actor=_staff("dept_mzj_handler"), case_id=case.pk)
        services.case_suspend(
            actor=_staff("dept_mzj_handler"),
            case_id=case.pk,
            reason="等待申请人补充残疾证复印件。",
            reason_code="awaiting_materials",
            days=3,
        )
    return made


# The smaller second county of the demo city (demo/organisation.yaml), so the city's supervisor sees two
# counties side by side on the dashboard, the ranking of counties and the bulletin.
SECOND_COUNTY = "330698"


def demo_second_county_cases_load(county_code: str = SECOND_COUNTY) -> int:
    """Three cases of the second county, made through the services when it has none (one routed and
    waiting for sign-for, one in progress, one resolved, called back and closed); returns how many."""
    county = Region.objects.get(code=county_code)
    if Case.objects.filter(region_path__startswith=county.path).exists():
        return 0
    categories = {c.code: c for c in Category.objects.filter(county=county)}
    departments = {d.code: d for d in Department.objects.filter(region__path__startswith=county.path)}
    clerk = _staff("xishan_clerk")

    def intake(requester, title, description):
        return services.case_intake(
            actor=clerk,
            window=_window("xishan_clerk"),
            channel=Channel.WALK_IN,
            requester=requester,
            title=title,
            description=description,
        ).case

    def route(case, category, department):
        services.case_classify(
            actor=clerk,
            case_id=case.pk,
            category=categories[category],
            matter_kind=MatterKind.DIFFICULT,
            complexity=Complexity.GENERAL,
            handling_mode=HandlingMode.STANDARD,
        )
        services.case_assign(actor=clerk, case_id=case.pk, lead_department=departments[department])

    with transaction.atomic():
        case = intake(
            ENTERPRISE, "个体工商户注销后税控设备无法退回", "营业执照已注销，税控设备退回需执照，两头卡住。"
        )
        route(case, "QY01", "xs-scjg")
        case = intake(
            PERSON, "农房翻建施工许可要求重复提交图纸", "已提交一次图纸，街道和住建局又分别要求原件。"
        )
        route(case, "GC03", "xs-zjj")
        services.assignment_accept(actor=_staff("xishan_zjj_handler"), case_id=case.pk)
        case = intake(PERSON2, "创业补贴申请不知道在哪个部门办", "窗口、人社局、街道互相让去对方处咨询。")
        route(case, "QY01", "xs-scjg")
        handler = _staff("xishan_scjg_handler")
        services.assignment_accept(actor=handler, case_id=case.pk)
        services.case_reply(
            actor=handler, case_id=case.pk, answer="已明确由人社局受理，市场监管局配合出具证明。"
        )
        services.case_resolve(actor=handler, case_id=case.pk, summary="已协调人社局受理创业补贴申请。")
        services.case_callback(actor=clerk, case_id=case.pk, satisfaction=Satisfaction.SATISFIED)
        services.case_close(actor=clerk, case_id=case.pk)
    return 3
