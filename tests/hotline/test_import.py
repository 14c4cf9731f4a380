"""Must show 2: a 1,000-row export with 3 bad rows — the preview names the rows and fields, nothing is
imported until they are fixed, and importing the same file twice changes nothing."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from cases.choices import Channel
from cases.models import Case, CaseEvent
from hotline.imports import import_commit, import_preview
from hotline.models import WorkOrder
from tests.factories import build_org
from windowsvc.errors import ValidationFailed

from .helpers import make_platform

pytestmark = pytest.mark.django_db

HEADER = ["工单号", "诉求人", "联系电话", "诉求类型", "诉求内容", "事发地点", "所属区划", "办理时限", "附件"]
VILLAGES = ["330681001001", "330681001002", "330681002001", ""]


def _rows(n: int = 1000) -> list[list]:
    return [
        [
            f"SX2026{i:06d}",
            f"诉求人{i}",
            f"1380013{i:04d}",
            ["咨询", "求助", "投诉", "举报", "建议"][i % 5],
            f"第{i}件：办事跑了几次没办成",
            "浣东街道东江村" if i % 4 == 3 else "",
            VILLAGES[i % 4],
            "2026-12-20 17:00",
            "",
        ]
        for i in range(1, n + 1)
    ]


def _xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _counts():
    return (Case.objects.count(), CaseEvent.objects.count(), WorkOrder.objects.count())


def test_a_thousand_rows_with_three_bad_ones_then_fixed_then_imported_twice():
    org = build_org()
    platform, _, _ = make_platform(org)
    rows = _rows()
    rows[9][2] = "12345"  # line 11: contact
    rows[499][3] = "催办"  # line 501: request type
    rows[998][0] = rows[997][0]  # line 1000: the number of line 999 again
    bad = _xlsx(rows)

    preview = import_preview(platform=platform, name="export.xlsx", content=bad)
    assert len(preview.rows) == 1000
    assert [(e.line, e.field) for e in preview.errors] == [
        (11, "联系电话"),
        (501, "诉求类型"),
        (1000, "工单号"),
    ]
    assert "第 1000 行 工单号：与第 999 行重复。" in [str(e) for e in preview.errors]
    with pytest.raises(ValidationFailed) as refused:
        import_commit(platform=platform, name="export.xlsx", content=bad)
    assert set(refused.value.errors) == {"line 11", "line 501", "line 1000"}
    assert _counts() == (0, 0, 0)

    rows[9][2] = "13800130010"
    rows[499][3] = "投诉"
    rows[998][0] = "SX2026000999"
    good = _xlsx(rows)
    preview = import_preview(platform=platform, name="export.xlsx", content=good)
    assert (preview.errors, preview.new, preview.existing) == ([], 1000, 0)
    done = import_commit(platform=platform, name="export.xlsx", content=good)
    assert (done.new, done.existing) == (1000, 0)
    after_first = _counts()
    assert after_first[0] == after_first[2] == 1000
    assert set(Case.objects.values_list("channel", flat=True)) == {Channel.HOTLINE_12345}
    assert Case.objects.filter(window=org.windows["v2"]).count() == 500  # 250 by code, 250 by address

    again = import_commit(platform=platform, name="export.xlsx", content=good)
    assert (again.new, again.existing) == (0, 1000)
    assert _counts() == after_first


def test_csv_exports_read_the_same_and_bad_files_are_refused():
    org = build_org()
    platform, _, _ = make_platform(org)
    text = ",".join(HEADER) + "\n" + "\n".join(",".join(r) for r in _rows(3)) + "\n"
    preview = import_preview(platform=platform, name="e.csv", content=text.encode("gb18030"))
    assert (preview.new, preview.errors) == (3, [])
    with pytest.raises(ValidationFailed):
        import_preview(platform=platform, name="e.csv", content="工单号\nX\n".encode())
    with pytest.raises(ValidationFailed):
        import_preview(platform=platform, name="e.pdf", content=b"%PDF")
