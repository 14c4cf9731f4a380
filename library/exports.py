"""Export of a quarter's typical cases (典型案例) as XLSX, with openpyxl's write-only workbook (as
``supervision.exports``). Staff version of the text: the export is for training inside the government, and
it holds only write-ups the user may see."""

from __future__ import annotations

import tempfile

from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _columns() -> list[str]:
    return [
        _("序号"),
        _("案例标题"),
        _("事项类别"),
        _("卡点类型"),
        _("反映问题"),
        _("卡点说明"),
        _("解决办法"),
        _("政策或法律依据"),
        _("涉及部门"),
        _("办理用时（工作日）"),
        _("经验启示"),
        _("列为典型时间"),
    ]


def typical_xlsx(writeups, *, filename: str) -> FileResponse:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("典型案例"))
    sheet.append(_columns())
    for number, w in enumerate(writeups, start=1):
        sheet.append(
            [
                number,
                w.title,
                w.category.name if w.category_id else "",
                w.blocker_type.label,
                w.problem,
                w.blocker_note,
                w.solution,
                w.basis,
                "、".join(d.name for d in w.departments.all()),
                w.working_days,
                w.lessons,
                timezone.localtime(w.typical_at).strftime("%Y-%m-%d") if w.typical_at else "",
            ]
        )
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    workbook.save(handle)
    handle.seek(0)
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=XLSX_TYPE)
