"""Import of a yearly schedule (the State Council's notice, transcribed): the YAML/CSV parsers
(``parse_schedule``) and the import services (``calendar_import``, ``calendar_import_file``)."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import NamedTuple

from django.db import transaction
from django.utils.translation import gettext

from windowsvc.errors import ServiceError

from .horizon import _resolve_alerts, calendar_horizon
from .models import CalendarSource, DayReason
from .seed import _DayRow, _days_of, _plain_row, _reconcile_national
from .snapshot import _calendar_changed, _calendar_loaded, calendar_cache_clear


class CalendarImportError(ServiceError):
    """A schedule file that cannot be imported; ``errors`` is a list of (line or None, message)."""

    def __init__(self, errors: list[tuple[int | None, str]]):
        self.errors = sorted(errors, key=lambda item: (item[0] or 0, item[1]))
        super().__init__("\n".join(self.lines()))

    def lines(self, source: str = "") -> list[str]:
        prefix = f"{source}:" if source else ""
        return [
            f"{prefix}{line}: {message}" if line else f"{prefix} {message}".strip()
            for line, message in self.errors
        ]


@dataclass(frozen=True)
class ScheduleEntry:
    day: date
    is_working_day: bool
    name: str
    line: int


@dataclass(frozen=True)
class Schedule:
    """One year's official schedule: days off (放假) and make-up working days (调休上班), by holiday."""

    year: int
    entries: tuple[ScheduleEntry, ...]
    example: bool = False
    example_line: int | None = None

    def rows(self) -> dict[date, _DayRow]:
        """Every date of the year: the listed days as given, the rest by the weekend rule."""
        listed = {entry.day: entry for entry in self.entries}
        rows = {}
        for day in _days_of(self.year):
            entry = listed.get(day)
            if entry is None:
                rows[day] = _plain_row(day)
            elif entry.is_working_day:
                rows[day] = _DayRow(True, DayReason.ADJUSTED_WORKDAY.value, entry.name)
            else:
                rows[day] = _DayRow(False, DayReason.HOLIDAY.value, entry.name)
        return rows


_DAYS_SPEC = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})\s*(?:\.\.\s*(\d{4}-\d{2}-\d{2})\s*)?$")
_MAX_RANGE_DAYS = 31  # the longest official break is 9 days; a longer range is a typo
_WEEKDAYS = "一二三四五六日"


def _expand_days(spec: str, line: int, errors: list) -> list[date]:
    """``2027-02-06`` or ``2027-02-06..2027-02-13`` (inclusive) → dates."""
    match = _DAYS_SPEC.match(spec)
    if not match:
        errors.append(
            (
                line,
                gettext("无法识别的日期“%(value)s”，应为 YYYY-MM-DD 或 YYYY-MM-DD..YYYY-MM-DD。")
                % {"value": spec},
            )
        )
        return []
    try:
        first = date.fromisoformat(match.group(1))
        last = date.fromisoformat(match.group(2)) if match.group(2) else first
    except ValueError:
        errors.append((line, gettext("日期“%(value)s”不存在。") % {"value": spec}))
        return []
    if last < first:
        errors.append((line, gettext("日期范围“%(value)s”的结束早于开始。") % {"value": spec}))
        return []
    if (last - first).days >= _MAX_RANGE_DAYS:
        errors.append(
            (line, gettext("日期范围“%(value)s”超过 %(n)s 天。") % {"value": spec, "n": _MAX_RANGE_DAYS})
        )
        return []
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _check_entries(year: int | None, entries: list[ScheduleEntry], errors: list) -> None:
    seen: dict[date, int] = {}
    for entry in entries:
        if year is not None and entry.day.year != year:
            errors.append(
                (entry.line, gettext("日期 %(day)s 不在 %(year)s 年。") % {"day": entry.day, "year": year})
            )
        if entry.day in seen:
            errors.append(
                (
                    entry.line,
                    gettext("日期 %(day)s 重复（第 %(first)s 行已列出）。")
                    % {"day": entry.day, "first": seen[entry.day]},
                )
            )
        else:
            seen[entry.day] = entry.line
        if entry.is_working_day and entry.day.weekday() < 5:
            errors.append(
                (
                    entry.line,
                    gettext("调休上班日 %(day)s 是星期%(weekday)s；调休上班只会在周六或周日。")
                    % {"day": entry.day, "weekday": _WEEKDAYS[entry.day.weekday()]},
                )
            )
    if not any(not entry.is_working_day for entry in entries):
        errors.append((None, gettext("文件没有列出任何放假日期。")))


def _parse_yaml(text: str) -> Schedule:
    import yaml
    from yaml.nodes import MappingNode, ScalarNode, SequenceNode

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise CalendarImportError(
            [
                (
                    mark.line + 1 if mark else None,
                    gettext("YAML 格式错误：%(problem)s") % {"problem": exc.problem or exc},
                )
            ]
        ) from exc
    except yaml.YAMLError as exc:
        raise CalendarImportError([(None, gettext("YAML 格式错误：%(problem)s") % {"problem": exc})]) from exc

    errors: list[tuple[int | None, str]] = []

    def line_of(node) -> int:
        return node.start_mark.line + 1

    def scalar(node, what: str) -> str | None:
        if isinstance(node, ScalarNode) and node.value.strip():
            return node.value.strip()
        errors.append((line_of(node), gettext("%(what)s应为一个值。") % {"what": what}))
        return None

    def mapping(node, allowed: set[str], what: str) -> dict:
        if not isinstance(node, MappingNode):
            errors.append((line_of(node), gettext("%(what)s应为键值映射。") % {"what": what}))
            return {}
        found = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else None
            if key not in allowed:
                errors.append(
                    (
                        line_of(key_node),
                        gettext("未知的键“%(key)s”（可用：%(allowed)s）。")
                        % {"key": key, "allowed": "、".join(sorted(allowed))},
                    )
                )
            elif key in found:
                errors.append((line_of(key_node), gettext("键“%(key)s”重复。") % {"key": key}))
            else:
                found[key] = value_node
        return found

    if root is None:
        raise CalendarImportError([(1, gettext("文件为空。"))])
    top = mapping(root, {"year", "example", "note", "holidays"}, gettext("文件"))
    year = None
    if "year" not in top:
        errors.append((1, gettext("缺少年份（year）。")))
    else:
        value = scalar(top["year"], "year")
        if value is not None:
            if value.isdigit() and 2000 <= int(value) <= 2100:
                year = int(value)
            else:
                errors.append((line_of(top["year"]), gettext("年份“%(value)s”无效。") % {"value": value}))
    example, example_line = False, None
    if "example" in top:
        value = scalar(top["example"], "example")
        if value is not None:
            if value.lower() not in {"true", "false", "yes", "no"}:
                errors.append((line_of(top["example"]), gettext("example 应为 true 或 false。")))
            example = value.lower() in {"true", "yes"}
            example_line = line_of(top["example"])

    entries: list[ScheduleEntry] = []
    holidays = top.get("holidays")
    if holidays is None:
        errors.append((1, gettext("缺少节假日列表（holidays）。")))
    elif not isinstance(holidays, SequenceNode):
        errors.append((line_of(holidays), gettext("holidays 应为列表。")))
    else:
        for item in holidays.value:
            fields = mapping(item, {"name", "off", "work"}, gettext("每个节日"))
            if not fields:
                continue
            name = scalar(fields["name"], "name") if "name" in fields else None
            if "name" not in fields:
                errors.append((line_of(item), gettext("缺少节日名称（name）。")))
            if "off" not in fields:
                errors.append((line_of(item), gettext("缺少放假日期（off）。")))
            for key, working in (("off", False), ("work", True)):
                node = fields.get(key)
                if node is None:
                    continue
                specs = node.value if isinstance(node, SequenceNode) else [node]
                for spec in specs:
                    value = scalar(spec, key)
                    if value is None:
                        continue
                    for day in _expand_days(value, line_of(spec), errors):
                        entries.append(ScheduleEntry(day, working, name or "", line_of(spec)))
    _check_entries(year, entries, errors)
    if errors or year is None:
        raise CalendarImportError(errors)
    return Schedule(year, tuple(entries), example, example_line)


_CSV_KINDS = {"off": False, "放假": False, "holiday": False, "work": True, "上班": True, "workday": True}


def _parse_csv(text: str) -> Schedule:
    errors: list[tuple[int | None, str]] = []
    entries: list[ScheduleEntry] = []
    header_seen = False
    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        cells = [cell.strip() for cell in next(csv.reader([raw]))]
        if not header_seen:
            header_seen = True
            if [cell.lower() for cell in cells] != ["date", "type", "name"]:
                errors.append((number, gettext("第一行应为表头 date,type,name。")))
                break
            continue
        if len(cells) != 3:
            errors.append(
                (number, gettext("应有 3 列（date,type,name），实有 %(n)s 列。") % {"n": len(cells)})
            )
            continue
        spec, kind, name = cells
        if kind.lower() not in _CSV_KINDS:
            errors.append(
                (
                    number,
                    gettext("类型“%(kind)s”无效，应为 off（放假）或 work（调休上班）。") % {"kind": kind},
                )
            )
            continue
        if not name:
            errors.append((number, gettext("缺少节日名称。")))
        for day in _expand_days(spec, number, errors):
            entries.append(ScheduleEntry(day, _CSV_KINDS[kind.lower()], name, number))
    if not header_seen:
        errors.append((1, gettext("文件为空。")))
    years = sorted({entry.day.year for entry in entries})
    year = years[0] if years else None
    _check_entries(year, entries, errors)
    if errors or year is None:
        raise CalendarImportError(errors)
    return Schedule(year, tuple(entries))


def parse_schedule(text: str, *, fmt: str) -> Schedule:
    """Parse a schedule file (``fmt`` "yaml" or "csv"); raises ``CalendarImportError`` with line numbers.

    YAML::

        year: 2027
        holidays:
          - name: 春节
            off: [2027-02-05..2027-02-13]     # days off, single dates or inclusive ranges
            work: [2027-02-14, 2027-02-20]    # make-up working days (调休上班), weekends only

    CSV (one year per file; ``#`` lines are comments)::

        date,type,name
        2027-02-05..2027-02-13,off,春节
        2027-02-14,work,春节
    """
    if fmt == "yaml":
        return _parse_yaml(text)
    if fmt == "csv":
        return _parse_csv(text)
    raise CalendarImportError([(None, gettext("不支持的格式“%(fmt)s”，应为 yaml 或 csv。") % {"fmt": fmt})])


class CalendarImportResult(NamedTuple):
    year: int
    created: int
    updated: int
    days_off: int
    make_up_days: int
    horizon: date | None


def calendar_import(
    *, text: str, fmt: str, source_name: str = "", allow_example: bool = False, dry_run: bool = False
) -> CalendarImportResult:
    """Import one year's official schedule: every date of that year becomes a national row.

    All or nothing: the file is checked completely first (every error with its line), then written in one
    transaction, which also computes again the provisional deadlines of open cases (``calendar_loaded``;
    ``cases.sla.provisional_deadlines_recompute``) and clears their flag where they are now exact.
    Idempotent: importing the same file again changes nothing. The imported year replaces
    that year's national rows whatever their source (the notice is authoritative); county rows stay.
    A file marked ``example: true`` is refused unless ``allow_example``.
    """
    schedule = parse_schedule(text, fmt=fmt)
    if schedule.example and not allow_example:
        raise CalendarImportError(
            [
                (
                    schedule.example_line,
                    gettext(
                        "这是示例文件（example: true），不是国务院公布的安排；确需导入请加 --allow-example。"
                    ),
                )
            ]
        )
    days_off = sum(1 for entry in schedule.entries if not entry.is_working_day)
    make_up = len(schedule.entries) - days_off
    if dry_run:
        return CalendarImportResult(schedule.year, 0, 0, days_off, make_up, calendar_horizon())
    all_sources = frozenset(CalendarSource.values)
    try:
        with transaction.atomic():
            created, updated = _reconcile_national(
                schedule.rows(),
                source=CalendarSource.IMPORT.value,
                note=source_name[:200],
                overwrite=all_sources,
            )
            _resolve_alerts([schedule.year])
            # Provisional deadlines of open cases are computed again on the new days, in this transaction.
            _calendar_loaded([schedule.year])
    except BaseException:
        calendar_cache_clear()  # no snapshot of the rolled-back days may survive
        raise
    _calendar_changed()
    return CalendarImportResult(schedule.year, created, updated, days_off, make_up, calendar_horizon())


def calendar_import_file(*, path: str | Path, fmt: str | None = None, **options) -> CalendarImportResult:
    """:func:`calendar_import` of a file; the format follows the suffix (.yaml/.yml/.csv) unless given."""
    path = Path(path)
    if fmt is None:
        fmt = {".yaml": "yaml", ".yml": "yaml", ".csv": "csv"}.get(path.suffix.lower(), "")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CalendarImportError([(None, gettext("无法读取文件：%(error)s") % {"error": exc})]) from exc
    return calendar_import(text=text, fmt=fmt, source_name=path.name, **options)
