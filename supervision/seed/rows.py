"""A finished ``CaseDraft`` as COPY lines (requester, case, assignments, events, supervision fact), and
its contribution to the rollups.

Invariants
- Events are numbered 1, 2, 3… in time order, and the case's ``version`` is the last number; a sweep
  step carries the status of its moment (from = to), and every other event starts where the one before
  it ended (checked here: the sort must not reorder the commands).
- Tracking numbers continue each region's day counter (``CaseNumberCounter``) from what the database
  holds; the load writes the new counters at the end.
- The rollups are ``supervision.projection.contributions`` computed on integers (the tests compare them).
"""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from cases.auditchain import GENESIS, event_hash
from cases.choices import PUBLIC_EVENT_KINDS, AssignmentRole, RequesterKind, Satisfaction
from cases.models import QUERY_CODE_ALPHABET
from routing.calendar.fastclock import FastCalendar, day_number

from .draft import CaseDraft
from .writer import NULL, SeedError, b, duration_text, opt, ts, txt

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _json(payload: dict | None) -> str:
    """An event's payload (built by ``cases.events``) as COPY text."""
    return txt(_dumps(payload)) if payload else "{}"


if TYPE_CHECKING:
    from .generator import Generator

# As plain strings: the membership test is on the hottest line of the seed.
PUBLIC_KINDS = frozenset(kind.value for kind in PUBLIC_EVENT_KINDS)

TITLES = [
    "{c}多次申请未办成",
    "{c}材料反复补正",
    "{c}办理时间过长",
    "{c}窗口说法不一",
    "{c}跨部门推诿",
    "{c}政策不清无法办理",
    "{c}外地可办本地不能办",
]
DESCRIPTIONS = [
    "申请人反映已跑多次仍未办结，请求协调办理。",
    "相关部门要求提供的材料前后不一致，希望一次性告知。",
    "事项涉及多个部门，各部门均称不属本部门职责。",
    "办理时限已过，至今未收到答复。",
    "线上申请多次被退回，原因不明确。",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌辉鹏宇浩凯健俊帆"
COMPANY = ["机械", "纺织", "五金", "电子", "建材", "食品", "物流", "农业", "科技", "包装"]


@dataclass(slots=True)
class CaseRows:
    """One case's COPY lines, and the values its rollup contribution is computed from."""

    requester: str
    case: str
    assignments: list[str]
    events: list[str]
    fact: str
    fact_values: dict


def case_rows(gen: Generator, rng: random.Random, draft: CaseDraft) -> CaseRows:
    events, version = _event_lines(gen, draft)
    handling_days = None
    if draft.resolved_at is not None:
        fast = gen.fast
        used = fast.working_time_between(draft.taken, draft.resolved_at)
        handling_days = Decimal((used * 200 + fast.L) // (2 * fast.L)) / 100
    requester = _requester_line(gen, rng, draft)
    case = _case_line(gen, rng, draft, version)
    assignments = _assignment_lines(gen, draft)
    fact_values = {
        "region_id": draft.intake.region.pk,
        "region_path": draft.intake.region.path,
        "lead_department_id": draft.lead,
        "status": draft.status,
        "taken_in_at": draft.taken,
        "due_at": draft.clock[2],
        "resolved_at": draft.resolved_at,
        "reasoned_reply_at": draft.reasoned_reply_at,
        "reasoned_reply_due_at": draft.clock[3],
        "clock_paused_at": draft.clock_paused_at,
        "handling_days": handling_days,
        "callback_satisfaction": draft.callback,
        "terminal": draft.terminal,
    }
    return CaseRows(requester, case, assignments, events, _fact_line(gen, draft, handling_days), fact_values)


def _event_lines(gen: Generator, draft: CaseDraft) -> tuple[list[str], int]:
    """The events in time order, numbered 1, 2, 3…; sweep steps carry the status of their moment."""
    events = draft.events
    events.sort(key=lambda e: (e[0], e[1]))
    lines = []
    current = ""
    version = 0
    ev_tail = gen.t["event"].tail
    event_id, case_id = draft.first_event_id, draft.case_id
    prev = GENESIS
    for seq, (t, _order, kind, actor, department, frm, to, reason, payload) in enumerate(events, start=1):
        if frm is None:
            frm, to = current, current
        elif frm != current:
            raise SeedError(f"case {case_id}: {kind} from {frm!r} after an event that ended in {current!r}")
        current = to
        version = seq
        public = kind in PUBLIC_KINDS
        # The chain (cases/auditchain.py) over exactly the values written; payloads built by cases.events
        # are already what JSON storage gives back (string keys, lists), and the tests verify the chains.
        digest = event_hash(prev, case_id, seq, kind, actor, department, frm, to, reason, payload, public, t)
        # One f-string per event (the hottest line of the seed); reasons are our own constants.
        lines.append(
            f"{event_id + seq - 1}\t{case_id}\t{seq}\t{kind}\t{NULL if actor is None else actor}\t"
            f"{NULL if department is None else department}\t{frm}\t{to}\t{reason}\t{_json(payload)}\t"
            f"{'t' if public else 'f'}\t{ts(t)}\t{prev}\t{digest}{ev_tail}\n"
        )
        prev = digest
    return lines, version


def _requester_line(gen: Generator, rng: random.Random, draft: CaseDraft) -> str:
    w, region = gen.w, draft.intake.region
    person = rng.random() < 0.8
    name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")
    phone = f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"
    head = [str(draft.requester_id), ts(draft.taken), ts(draft.taken)]
    # Numbers encrypted and indexed (``world._sealed``); the missing one is NULL with the empty index.
    if person:
        token, digest = rng.choice(w.id_pool)
        values = [RequesterKind.PERSON, name, "", phone, token, digest, NULL, ""]
    else:
        company = f"{w.county.name}{rng.choice(SURNAMES)}{rng.choice(GIVEN)}{rng.choice(COMPANY)}有限公司"
        token, digest = rng.choice(w.credit_pool)
        values = [RequesterKind.ENTERPRISE, company, name, phone, NULL, "", token, digest]
    return gen.t["requester"].line([*head, *values, f"{region.name}"])


def _tracking_number(gen: Generator, draft: CaseDraft) -> str:
    region, local_date = draft.intake.region, draft.intake.local_date
    key = (region.pk, day_number(local_date))
    seq_no = gen.counters.get(key, gen.w.numbers.get(key, 0)) + 1
    gen.counters[key] = seq_no
    return f"{region.code}{local_date:%Y%m%d}{seq_no:04d}"


def _case_line(gen: Generator, rng: random.Random, draft: CaseDraft, version: int) -> str:
    i, fast = draft.intake, gen.fast
    region = i.region
    first_contact_due, reply_due, due, reasoned_due, yellow = draft.clock
    paused_at = draft.clock_paused_at
    last_change = draft.events[-1][0] if draft.events else draft.taken
    tracking = _tracking_number(gen, draft)
    clock_used = (
        duration_text(fast.working_time_between(draft.clock_origin, paused_at) - draft.paused_total)
        if paused_at
        else duration_text(0)
    )
    return gen.t["case"].line(
        [
            str(draft.case_id),
            ts(draft.taken),
            ts(last_change),
            tracking,
            "".join(rng.choices(QUERY_CODE_ALPHABET, k=8)),
            i.channel.value,
            str(i.window.pk),
            opt(i.clerk),
            str(region.pk),
            region.path,
            draft.handling,
            opt(draft.lead),
            str(draft.requester_id),
            rng.choice(TITLES).format(c=i.category.name),
            rng.choice(DESCRIPTIONS),
            "尽快办结",
            str(i.category.pk),
            i.matter.value,
            i.complexity.value,
            i.mode.value,
            b(i.green),
            draft.status,
            draft.before_suspend,
            b(draft.needs_review),
            str(draft.return_count),
            str(draft.transfer_count),
            str(draft.reopen_count),
            draft.summary,
            draft.callback,
            draft.callback_comment,
            ts(draft.callback_at),
            opt(draft.callback_by),
            ts(draft.taken),
            ts(draft.first_contacted_at),
            ts(draft.replied_at),
            ts(draft.suspended_at),
            ts(draft.resolved_at),
            ts(draft.closed_at),
            opt(i.profile.policy_id),
            ts(draft.clock_origin),
            ts(paused_at),
            duration_text(draft.paused_total),
            clock_used,
            "0",
            ts(first_contact_due),
            ts(reply_due),
            ts(due),
            ts(reasoned_due),
            ts(yellow),
            b(fast.provisional(due)),
            ts(draft.reasoned_reply_at),
            ts(draft.next_alarm),
            str(int(draft.alarm_level)),
            ts(draft.supervision_due),
            ts(draft.bulletin_at),
            str(version),
        ]
    )


def _assignment_lines(gen: Generator, draft: CaseDraft) -> list[str]:
    table, paused_at = gen.t["assignment"], draft.clock_paused_at
    lines = []
    for a in draft.assignments:
        accept_due, a_due, a_yellow = a.clock
        lines.append(
            table.line(
                [
                    str(a.id),
                    ts(a.created),
                    ts(a.updated),
                    str(draft.case_id),
                    str(a.department),
                    AssignmentRole.LEAD,
                    a.status,
                    b(a.current),
                    b(a.can_return),
                    a.origin,
                    opt(a.assigned_by),
                    ts(a.accepted_at),
                    opt(a.accepted_by),
                    ts(a.ended_at),
                    txt(a.reason),
                    ts(accept_due),
                    ts(a_due),
                    ts(a_yellow),
                    ts(paused_at if a.current else None),
                    duration_text(a.paused_total),
                    "0",
                    ts(a.next_alarm),
                    str(int(a.alarm)),
                ]
            )
        )
    return lines


def _fact_line(gen: Generator, draft: CaseDraft, handling_days: Decimal | None) -> str:
    i = draft.intake
    return gen.t["fact"].line(
        [
            str(draft.case_id),
            str(i.region.pk),
            i.region.path,
            draft.handling,
            i.region.tier,
            opt(draft.lead),
            str(i.category.pk),
            i.matter.value,
            draft.status,
            ts(draft.taken),
            ts(draft.clock[2]),
            ts(draft.clock[4]),
            ts(draft.clock[3]),
            ts(draft.reasoned_reply_at),
            ts(draft.clock_paused_at),
            ts(draft.resolved_at),
            ts(draft.closed_at),
            opt(handling_days),
            draft.callback,
            str(draft.return_count),
            str(draft.transfer_count),
            str(draft.reopen_count),
        ]
    )


# --- Rollups: supervision.projection.contributions, on integers (the tests compare both) ----------------


def add_rollups(rollups: dict[tuple, Counter], fast: FastCalendar, v: dict) -> None:
    region_id, path = v["region_id"], v["region_path"]
    day = fast.local_day
    rollups[("region", day(v["taken_in_at"]), region_id, path)]["taken_in"] += 1
    resolved = v["resolved_at"]
    if resolved is not None:
        rollups[("region", day(resolved), region_id, path)]["resolved"] += 1
    verdict = cohort_class_us(v)
    due = v["due_at"]
    if verdict is not None:
        rollups[("region", day(due), region_id, path)][verdict] += 1
    department = v["lead_department_id"]
    if department is not None:
        if verdict is not None:
            rollups[("department", _month(day(due)), department)][verdict] += 1
        if resolved is not None:
            counters = rollups[("department", _month(day(resolved)), department)]
            counters["resolved"] += 1
            counters["handling_days"] += v["handling_days"] or Decimal(0)
            satisfaction = v["callback_satisfaction"]
            if satisfaction:
                counters[_SATISFACTION[satisfaction]] += 1


_SATISFACTION = {
    Satisfaction.SATISFIED.value: "satisfied",
    Satisfaction.BASICALLY_SATISFIED.value: "basically_satisfied",
    Satisfaction.UNSATISFIED.value: "unsatisfied",
}
_MONTHS: dict[int, int] = {}


def _month(day: int) -> int:
    """The day number of the first of the month of a day number."""
    month = _MONTHS.get(day)
    if month is None:
        value = date(1970, 1, 1) + timedelta(days=day)
        month = _MONTHS[day] = day_number(value.replace(day=1))
    return month


def cohort_class_us(v: dict) -> str | None:
    """``supervision.projection.cohort_class`` on integer times (``cases.clocks.on_time``'s rule)."""
    due = v["due_at"]
    if due is None:
        return None
    resolved, reasoned, reasoned_due = v["resolved_at"], v["reasoned_reply_at"], v["reasoned_reply_due_at"]
    if resolved is not None and resolved <= due:
        return "on_time"
    if reasoned is not None and reasoned_due is not None and reasoned <= reasoned_due:
        return "on_time"
    if resolved is not None:
        return "late"
    if v["terminal"]:
        return None
    paused = v["clock_paused_at"]
    if paused is not None:
        return "late" if paused > due else None
    return "running"
