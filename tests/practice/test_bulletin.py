"""The quarterly bulletin (季通报) and the annual summary list the standing-practice items opened and
completed in the period, within the region the supervisor looks at (``supervision.reports`` asks
``practice.selectors.period_items``; practice never imports supervision)."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.http import HttpRequest
from django.urls import reverse
from openpyxl import load_workbook

from practice import services
from supervision import reports, selectors
from supervision.periods import QUARTER, YEAR, parse_period
from tests.factories import PASSWORD

from .helpers import cluster_in, item_on

pytestmark = pytest.mark.django_db
BJ = ZoneInfo("Asia/Shanghai")


def at(month, day):
    return time_machine.travel(datetime(2026, month, day, 10, tzinfo=BJ), tick=False)


@pytest.fixture
def items(org):
    with at(2, 2):
        problem = cluster_in(org, "t1")
        done = item_on(problem, org["t1_supervisor"], org.dept("t1_office"), title="修订低保办事指南")
        still_open = item_on(problem, org["t1_supervisor"], org.dept("t1_office"), title="培训窗口人员")
        other_town = item_on(
            cluster_in(org, "t2", lead_key="t2_office"),
            org["t2_supervisor"],
            org.dept("t2_office"),
            title="浣东事项",
        )
    with at(3, 10):
        services.practice_item_submit(actor=org["t1_office_head"], item_id=done.pk, evidence="指南已发布")
        services.practice_item_accept(actor=org["t1_supervisor"], item_id=done.pk)
    with at(4, 8):
        later = item_on(problem, org["t1_supervisor"], org.dept("t1_office"), title="第二季度立项")
    return {"done": done, "open": still_open, "t2": other_town, "later": later}


def _report(user, code, key, kind=QUARTER):
    with at(7, 1):
        node = selectors.region_node(user=user, code=code)
        period = parse_period(key, default_kind=kind, now=datetime(2026, 7, 1, tzinfo=BJ))
        return reports.period_report(user=user, node=node, period=period, now=datetime(2026, 7, 1, tzinfo=BJ))


def titles(items):
    return sorted(item.title for item in items)


def test_the_quarter_lists_what_was_opened_and_completed_in_it(org, items):
    report = _report(org["county_supervisor"], "330681", "2026-Q1")
    assert titles(report.practice.opened) == ["修订低保办事指南", "培训窗口人员", "浣东事项"]
    assert titles(report.practice.completed) == ["修订低保办事指南"]
    town = _report(org["t1_supervisor"], "330681001", "2026-Q1")
    assert titles(town.practice.opened) == ["修订低保办事指南", "培训窗口人员"]
    second = _report(org["county_supervisor"], "330681", "2026-Q2")
    assert (titles(second.practice.opened), second.practice.completed) == (["第二季度立项"], [])
    year = _report(org["county_supervisor"], "330681", "2026", kind=YEAR)
    assert len(year.practice.opened) == 4 and titles(year.practice.completed) == ["修订低保办事指南"]


def test_the_bulletin_page_and_its_xlsx(client, org, items):
    client.login(request=HttpRequest(), username="t1_supervisor", password=PASSWORD)
    url = reverse("supervision:bulletin")
    with at(7, 1):
        page = client.get(url, {"region": "330681001", "period": "2026-Q1"}).content.decode()
        download = client.get(url, {"region": "330681001", "period": "2026-Q1", "format": "xlsx"})
    assert "六、常态建设" in page and "培训窗口人员" in page and "浣东事项" not in page
    assert f'data-item="{items["done"].pk}" data-list="completed"' in page
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content)), read_only=True)["常态建设"]
    rows = list(sheet.iter_rows(values_only=True))
    assert [(row[0], row[2]) for row in rows[1:]] == [
        ("本期立项", "修订低保办事指南"),
        ("本期立项", "培训窗口人员"),
        ("本期完成", "修订低保办事指南"),
    ]
