"""After an item is done its page shows how many matters of its cluster came in before and since completion,
over the same length each side (the days since, at most the detector's window)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from practice import selectors, services
from practice.choices import RecurringKind
from practice.models import RecurringProblem

from .helpers import Row, bulk_cases, cluster_in, item_on

pytestmark = pytest.mark.django_db
BJ = ZoneInfo("Asia/Shanghai")


def at(month, day):
    return time_machine.travel(datetime(2026, month, day, 10, tzinfo=BJ), tick=False)


def _done(org, problem):
    item = item_on(problem, org["county_supervisor"], org.dept("t1_office"))
    services.practice_item_submit(actor=org["t1_office_head"], item_id=item.pk, evidence="已完成")
    services.practice_item_accept(actor=org["county_supervisor"], item_id=item.pk)
    item.refresh_from_db()
    return item


def test_category_and_department_cluster(org):
    lead = org.dept("t1_office")
    with at(1, 20):
        problem = cluster_in(org, "t1")
    with at(2, 1):
        item = _done(org, problem)
    row = Row("低保又被退回", "x", "v1", org.category, lead, datetime(2026, 2, 20, tzinfo=BJ))
    other_lead = Row("低保", "x", "v1", org.category, org.dept("market"), datetime(2026, 2, 21, tzinfo=BJ))
    bulk_cases(org, [row, other_lead])
    effect = selectors.item_effect(item, now=datetime(2026, 3, 1, 10, tzinfo=BJ))
    assert (effect.days, effect.before, effect.since) == (28, 3, 1)


def test_text_cluster(org):
    text = "老旧小区加装电梯规划许可办不下来，业主都同意了，规划和住建互相推诿。"
    with at(1, 20):
        bulk_cases(org, [Row(f"加装电梯审批难{i}", text, ("v1", "t2", "county")[i]) for i in range(3)])
        services.recurring_problems_detect()
        problem = RecurringProblem.objects.get(kind=RecurringKind.SIMILAR_TEXT)
    with at(2, 1):
        item = _done(org, problem)
    later = [
        Row(
            "加装电梯规划许可仍办不下来",
            "小区加装电梯，业主同意，规划许可不批。",
            "v2",
            taken_in_at=datetime(2026, 2, 10, tzinfo=BJ),
        ),
        Row(
            "医保报销电话打不通",
            "医保报销咨询电话无人接听。",
            "v2",
            taken_in_at=datetime(2026, 2, 11, tzinfo=BJ),
        ),
    ]
    bulk_cases(org, later)  # not segmented by the detector yet: the count segments them itself
    effect = selectors.item_effect(item, now=datetime(2026, 4, 1, 10, tzinfo=BJ))
    assert (effect.days, effect.before, effect.since) == (59, 3, 1)
