"""Bulk write-ups for benchmarks (``manage.py seed_writeups``) and the batched, parallel rebuild of the
suggestion index (``manage.py library_reindex``).

Write-ups are drawn from a vocabulary of matters (what people bring to the window, as in
``tests/library/search_set.json``), varied by framing sentences, sometimes naming the requester or their
phone (so the anonymiser has work to do), and written as published write-ups of resolved or closed seeded
cases with their derived fields filled by the same functions the workflow uses
(``library.indexing.writeup_refresh``: jieba tokens and the anonymised version; ``working_days_taken``),
each with its create / submit / publish history, with ``bulk_create`` in batches, in worker processes.
"""

from __future__ import annotations

import multiprocessing
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, connections, transaction
from django.utils import timezone

from cases.models import Case

from . import indexing
from .choices import WriteUpCommand as C
from .choices import WriteUpStatus as S
from .models import BlockerType, WriteUp, WriteUpEvent
from .workflow import working_days_taken

# (title, problem, solution, basis, 卡点 code)
MATTERS: list[tuple[str, str, str, str, str]] = [
    (
        "营业执照经营范围变更被退回",
        "企业申请变更经营范围，登记窗口以表述不规范为由多次退回。",
        "市场监管局统一经营范围规范表述，窗口一次性告知，当场办结。",
        "《市场主体登记管理条例》",
        "missing_process",
    ),
    (
        "老旧小区房产证多年办不下来",
        "开发商破产，小区业主多年未取得不动产权证书。",
        "自然资源局会同住建局开展历史遗留问题专项处置，分批办理不动产登记。",
        "不动产登记历史遗留问题处置意见",
        "policy_gap",
    ),
    (
        "外省社保关系转移接续卡住",
        "职工从外省调回，养老保险关系转移接续系统无法接收。",
        "人社局与转出地经办机构线下核对缴费记录，手工办理转移。",
        "《城镇企业职工基本养老保险关系转移接续暂行办法》",
        "system",
    ),
    (
        "厂房消防验收因图纸缺失无法申报",
        "企业扩建厂房，原有设计图纸遗失，消防验收无法受理。",
        "住建局允许以现状测绘图替代，组织联合验收。",
        "《建设工程消防设计审查验收管理暂行规定》",
        "missing_process",
    ),
    (
        "随迁子女入学材料反复补交",
        "外来务工人员子女就近入学，居住证明和社保证明要求不一，多次补交。",
        "教育局明确材料清单，数据共享替代纸质证明，一次办好。",
        "义务教育招生入学工作意见",
        "attitude",
    ),
    (
        "异地就医医保报销被拒",
        "老人在外地住院，回来报销时被告知未备案不能报销。",
        "医保局补办异地就医备案，按规定比例报销住院费用。",
        "异地就医直接结算管理办法",
        "policy_gap",
    ),
    (
        "小餐饮店食品经营许可证办不下来",
        "个体户开小吃店，食品经营许可因场所面积不足被拒。",
        "市场监管局按小餐饮备案管理办法办理登记备案，当天开业。",
        "小餐饮登记备案管理办法",
        "policy_gap",
    ),
    (
        "新建厂区接水报装拖了三个月",
        "企业新厂区申请自来水报装，供水公司和交通部门互相推诿掘路许可。",
        "县行政服务中心召集供水、交通、公安交警联合会审，十个工作日内通水。",
        "水电气报装联合审批工作机制",
        "cross_department",
    ),
    (
        "农村建房审批卡在规划许可",
        "村民翻建危房，乡村建设规划许可证迟迟未批。",
        "镇政府联合自然资源所实地踏勘，简化农房审批流程，办结规划许可。",
        "农村宅基地和村民自建住房审批管理办法",
        "missing_process",
    ),
    (
        "企业发票领用额度被锁",
        "税务系统风险预警导致企业无法领用增值税发票，影响发货。",
        "税务局人工复核解除风险标识，恢复发票领用。",
        "增值税发票管理办法",
        "system",
    ),
    (
        "残疾人两项补贴停发",
        "残疾人生活补贴和护理补贴突然停发，民政和残联互相推。",
        "民政局与残联核对数据，补发停发期间补贴，建立数据比对机制。",
        "困难残疾人生活补贴和重度残疾人护理补贴制度",
        "cross_department",
    ),
    (
        "大学生落户迁移证明开不出来",
        "毕业生户口在学校集体户，回乡落户需要的迁移证明无法开具。",
        "公安户籍窗口通过跨省通办直接迁入，免开迁移证明。",
        "户籍迁移跨省通办工作规范",
        "missing_process",
    ),
    (
        "农民工工资被拖欠讨薪无门",
        "工地完工后包工头失联，农民工工资半年未付。",
        "人社局劳动监察启动工资保证金支付，协调总包单位结清欠薪。",
        "《保障农民工工资支付条例》",
        "attitude",
    ),
    (
        "退休人员养老金资格认证失败",
        "行动不便的老人人脸识别认证多次失败，养老金暂停发放。",
        "社保经办人员上门认证，恢复养老金发放。",
        "养老金领取资格认证经办规程",
        "system",
    ),
    (
        "公司注销因税务清税卡住",
        "企业注销时税务清税证明办不出，原因是历史欠税记录不清。",
        "税务局核查后出具清税证明，市场监管局简易注销一次办结。",
        "企业简易注销登记办法",
        "cross_department",
    ),
    (
        "二手房过户契税缴纳系统对接不上",
        "买卖双方办理二手房转移登记，契税完税信息系统推送失败。",
        "税务局与不动产登记中心建立人工推送通道，当天完成过户登记。",
        "不动产登记与税收征管信息共享办法",
        "system",
    ),
    (
        "新生儿出生医学证明补办困难",
        "孩子在外地医院出生，出生医学证明遗失，户口申报办不了。",
        "卫健局协调出生医院核实档案，补发出生医学证明，公安同步办理户口登记。",
        "出生医学证明管理办法",
        "cross_department",
    ),
    (
        "个体工商户执照年报异常移不出名录",
        "个体户漏报年报被列入经营异常名录，补报后仍无法移出。",
        "市场监管局核对补报记录，依申请移出经营异常名录。",
        "个体工商户年度报告办法",
        "attitude",
    ),
    (
        "道路运输经营许可证年审被卡",
        "货运车辆年审时被要求提供多份重复证明。",
        "交通运输局精简年审材料，通过系统核验车辆信息，窗口当场办结。",
        "《道路运输条例》",
        "missing_process",
    ),
    (
        "特困人员供养申请长时间未审批",
        "独居老人申请特困供养，村镇两级材料往返多次未获审批。",
        "民政局开通绿色通道，镇村联合入户核查，一周内审批发放。",
        "特困人员认定办法",
        "attitude",
    ),
    (
        "工程竣工验收备案部门互相推诿",
        "企业厂房竣工后，质监和住建对备案材料要求不一致。",
        "住建局牵头明确联合验收清单，一次性受理竣工验收备案。",
        "房屋建筑和市政基础设施工程竣工验收备案管理办法",
        "cross_department",
    ),
    (
        "失业保险金申领被系统拒绝",
        "职工失业后线上申领失业保险金，系统显示参保记录不连续被拒。",
        "人社局核对历年缴费记录，修正断缴数据，补发失业保险金。",
        "失业保险金申领发放办法",
        "system",
    ),
    (
        "林权证抵押贷款办不下来",
        "林农以林权证申请抵押贷款，银行要求的评估报告无机构出具。",
        "林业局联系评估机构，建立林权抵押登记和评估服务，办结抵押登记。",
        "林权抵押贷款管理办法",
        "policy_gap",
    ),
    (
        "燃气开户报装材料要求不清",
        "商户开饭店申请燃气开户，燃气公司多次要求补充消防和规划材料。",
        "发改部门协调燃气公司公开报装材料清单，压缩办理时限。",
        "城镇燃气管理条例",
        "missing_process",
    ),
]

OPENINGS = [
    "",
    "群众来窗口反映：",
    "企业通过热线反映，",
    "申请人称，",
    "经窗口登记，",
    "{name}反映，",
    "{name}（联系电话{phone}）反映：",
]
CLOSINGS = [
    "",
    "已跑多次仍未办结，请求协调。",
    "希望一次性告知所需材料。",
    "相关部门均称不属本部门职责。",
    "办理时限已过，至今未收到答复。",
]
LESSONS = [
    "",
    "窗口应一次性告知，避免群众反复跑。",
    "跨部门事项应明确牵头部门，建立联合会商机制。",
    "政策空白处应及时请示上级，先行先试。",
    "系统问题应有线下兜底办法，不让群众等系统。",
    "类似事项可参照本案例办理。",
]
TITLE_FRAMES = ["{t}", "{t}", "{t}", "{c}：{t}", "{t}的问题"]


@dataclass(frozen=True)
class Plan:
    """One batch of cases to write up, for a worker process."""

    case_ids: tuple[int, ...]
    seed: int
    publisher_id: int | None
    blocker_ids: dict[str, int]


def _texts(rng: random.Random, case: Case) -> dict[str, str]:
    title, problem, solution, basis, blocker = rng.choice(MATTERS)
    requester = case.requester
    opening = rng.choice(OPENINGS).format(name=requester.name or "某群众", phone=requester.phone or "")
    category = case.category.name if case.category_id else ""
    return {
        "title": rng.choice(TITLE_FRAMES).format(t=title, c=category or "群众诉求")[:200],
        "problem": f"{opening}{problem}{rng.choice(CLOSINGS)}",
        "blocker": blocker,
        "blocker_note": rng.choice(["", "按正常流程无法办理，需协调。", "部门之间职责不清。"]),
        "solution": solution,
        "basis": rng.choice([basis, basis, ""]),
        "lessons": rng.choice(LESSONS),
    }


def build_batch(plan: Plan) -> int:
    """Write one batch of published write-ups (with their history); returns how many were written."""
    rng = random.Random(plan.seed)
    cases = list(
        Case.objects.filter(pk__in=plan.case_ids).select_related("requester", "category").order_by("pk")
    )
    writeups: list[WriteUp] = []
    for case in cases:
        texts = _texts(rng, case)
        end = case.resolved_at or case.closed_at or case.updated_at
        published = end + timezone.timedelta(days=rng.randint(3, 40))
        writeup = WriteUp(
            case=case,
            title=texts["title"],
            problem=texts["problem"],
            blocker_type_id=plan.blocker_ids[texts["blocker"]],
            blocker_note=texts["blocker_note"],
            solution=texts["solution"],
            basis=texts["basis"],
            lessons=texts["lessons"],
            working_days=working_days_taken(case),
            status=S.PUBLISHED,
            published_at=published,
            published_by_id=plan.publisher_id,
            enterprise_consent=rng.random() < 0.2,
            created_by_id=case.clerk_id,
            region_path=case.region_path,
            handling_region_path=case.handling_region_path,
            category_id=case.category_id,
            lead_department_id=case.lead_department_id,
            year=timezone.localtime(end).year,
            version=3,
        )
        indexing.writeup_refresh(writeup)  # tokens and the anonymised version: the workflow's own function
        writeups.append(writeup)
    with transaction.atomic():
        WriteUp.objects.bulk_create(writeups, batch_size=1000)
        events = []
        through = WriteUp.departments.through
        links = []
        for w in writeups:
            steps = (
                (C.CREATE, "", S.DRAFT, w.created_by_id),
                (C.SUBMIT, S.DRAFT, S.SUBMITTED, w.created_by_id),
                (C.PUBLISH, S.SUBMITTED, S.PUBLISHED, plan.publisher_id),
            )
            for sequence, (kind, source, target, actor) in enumerate(steps, start=1):
                events.append(
                    WriteUpEvent(
                        writeup=w,
                        sequence=sequence,
                        kind=kind,
                        actor_id=actor,
                        from_status=source,
                        to_status=target,
                        created_at=w.published_at,
                    )
                )
            if w.lead_department_id:
                links.append(through(writeup_id=w.pk, department_id=w.lead_department_id))
        WriteUpEvent.objects.bulk_create(events, batch_size=3000)
        through.objects.bulk_create(links, batch_size=3000)
    return len(writeups)


def eligible_case_ids(count: int, seed: int) -> list[int]:
    """``count`` resolved or closed cases with a resolution and no write-up, drawn at random."""
    ids = list(
        Case.objects.filter(status__in=indexing.SOLVED_STATUSES, writeup__isnull=True)
        .exclude(resolution_summary="")
        .values_list("pk", flat=True)
    )
    rng = random.Random(seed)
    chosen = rng.sample(ids, min(count, len(ids)))
    chosen.sort()
    return chosen


_IN_WORKER = False


def _worker_init() -> None:
    global _IN_WORKER
    _IN_WORKER = True
    connections.close_all()  # a forked worker never shares the parent's connection


def _run_plan(plan: Plan) -> int:
    written = build_batch(plan)
    if _IN_WORKER:
        connections.close_all()
    return written


def _rebuild_range(bounds: tuple[int, int, int]) -> int:
    first, last, batch = bounds
    written = indexing.solved_cases_rebuild(batch=batch, pk_range=(first, last))
    if _IN_WORKER:
        connections.close_all()
    return written


def _parallel(function, specs: list, workers: int, progress: Callable[[int], None]) -> int:
    total = 0
    if workers <= 1 or connection.vendor != "postgresql":
        for spec in specs:
            done = function(spec)
            total += done
            progress(done)
        return total
    connections.close_all()
    with multiprocessing.get_context("fork").Pool(workers, initializer=_worker_init) as pool:
        for done in pool.imap_unordered(function, specs):
            total += done
            progress(done)
    return total


def seed_writeups(
    *,
    count: int,
    batch: int = 2000,
    workers: int = 2,
    seed: int = 14,
    publisher_id: int | None = None,
    progress: Callable[[int, int, float], None] | None = None,
) -> int:
    """Write ``count`` published write-ups for randomly drawn solved cases; returns how many."""
    blocker_ids = dict(BlockerType.objects.values_list("code", "pk"))
    missing = {m[4] for m in MATTERS} - blocker_ids.keys()
    if missing:
        raise ValueError(f"卡点 types missing: {sorted(missing)}")
    ids = eligible_case_ids(count, seed)
    plans = [
        Plan(tuple(ids[i : i + batch]), seed * 1_000_003 + i, publisher_id, blocker_ids)
        for i in range(0, len(ids), batch)
    ]
    return _with_progress(_run_plan, plans, len(ids), workers, progress)


def rebuild_solved_cases(*, chunk: int = 20000, batch: int = 2000, workers: int = 2, progress=None) -> int:
    """``solved_cases_rebuild`` over the case ids in ranges of ``chunk`` ids, in ``workers`` processes."""
    cases = Case.objects.filter(status__in=indexing.SOLVED_STATUSES).exclude(resolution_summary="")
    total = cases.count()
    ids = Case.objects.order_by("pk").values_list("pk", flat=True)
    first, last = ids.first(), Case.objects.order_by("-pk").values_list("pk", flat=True).first()
    if first is None or last is None:
        return 0
    specs = [(start, min(start + chunk - 1, last), batch) for start in range(first, last + 1, chunk)]
    return _with_progress(_rebuild_range, specs, total, workers, progress)


def refresh_writeups(*, chunk: int = 5000, batch: int = 500, workers: int = 2, progress=None) -> int:
    """``indexing.writeups_refresh`` over the write-up ids in ranges of ``chunk`` ids, in ``workers``
    processes."""
    ids = WriteUp.objects.order_by("pk").values_list("pk", flat=True)
    first, last = ids.first(), WriteUp.objects.order_by("-pk").values_list("pk", flat=True).first()
    if first is None or last is None:
        return 0
    specs = [(start, min(start + chunk - 1, last), batch) for start in range(first, last + 1, chunk)]
    return _with_progress(_refresh_range, specs, WriteUp.objects.count(), workers, progress)


def _refresh_range(bounds: tuple[int, int, int]) -> int:
    first, last, batch = bounds
    done = indexing.writeups_refresh(batch=batch, pk_range=(first, last))
    if _IN_WORKER:
        connections.close_all()
    return done


def _with_progress(function, specs, total, workers, progress) -> int:
    started = time.monotonic()
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, total, time.monotonic() - started)

    return _parallel(function, specs, workers, advance)
