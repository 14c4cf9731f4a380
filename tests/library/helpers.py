"""Solved cases and write-ups for the library tests, through the services only."""

from __future__ import annotations

from cases.choices import Complexity, HandlingMode, MatterKind
from library import services
from library.models import BlockerType
from tests.factories import take_in

IMMEDIATE = {
    "matter_kind": MatterKind.URGENT,
    "complexity": Complexity.SIMPLE,
    "handling_mode": HandlingMode.IMMEDIATE,
}


def solved_case(
    org,
    where: str = "v1",
    *,
    title="营业执照变更多次未办成",
    description=None,
    resolution="窗口协调市场监管局当场办结。",
    **overrides,
):
    """A case resolved at the window on intake (即办 with a resolution): the quickest solved case."""
    data = {"category": org.category, **IMMEDIATE, "title": title, "resolution_summary": resolution}
    if description is not None:
        data["description"] = description
    data.update(overrides)
    return take_in(org, where, **data)


def ensure_blocker_types() -> None:
    """The 卡点 list the data migration seeds (a transactional test's flush removes it)."""
    from importlib import import_module

    seed = import_module("library.migrations.0002_blocker_types_and_search_indexes")
    for code, label, description, order in seed.BLOCKER_TYPES:
        BlockerType.objects.get_or_create(
            code=code, defaults={"label": label, "description": description, "sort_order": order}
        )


def blocker(code: str = "cross_department") -> BlockerType:
    ensure_blocker_types()
    return BlockerType.objects.get(code=code)


def draft(org, case=None, *, actor=None, **fields):
    case = case or solved_case(org)
    data = {
        "title": "经营范围变更三次被退回",
        "problem": "申请人申请变更经营范围三次被退回，原因说法不一。",
        "blocker_type": blocker(),
        "blocker_note": "市场监管与审批部门对经营范围表述口径不一。",
        "solution": "窗口牵头召集市场监管局，统一表述口径，当场办结。",
        "basis": "《市场主体登记管理条例》",
        "lessons": "统一口径，一次告知。",
    }
    data.update(fields)
    return services.writeup_create(actor=actor or org["v1_clerk"], case_id=case.pk, **data)


def published(org, case=None, *, typical=False, **fields):
    writeup = draft(org, case, **fields)
    services.writeup_submit(actor=org["v1_clerk"], writeup_id=writeup.pk)
    services.writeup_publish(actor=org["t1_supervisor"], writeup_id=writeup.pk)
    if typical:
        services.writeup_mark_typical(actor=org["t1_supervisor"], writeup_id=writeup.pk)
    writeup.refresh_from_db()
    return writeup
