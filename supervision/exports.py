"""Exports: any filtered case list as CSV or XLSX (streamed), and the bulletins as XLSX.

Case lists are ``cases.selectors.case_list_visible(user)`` narrowed by the cases' own ``CaseFilterSet``
(the same parameters as ``/api/v1/cases/``), plus ``node=<region code>`` for a supervisor's region (cases
taken in or held there): a filter can never widen the user's scope. Personal data is masked (names and
phones, as on every list). Rows are read in chunks (``iterator``) and written as they come: CSV goes out
row by row; XLSX is written by openpyxl's write-only workbook (rows are flushed to a temporary file, not
kept in memory) and then streamed from that file in chunks.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from cases import selectors as case_selectors
from cases.choices import Light, MatterKind
from cases.filtersets import CaseFilterSet
from routing.models import Region
from windowsvc.personal import mask_name

from .selectors import in_node

CHUNK_ROWS = 2000
FILE_CHUNK_BYTES = 64 * 1024
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _columns() -> list[str]:
    return [
        _("受理编号"),
        _("事项标题"),
        _("反映人"),
        _("联系电话"),
        _("事项类别"),
        _("事项性质"),
        _("受理区划"),
        _("受理窗口"),
        _("来源渠道"),
        _("受理人"),
        _("主办部门"),
        _("状态"),
        _("时限灯"),
        _("受理时间"),
        _("办结时限"),
        _("办结时间"),
        _("是否按期"),
        _("退回次数"),
        _("转办次数"),
        _("重办次数"),
        _("回访满意度"),
    ]


def export_queryset(*, user, params, now: datetime):
    """The cases to export: visible to ``user``, filtered by ``params`` (``CaseFilterSet`` + ``node``)."""
    queryset = case_selectors.case_list_visible(user=user).select_related("clerk")
    node_code = (params.get("node") or "").strip()
    if node_code:
        path = Region.objects.filter(code=node_code).values_list("path", flat=True).first()
        queryset = queryset.filter(in_node(path)) if path else queryset.none()
    queryset = CaseFilterSet(params, queryset=queryset).qs
    if "light" not in queryset.query.annotations:
        queryset = queryset.with_light(now)
    if "on_time" not in queryset.query.annotations:
        queryset = queryset.with_on_time(now)
    return queryset.order_by("-taken_in_at", "-id")


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _row(case) -> list:
    requester = case.requester
    light = Light(case.light).label if case.light else ""
    on_time = {True: _("按期"), False: _("超期")}.get(case.on_time, "")
    return [
        case.tracking_number,
        case.title,
        mask_name(requester.name),
        requester.masked_phone,
        case.category.name if case.category else "",
        MatterKind(case.matter_kind).label if case.matter_kind else "",
        case.region.name,
        case.window.name,
        case.get_channel_display(),
        case.taken_in_by,
        case.lead_department.name if case.lead_department else "",
        case.get_status_display(),
        str(light),
        _local(case.taken_in_at),
        _local(case.due_at),
        _local(case.resolved_at),
        str(on_time),
        case.return_count,
        case.transfer_count,
        case.reopen_count,
        case.get_callback_satisfaction_display() if case.callback_satisfaction else "",
    ]


def case_rows(queryset) -> Iterator[list]:
    for case in queryset.iterator(chunk_size=CHUNK_ROWS):
        yield _row(case)


class _Echo:
    """A file-like object whose ``write`` hands back what it got (csv.writer into a generator)."""

    def write(self, value: str) -> str:
        return value


def _csv_stream(rows: Iterator[list]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # so that spreadsheet programs read the file as UTF-8
    yield writer.writerow([safe_cell(v) for v in _columns()])
    for row in rows:
        yield writer.writerow([safe_cell(v) for v in row])


# A text cell starting with one of these is a formula (or becomes one) in a spreadsheet program.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """A cell value as every export writes it (CSV and XLSX): lazy translations as text, decimals as
    numbers, and text that a spreadsheet would run as a formula neutralised with a leading apostrophe
    (a case title is anyone's input, e.g. through Open311). Numbers stay numbers."""
    if isinstance(value, Promise):
        value = str(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _file_chunks(handle) -> Iterator[bytes]:
    try:
        while chunk := handle.read(FILE_CHUNK_BYTES):
            yield chunk
    finally:
        handle.close()


def xlsx_stream(sheets: list[tuple[str, list[str], Iterator[list]]]) -> Iterator[bytes]:
    """Write sheets ``(title, header, rows)`` with a write-only workbook into a temporary file, then yield
    that file in chunks (memory stays flat whatever the number of rows)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for title, header, rows in sheets:
        sheet = workbook.create_sheet(title=str(title)[:31])
        sheet.append([safe_cell(v) for v in header])
        for row in rows:
            sheet.append([safe_cell(v) for v in row])
    handle = tempfile.TemporaryFile()  # noqa: SIM115 (closed by _file_chunks once streamed)
    workbook.save(handle)
    handle.seek(0)
    return _file_chunks(handle)


def _attachment(response: StreamingHttpResponse, filename: str) -> StreamingHttpResponse:
    from urllib.parse import quote

    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    response["Cache-Control"] = "no-store"
    return response


def case_export_response(*, user, params, fmt: str, now: datetime) -> StreamingHttpResponse:
    queryset = export_queryset(user=user, params=params, now=now)
    stamp = timezone.localtime(now).strftime("%Y%m%d-%H%M")
    if fmt == "xlsx":
        response = StreamingHttpResponse(
            xlsx_stream([(_("案件"), _columns(), case_rows(queryset))]), content_type=XLSX_TYPE
        )
        return _attachment(response, f"cases-{stamp}.xlsx")
    response = StreamingHttpResponse(_csv_stream(case_rows(queryset)), content_type="text/csv; charset=utf-8")
    return _attachment(response, f"cases-{stamp}.csv")


def report_xlsx_response(report) -> StreamingHttpResponse:
    """The quarterly bulletin or annual summary (``supervision.reports.PeriodReport``) as XLSX."""
    from .reports import report_sheets

    response = StreamingHttpResponse(xlsx_stream(report_sheets(report)), content_type=XLSX_TYPE)
    return _attachment(response, f"{report.filename}.xlsx")
