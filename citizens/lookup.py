"""The citizens' status lookup (一次都不跑): what a requester may read about their own case, and nothing more.

``status_lookup`` is the one read behind the status API and the status page. It takes the tracking
number and one secret — the receipt's query code or the last four digits of the requester's phone — and
returns the public view of the case, or None. None means “no such case *or* wrong secret”: callers give
one identical answer for both, and the work done is the same in both cases (one indexed query by
tracking number, one constant-time comparison against the stored code or a dummy).

The public view: the status in plain Chinese, the department now handling it (its name only), the
expected completion time and the deadline light, and the public timeline (taken in, assigned, signed for,
coordinated, replied, resolved, reopened, closed …) without staff names, reasons or personal data.
Two queries for a hit, one for a miss.
"""

from __future__ import annotations

import functools
import hmac
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import OuterRef
from django.db.models.functions import JSONObject
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases import clocks
from cases.choices import TERMINAL_STATUSES, CaseStatus, EventKind, Light
from cases.models import QUERY_CODE_LENGTH, Case, CaseEvent

# What a well-formed tracking number looks like (region code + date + sequence); anything else is a 400.
TRACKING_NUMBER_RE = re.compile(r"^[0-9A-Za-z-]{1,32}$")
PHONE_LAST4_RE = re.compile(r"^[0-9]{4}$")
QUERY_CODE_MAX = 16
# Compared against when the tracking number is unknown, so a miss costs what a wrong code costs.
_DUMMY_CODE = b"Z" * QUERY_CODE_LENGTH
_DUMMY_LAST4 = b"0000"

STATUS_TEXT = {
    CaseStatus.REGISTERED: gettext_lazy("您反映的事项已登记，正在分类处理。"),
    CaseStatus.ROUTING: gettext_lazy("您反映的事项已分类，正在派给承办部门。"),
    CaseStatus.COORDINATING: gettext_lazy("您反映的事项涉及多个部门，正由县行政服务中心协调。"),
    CaseStatus.ASSIGNED: gettext_lazy("已派给承办部门，等待部门签收。"),
    CaseStatus.IN_PROGRESS: gettext_lazy("承办部门正在办理。"),
    CaseStatus.SUSPENDED: gettext_lazy("办理暂停，等待您补充情况或材料。"),
    CaseStatus.REPLIED: gettext_lazy("承办部门已答复您，事项仍在继续办理。"),
    CaseStatus.RESOLVED: gettext_lazy("事项已办结，等待您的满意度回访。"),
    CaseStatus.CLOSED: gettext_lazy("事项已办结销号。"),
    CaseStatus.NOT_ACCEPTED: gettext_lazy("不予受理，原因和办理途径已告知您。"),
    CaseStatus.WITHDRAWN: gettext_lazy("事项已撤回。"),
}

LIGHT_TEXT = {
    Light.GREEN: gettext_lazy("在办理时限内"),
    Light.YELLOW: gettext_lazy("临近办理时限"),
    Light.RED: gettext_lazy("已超过办理时限，正在督办"),
}

TIMELINE_TEXT = {
    EventKind.INTAKE: gettext_lazy("窗口受理登记"),
    EventKind.NOT_ACCEPT: gettext_lazy("不予受理，已告知原因和办理途径"),
    EventKind.WITHDRAW: gettext_lazy("事项撤回"),
    EventKind.ASSIGN: gettext_lazy("派给承办部门"),
    EventKind.ACCEPT: gettext_lazy("承办部门签收"),
    EventKind.COORDINATE: gettext_lazy("县行政服务中心协调确定承办部门"),
    EventKind.REPLY: gettext_lazy("承办部门答复"),
    EventKind.RESOLVE: gettext_lazy("承办部门办结"),
    EventKind.REOPEN: gettext_lazy("重新办理"),
    EventKind.CLOSE: gettext_lazy("办结销号"),
}

_CASE_FIELDS = (
    "id",
    "tracking_number",
    "query_code",
    "requester__phone",
    "status",
    "taken_in_at",
    "updated_at",
    "lead_department__name",
    "due_at",
    "yellow_at",
    "clock_paused_at",
    "resolved_at",
    "reasoned_reply_at",
    "reasoned_reply_due_at",
    "follow_up_due_at",
    "deadline_provisional",
)


@dataclass(frozen=True)
class Credentials:
    """A tracking number and exactly one secret (query code or the phone's last four digits)."""

    tracking_number: str
    query_code: str = ""
    phone_last4: str = ""


@dataclass
class TimelineEntry:
    kind: str
    label: str
    text: str
    department: str | None
    at: datetime


@dataclass
class PublicStatus:
    tracking_number: str
    status: str
    status_display: str
    status_text: str
    is_open: bool
    department: str | None
    taken_in_at: datetime
    updated_at: datetime
    expected_at: datetime | None
    expected_provisional: bool
    light: str | None
    light_text: str | None
    timeline: list[TimelineEntry] = field(default_factory=list)
    # What the requester was told (the texts the reply and resolve SMS carry): the latest answer, and the
    # result once the case is resolved (shown on the status page).
    reply: str = ""
    result: str = ""

    def as_json(self) -> dict[str, Any]:
        """The API's body (aware datetimes in the site's time zone, ISO 8601)."""
        return {
            "tracking_number": self.tracking_number,
            "status": self.status,
            "status_display": self.status_display,
            "status_text": self.status_text,
            "is_open": self.is_open,
            "department": self.department,
            "taken_in_at": iso(self.taken_in_at),
            "updated_at": iso(self.updated_at),
            "expected_at": iso(self.expected_at),
            "expected_provisional": self.expected_provisional,
            "light": self.light,
            "light_text": self.light_text,
            "timeline": [
                {
                    "kind": entry.kind,
                    "label": entry.label,
                    "text": entry.text,
                    "department": entry.department,
                    "at": iso(entry.at),
                }
                for entry in self.timeline
            ],
        }


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else timezone.localtime(moment).isoformat(timespec="seconds")


def clean_credentials(
    tracking_number: Any, query_code: Any = "", phone_last4: Any = ""
) -> tuple[Credentials | None, dict[str, list[str]]]:
    """Check the shape of a lookup (not its truth): ``(credentials, {})`` or ``(None, field errors)``."""
    errors: dict[str, list[str]] = {}

    def text(value: Any) -> str:
        return value.strip() if isinstance(value, str) else ""

    number, code, last4 = text(tracking_number), text(query_code).upper(), text(phone_last4)
    if not number:
        errors["tracking_number"] = [_("请填写受理编号。")]
    elif not TRACKING_NUMBER_RE.match(number):
        errors["tracking_number"] = [_("受理编号格式不正确。")]
    if code and last4:
        errors["query_code"] = [_("查询码和手机号后四位只需填写一项。")]
    elif not code and not last4:
        errors["query_code"] = [_("请填写查询码，或反映人手机号后四位。")]
    elif code and len(code) > QUERY_CODE_MAX:
        errors["query_code"] = [_("查询码格式不正确。")]
    elif last4 and not PHONE_LAST4_RE.match(last4):
        errors["phone_last4"] = [_("请填写 4 位数字。")]
    if errors:
        return None, errors
    return Credentials(number, code, last4), {}


def _secret_matches(row: dict | None, credentials: Credentials) -> bool:
    """Constant-time comparison of the given secret; against a dummy when there is no row."""
    if credentials.query_code:
        expected = row["query_code"].encode() if row else _DUMMY_CODE
        return hmac.compare_digest(credentials.query_code.encode(), expected) and row is not None
    digits = "".join(ch for ch in (row["requester__phone"] if row else "") if ch.isdigit())
    expected = digits[-4:].encode() if row and len(digits) >= 4 else _DUMMY_LAST4
    return hmac.compare_digest(credentials.phone_last4.encode(), expected) and row is not None


def _deadline(row: dict):
    return clocks.deadline_in_force(
        due_at=row["due_at"],
        follow_up_due_at=row["follow_up_due_at"],
        reasoned_reply_at=row["reasoned_reply_at"],
        reasoned_reply_due_at=row["reasoned_reply_due_at"],
    )


def _light(row: dict, status: CaseStatus, now: datetime) -> str | None:
    """``Case.light_at`` on the fetched columns, through the same pure functions (``cases.clocks``):
    the case clock's light while it runs, against the deadline in force (a "cannot be done yet" answer's
    new date). Computed here rather than annotated in SQL: the annotation costs more than the query."""
    settled = clocks.clock_settled(
        resolved_at=row["resolved_at"],
        reasoned_reply_at=row["reasoned_reply_at"],
        follow_up_due_at=row["follow_up_due_at"],
    )
    if status in TERMINAL_STATUSES or settled:
        return None
    value = clocks.light(
        now=now, due_at=_deadline(row), yellow_at=row["yellow_at"], paused_at=row["clock_paused_at"]
    )
    return None if value is None else Light(value).value


def _case_row(tracking_number: str) -> dict[str, Any] | None:
    """The case's columns the answer needs and its public timeline (a list, in order), in one indexed
    query: a hit, a wrong secret and an unknown number each cost exactly one query."""
    sql, params, slot = _case_row_sql()
    params = [*params]
    params[slot] = tracking_number
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        values = cursor.fetchone()
        if values is None:
            return None
        row = dict(zip((column.name for column in cursor.description), values, strict=True))
    row["timeline"] = [json.loads(entry) if isinstance(entry, str) else entry for entry in row["timeline"]]
    return row


_NUMBER_SLOT = "\x00tracking-number\x00"  # stands for the tracking number while the query is compiled


@functools.cache
def _case_row_sql() -> tuple[str, tuple, int]:
    """The lookup's SQL, compiled by the ORM once per process (building and compiling the queryset cost
    more than running it), its parameters, and which of them is the tracking number."""
    timeline = ArraySubquery(
        CaseEvent.objects.filter(case_id=OuterRef("pk"), is_public=True)
        .order_by("sequence")
        .values(
            entry=JSONObject(kind="kind", department="department__name", at="created_at", reason="reason")
        )
    )
    queryset = (
        Case.objects.filter(tracking_number=_NUMBER_SLOT)
        .order_by()
        .annotate(timeline=timeline)
        .values(*_CASE_FIELDS, "timeline")[:1]
    )
    sql, params = queryset.query.sql_with_params()
    return sql, tuple(params), list(params).index(_NUMBER_SLOT)


def status_lookup(credentials: Credentials, *, now: datetime | None = None) -> PublicStatus | None:
    """The public view of the case behind ``credentials``, or None (unknown number or wrong secret)."""
    now = now or timezone.now()
    row = _case_row(credentials.tracking_number)
    if not _secret_matches(row, credentials):
        return None
    status = CaseStatus(row["status"])
    light = _light(row, status, now)
    events = [
        (entry["kind"], entry["department"], datetime.fromisoformat(entry["at"]), entry["reason"])
        for entry in row["timeline"]
    ]
    timeline = [
        TimelineEntry(
            kind=kind,
            label=str(EventKind(kind).label),
            text=str(TIMELINE_TEXT.get(kind, EventKind(kind).label)),
            department=department,
            at=created_at,
        )
        for kind, department, created_at, _reason in events
    ]
    said = {kind: reason for kind, _d, _at, reason in events if kind in (EventKind.REPLY, EventKind.RESOLVE)}
    return PublicStatus(
        tracking_number=row["tracking_number"],
        status=status.value,
        status_display=str(status.label),
        status_text=str(STATUS_TEXT[status]),
        is_open=status not in TERMINAL_STATUSES,
        department=row["lead_department__name"],
        taken_in_at=row["taken_in_at"],
        updated_at=row["updated_at"],
        # The deadline in force while the clock runs (a resolved or ended case expects nothing more).
        expected_at=_deadline(row) if light else None,
        expected_provisional=bool(row["deadline_provisional"]) if light else False,
        light=light,
        light_text=str(LIGHT_TEXT[Light(light)]) if light else None,
        timeline=timeline,
        reply=said.get(EventKind.REPLY, ""),
        result=said.get(EventKind.RESOLVE, "") if status in (CaseStatus.RESOLVED, CaseStatus.CLOSED) else "",
    )
