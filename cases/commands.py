"""Each workflow command's input, declared once: the fields, their kinds, what is required.

The declarations sit in the command's row of ``cases.workflow.RULES`` (``inputs=``). From them:

- ``clean_inputs`` validates a command's input, once, inside ``workflow.run`` (after the state, the actor's
  relation and the guards are checked, so a command the state forbids is 409 whatever was sent); every
  error of a request comes back together as ``ValidationFailed`` (400, field → messages);
- ``cases.api.serializers.command_input_serializer`` builds the API's request schema (documentation only:
  the view hands the body to the service unvalidated);
- ``cases.forms.CommandForm`` marks the required fields of a page's form;
- ``cases.services.command`` checks that each service's keyword arguments are exactly these names.

Business rules that need the case or the database (is this department in the county, is this the
department's assignment, is this date in the future) stay in the command's handler in ``cases.workflow``;
what can be said of a value alone (kind, required, bounds, choices) is said here.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from windowsvc.errors import ValidationFailed


class Kind(enum.StrEnum):
    """What a value of an input is, once cleaned."""

    TEXT = "text"  # str, stripped ("" when absent)
    BOOL = "bool"  # True / False (the input's default when absent)
    INT = "int"  # a whole number within bounds (None when absent)
    ID = "id"  # a primary key ≥ 1, given as a number, a digit string or a model instance (None when absent)
    IDS = "ids"  # a list of distinct primary keys, in the order given ([] when absent)
    CHOICE = "choice"  # one value of a choices enum ("" when absent)
    WHEN = "when"  # a date (YYYY-MM-DD) or an aware datetime (None when absent)
    DATETIME = "datetime"  # an aware datetime (None when absent)
    OBJECT = "object"  # a mapping or a model instance, checked by the handler (intake's requester)


_EMPTY: dict[Kind, Any] = {Kind.TEXT: "", Kind.CHOICE: "", Kind.IDS: []}


@dataclass(frozen=True)
class Input:
    """One field of a command's input.

    ``default`` is the value when the field is absent (a boolean's default, or None for "leave as is");
    ``choices`` names the enum of a CHOICE field and ``allowed`` optionally narrows it; ``help`` is shown
    in the API schema.
    """

    name: str
    kind: Kind
    required: bool = False
    default: Any = None
    choices: type[models.TextChoices] | None = None
    allowed: tuple[str, ...] | None = None
    min_value: int | None = None
    max_value: int | None = None
    max_length: int | None = None
    help: str = ""

    @property
    def absent(self) -> Any:
        """The cleaned value of a field that was not given."""
        if self.kind in _EMPTY:
            return list(_EMPTY[self.kind]) if self.kind is Kind.IDS else _EMPTY[self.kind]
        return self.default

    @property
    def choice_values(self) -> tuple[str, ...]:
        values = tuple(self.choices.values) if self.choices is not None else ()
        return tuple(v for v in values if self.allowed is None or v in self.allowed)

    def clean(self, value: Any) -> Any:
        """The typed value of ``value`` (``absent`` for None or blank); raises ``ValueError(message)``."""
        if _blank(value):
            return self.absent
        return _CLEANERS[self.kind](self, value)


# --- Declaring inputs (used in the rows of cases.workflow.RULES) -------------------------------------


def text(name: str, *, required: bool = False, max_length: int | None = None, help: str = "") -> Input:
    return Input(name, Kind.TEXT, required=required, max_length=max_length, help=help)


def flag(name: str, *, default: bool | None = False, required: bool = False, help: str = "") -> Input:
    return Input(name, Kind.BOOL, required=required, default=default, help=help)


def number(name: str, *, required: bool = False, min_value: int = 1, max_value: int | None = None,
           help: str = "") -> Input:  # fmt: skip
    return Input(name, Kind.INT, required=required, min_value=min_value, max_value=max_value, help=help)


def ref(name: str, *, required: bool = False, help: str = "") -> Input:
    return Input(name, Kind.ID, required=required, help=help)


def refs(name: str, *, help: str = "") -> Input:
    return Input(name, Kind.IDS, help=help)


def choice(name: str, choices: type[models.TextChoices], *, required: bool = False,
           allowed: Iterable[str] | None = None, help: str = "") -> Input:  # fmt: skip
    narrowed = tuple(str(v) for v in allowed) if allowed is not None else None
    return Input(name, Kind.CHOICE, required=required, choices=choices, allowed=narrowed, help=help)


def when(name: str, *, help: str = "") -> Input:
    return Input(name, Kind.WHEN, help=help)


def moment(name: str, *, help: str = "") -> Input:
    return Input(name, Kind.DATETIME, help=help)


def nested(name: str, *, required: bool = False, help: str = "") -> Input:
    return Input(name, Kind.OBJECT, required=required, help=help)


# Every command takes it besides its own inputs: the version the caller read (409 when the case changed).
EXPECTED_VERSION = Input("expected_version", Kind.INT, min_value=0)


# --- Cleaning --------------------------------------------------------------------------------------


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple | set | frozenset | dict):
        return not value
    return False


def _clean_text(spec: Input, value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(_("应为文本。"))
    stripped: str = value.strip()
    if spec.max_length is not None and len(stripped) > spec.max_length:
        raise ValueError(_("最多 %(count)s 个字。") % {"count": spec.max_length})
    return stripped


def _clean_bool(spec: Input, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    # Form posts and query strings carry booleans as text.
    if isinstance(value, str) and value.strip().lower() in {"true", "1", "on", "yes"}:
        return True
    if isinstance(value, str) and value.strip().lower() in {"false", "0", "off", "no"}:
        return False
    raise ValueError(_("应为是或否。"))


# A database integer (bigint): a larger number is no id and no count, and would overflow the query (a 500).
_LARGEST = 2**63 - 1


def _whole_number(value: Any) -> int | None:
    """An int given as a number or a digit string (not a bool) within the database's range; None for
    anything else."""
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 19:
        value = int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool) and -_LARGEST <= value <= _LARGEST:
        return value
    return None


def _clean_int(spec: Input, raw: Any) -> int:
    value = _whole_number(raw)
    if value is None:
        raise ValueError(_("请输入整数。"))
    if spec.min_value is not None and value < spec.min_value:
        if spec.min_value == 1:
            raise ValueError(_("请输入正整数。"))
        raise ValueError(_("不能小于 %(limit)s。") % {"limit": spec.min_value})
    if spec.max_value is not None and value > spec.max_value:
        raise ValueError(_("不能大于 %(limit)s。") % {"limit": spec.max_value})
    return value


def _clean_id(spec: Input, raw: Any) -> int:
    value = _whole_number(raw.pk if hasattr(raw, "pk") else raw)
    if value is None or value < 1:
        raise ValueError(_("无效的编号。"))
    return value


def _clean_ids(spec: Input, value: Any) -> list[int]:
    if not isinstance(value, list | tuple | set | frozenset):
        raise ValueError(_("应为列表。"))
    result: list[int] = []
    for item in value:
        if _blank(item):
            continue
        pk = _clean_id(spec, item)
        if pk not in result:
            result.append(pk)
    return result


def _clean_choice(spec: Input, raw: Any) -> str:
    value = _clean_text(spec, raw)
    if value not in spec.choice_values:
        raise ValueError(_("“%(value)s” 不是有效的选项。") % {"value": value})
    return value


def _clean_when(spec: Input, value: Any) -> date | datetime:
    if isinstance(value, date):  # a datetime is a date too
        result: date | datetime | None = value
    elif isinstance(value, str):
        text = value.strip()
        result = parse_date(text) if len(text) == 10 else parse_datetime(text)
    else:
        result = None
    if result is None or (isinstance(result, datetime) and timezone.is_naive(result)):
        raise ValueError(_("请输入日期（如 2026-03-20）或带时区的日期时间。"))
    return as_utc(result) if isinstance(result, datetime) else result


def _clean_datetime(spec: Input, value: Any) -> datetime:
    result = parse_datetime(value.strip()) if isinstance(value, str) else value
    if not isinstance(result, datetime) or timezone.is_naive(result):
        raise ValueError(_("请输入带时区的日期时间。"))
    return as_utc(result)


def as_utc(moment: datetime) -> datetime:
    """An aware datetime as the same instant in UTC. Python accepts offsets up to ±23:59, PostgreSQL only
    up to ±15:59 (``-17:50`` would fail in the query: a 500); and an instant beyond year 1…9999 in UTC is no
    date at all. ValueError for both."""
    try:
        return moment.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError(_("日期时间超出范围。")) from exc


def _clean_object(spec: Input, value: Any) -> Any:
    if not isinstance(value, Mapping | models.Model):
        raise ValueError(_("格式无效。"))
    return value


_CLEANERS = {
    Kind.TEXT: _clean_text,
    Kind.BOOL: _clean_bool,
    Kind.INT: _clean_int,
    Kind.ID: _clean_id,
    Kind.IDS: _clean_ids,
    Kind.CHOICE: _clean_choice,
    Kind.WHEN: _clean_when,
    Kind.DATETIME: _clean_datetime,
    Kind.OBJECT: _clean_object,
}


def clean_value(spec: Input, value: Any) -> Any:
    """One field cleaned on its own; a bad value is ``ValidationFailed`` for that field."""
    try:
        return spec.clean(value)
    except ValueError as exc:
        raise ValidationFailed({spec.name: [str(exc)]}) from None


def clean_inputs(inputs: Iterable[Input], data: Mapping[str, Any]) -> dict[str, Any]:
    """Every declared field of ``data`` cleaned (absent ones at their ``absent`` value), or one
    ``ValidationFailed`` carrying every field's error. Keys not declared are ignored.

    A field absent from ``data`` is reported in the result only through its ``absent`` value; handlers
    that treat "not given" differently from "given empty" (a partial change) declare ``default=None``.
    """
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for spec in inputs:
        raw = data.get(spec.name)
        if spec.required and _blank(raw):
            errors[spec.name] = [_("该字段是必填项。")]
            continue
        try:
            values[spec.name] = spec.clean(raw)
        except ValueError as exc:
            errors[spec.name] = [str(exc)]
    if errors:
        raise ValidationFailed(errors)
    return values
