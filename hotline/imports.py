"""Batch import of a 12345 platform's work-order export (XLSX or CSV): preview, then all-or-nothing.

``import_preview`` reads the file and checks every row with the push API's rules (``services.order_clean``)
plus the file's own: a work-order number twice in the file. Errors name the line as a spreadsheet shows it
(the header is line 1) and the field by its column title. ``import_commit`` refuses a file with any error
(``ValidationFailed``, nothing written) and otherwise takes every new order in, in one transaction; orders
already taken in (pushed or imported before) are skipped, so the same file twice changes nothing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from windowsvc.errors import ValidationFailed

from .models import HotlinePlatform, WorkOrder
from .services import order_clean, work_order_take_in

# Column titles as the platforms export them (and our own field names) → fields.
COLUMNS = {
    "工单号": "number",
    "工单编号": "number",
    "诉求人": "requester_name",
    "来电人": "requester_name",
    "联系电话": "contact",
    "来电号码": "contact",
    "诉求类型": "request_type",
    "诉求内容": "content",
    "事发地点": "location",
    "所属区划": "region_code",
    "区划代码": "region_code",
    "办理时限": "due_at",
    "附件": "attachments",
}
COLUMNS.update({name: name for name in set(COLUMNS.values())})
TITLES = {
    "number": "工单号",
    "requester_name": "诉求人",
    "contact": "联系电话",
    "request_type": "诉求类型",
    "content": "诉求内容",
    "location": "事发地点",
    "region_code": "所属区划",
    "due_at": "办理时限",
    "attachments": "附件",
}
MAX_ROWS = 20_000


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return _("第 %(line)s 行 %(field)s：%(message)s") % {
            "line": self.line,
            "field": self.field,
            "message": self.message,
        }


@dataclass
class Preview:
    """What a file would do: rows read, orders new and already known, and every error by line."""

    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    new: int = 0
    existing: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _cells(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip()
    return "" if value is None else value


def read_rows(*, name: str, content: bytes) -> list[tuple[int, dict[str, Any]]]:
    """The file's data rows as (line, {field: value}); ``ValidationFailed`` for an unreadable file."""
    if name.lower().endswith(".xlsx"):
        table = _xlsx(content)
    elif name.lower().endswith(".csv"):
        table = _csv(content)
    else:
        raise ValidationFailed({"file": [_("只支持 .xlsx 或 .csv 文件。")]})
    header = [str(_cells(h)) for h in next(table, [])]
    fields = [COLUMNS.get(h) for h in header]
    missing = {"number", "requester_name", "contact", "request_type", "content"} - set(fields)
    if missing:
        raise ValidationFailed(
            {"file": [_("缺少列：%(cols)s") % {"cols": "、".join(TITLES[f] for f in sorted(missing))}]}
        )
    rows = []
    for line, values in enumerate(table, start=2):
        if line - 1 > MAX_ROWS:
            raise ValidationFailed({"file": [_("一次最多导入 %(n)s 行。") % {"n": MAX_ROWS}]})
        cells = list(values)
        if not any(_cells(c) != "" for c in cells):
            continue
        row = {f: _cells(c) for f, c in zip(fields, cells, strict=False) if f}
        rows.append((line, row))
    return rows


def _xlsx(content: bytes) -> Iterable[list[Any]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:
        raise ValidationFailed({"file": [_("无法读取该 XLSX 文件。")]}) from None
    return (list(r) for r in book.active.iter_rows(values_only=True))


def _csv(content: bytes) -> Iterable[list[Any]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValidationFailed({"file": [_("无法识别 CSV 文件的编码。")]})
    return iter(list(csv.reader(io.StringIO(text))))


def import_preview(*, platform: HotlinePlatform, name: str, content: bytes) -> Preview:
    """Check a file without writing anything."""
    preview = Preview(rows=read_rows(name=name, content=content))
    known = set(WorkOrder.objects.filter(platform=platform).values_list("number", flat=True))
    seen: dict[str, int] = {}
    for line, row in preview.rows:
        try:
            clean = order_clean(row)
        except ValidationFailed as exc:
            for name_, messages in exc.errors.items():
                preview.errors.extend(RowError(line, TITLES.get(name_, name_), m) for m in messages)
            continue
        number = clean["number"]
        if number in seen:
            preview.errors.append(
                RowError(line, TITLES["number"], _("与第 %(line)s 行重复。") % {"line": seen[number]})
            )
            continue
        seen[number] = line
        if number in known:
            preview.existing += 1
        else:
            preview.new += 1
    return preview


def import_commit(*, platform: HotlinePlatform, name: str, content: bytes) -> Preview:
    """Take in every new order of a file without errors, all in one transaction; else nothing."""
    preview = import_preview(platform=platform, name=name, content=content)
    if preview.errors:
        raise ValidationFailed({f"line {e.line}": [str(e)] for e in preview.errors})
    created = 0
    with transaction.atomic():
        for _line, row in preview.rows:
            created += work_order_take_in(platform=platform, data=row, via="import").created
    preview.new, preview.existing = created, len(preview.rows) - created
    return preview
