"""``manage.py seed_cases``: a realistic history of cases over the demo organisation, fast.

What it writes, per case, as the closed loop would have: the requester row, the case (classified, routed,
with every deadline field computed by the same arithmetic as ``cases.clocks``), its assignments (each
with its own clock), its events in order (commands, and the deadline sweep's steps: 黄灯预警, 催办, 督办,
列入通报), the supervision fact; then the rollups, the tracking-number counters and the id sequences.

The history runs from ``days`` days ago up to now: intake on working days mostly (fewer online on rest
days), at every tier's windows; most cases routed to the category's default department, some to the
coordination centre; a share returned (退回), transferred (转办), suspended, answered "cannot be done
yet", resolved late or left to rot; callbacks (满意 / 基本满意 / 不满意) and reopens (重办). Whatever is
planned after now has not happened yet, so recent cases are open with every light.

Speed: rows are generated in chunks of whole days by worker processes and written with PostgreSQL
``COPY`` (other databases: ``executemany``) in one transaction per chunk; with a superuser connection the
foreign-key triggers are skipped for the load (``session_replication_role = replica``; the generator only
writes ids it knows exist). Deadlines use ``routing.calendar.fastclock`` (the tests compare it with
``cases.clocks``), and the rollups are summed from the generated facts.
"""

from __future__ import annotations

import io
import json
import logging
import math
import multiprocessing
import random
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, connections, transaction
from django.utils import timezone

from cases import clocks as d
from cases import sla
from cases.choices import (
    STEP_EVENT,
    AlarmLevel,
    AssignmentOrigin,
    AssignmentRole,
    AssignmentStatus,
    CaseStatus,
    Channel,
    Complexity,
    EventKind,
    HandlingMode,
    MatterKind,
    RequesterKind,
    Satisfaction,
)
from cases.models import (
    QUERY_CODE_ALPHABET,
    Assignment,
    Case,
    CaseEvent,
    CaseNumberCounter,
    Category,
    CategoryDefaultDepartment,
    Requester,
    SlaPolicy,
)
from cases.validators import USCC_ALPHABET, credit_code_check_char, id_number_check_digit
from routing.calendar import calendar_snapshot
from routing.calendar.fastclock import DAY_US, US, FastCalendar, day_number, to_us
from routing.choices import DepartmentRole, StaffRole, Tier
from routing.models import Department, Membership, Region, ServiceWindow

from .models import CaseFact, DepartmentMonthStat, RegionDayStat

logger = logging.getLogger(__name__)

S = CaseStatus
E = EventKind
MIN = 60 * US
HOUR = 60 * MIN
EVENTS_PER_CASE = 32  # id room reserved per case (a case writes far fewer)
ASSIGNMENTS_PER_CASE = 8

PUBLIC_KINDS = {
    "intake",
    "not_accept",
    "withdraw",
    "assign",
    "accept",
    "coordinate",
    "reply",
    "resolve",
    "reopen",
    "close",
}


class SeedError(Exception):
    pass


# --- Text encoding for COPY ---------------------------------------------------------------------------

NULL = "\\N"
_SOD = [f" {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86400)]
_DAYS: dict[int, str] = {}


def ts(value: int | None) -> str:
    """Microseconds since the epoch as a UTC timestamp literal (``\\N`` for None)."""
    if value is None:
        return NULL
    day, rest = divmod(value, DAY_US)
    sod, micro = divmod(rest, US)
    text = _DAYS.get(day)
    if text is None:
        text = _DAYS[day] = (date(1970, 1, 1) + timedelta(days=day)).isoformat()
    return text + _SOD[sod] + (f".{micro:06d}+00" if micro else "+00")


def txt(value: str) -> str:
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


def opt(value) -> str:
    return NULL if value is None else str(value)


def b(value: bool) -> str:
    return "t" if value else "f"


# --- Tables: our columns, the others at their defaults -------------------------------------------------


class Table:
    """A model's table for COPY: the columns the generator writes, in order, then the rest at defaults."""

    def __init__(self, model, columns: tuple[str, ...]):
        self.model = model
        self.name = model._meta.db_table
        fields = {f.column: f for f in model._meta.concrete_fields}
        missing = [c for c in columns if c not in fields]
        if missing:
            raise SeedError(f"{self.name}: no column(s) {missing}; seed_cases needs updating")
        self.columns = list(columns)
        self.rest = [c for c in fields if c not in columns]
        tail = []
        for column in self.rest:
            f = fields[column]
            if not f.has_default():
                if f.null:
                    tail.append(NULL)
                    continue
                raise SeedError(f"{self.name}.{column} has no default; seed_cases needs updating")
            tail.append(_encode_default(f, f.get_default()))
        self.tail = ("\t" + "\t".join(tail)) if tail else ""
        self.all_columns = self.columns + self.rest
        self.fields = [fields[c] for c in self.all_columns]

    def line(self, values: list[str]) -> str:
        return "\t".join(values) + self.tail + "\n"


def _encode_default(field_, value) -> str:
    if value is None:
        return NULL
    if isinstance(value, bool):
        return b(value)
    if isinstance(value, timedelta):
        return (
            f"{value // timedelta(microseconds=1)} microseconds"
            if connection.vendor == "postgresql"
            else str(value // timedelta(microseconds=1))
        )
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, datetime):
        return ts(to_us(value))
    return txt(str(value))


def _columns(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def tables() -> dict[str, Table]:
    return {
        "requester": Table(
            Requester,
            _columns(
                """
            id created_at updated_at kind name contact_name phone id_number credit_code address
                """
            ),
        ),
        "case": Table(
            Case,
            _columns(
                """
            id created_at updated_at tracking_number query_code channel window_id clerk_id region_id
            region_path handling_region_path lead_department_id requester_id title description expectation
            category_id matter_kind complexity handling_mode green_channel status status_before_suspend
            needs_review return_count transfer_count reopen_count resolution_summary callback_satisfaction
            callback_comment callback_at callback_by_id taken_in_at first_contacted_at replied_at
            suspended_at resolved_at closed_at sla_policy_id clock_started_at clock_paused_at
            clock_paused_total clock_used extension_days first_contact_due_at reply_due_at due_at
            reasoned_reply_due_at yellow_at deadline_provisional reasoned_reply_at next_alarm_at alarm_level
            supervision_due_at bulletin_at version
                """
            ),
        ),
        "assignment": Table(
            Assignment,
            _columns(
                """
            id created_at updated_at case_id department_id role status is_current can_return origin
            assigned_by_id accepted_at accepted_by_id ended_at returned_reason accept_due_at due_at
            yellow_at clock_paused_at clock_paused_total extension_days next_alarm_at alarm_level
                """
            ),
        ),
        "event": Table(
            CaseEvent,
            _columns(
                """
            id case_id sequence kind actor_id department_id from_status to_status reason payload is_public
            created_at
                """
            ),
        ),
        "fact": Table(
            CaseFact,
            _columns(
                """
            case_id region_id region_path handling_region_path tier lead_department_id category_id
            matter_kind status taken_in_at due_at yellow_at reasoned_reply_due_at reasoned_reply_at
            clock_paused_at resolved_at closed_at handling_days callback_satisfaction return_count
            transfer_count reopen_count
                """
            ),
        ),
    }


def duration_text(us: int) -> str:
    return f"{us} microseconds" if connection.vendor == "postgresql" else str(us)


# --- The organisation, read once ------------------------------------------------------------------------


@dataclass
class Profile:
    """One classification's deadline rules: policy id and limits (green channel applied)."""

    policy_id: int | None
    limits: d.Limits


@dataclass
class World:
    """Everything the generator needs, read from the database before the workers start."""

    now_us: int
    first_day: int  # day numbers (local dates)
    last_day: int
    fast: FastCalendar
    county: Region
    regions: dict[int, Region]
    windows: list[tuple[ServiceWindow, float]]  # with intake weights
    clerks: dict[int, int]  # window id → clerk user id
    heads: dict[int, int]  # department id → head user id
    handlers: dict[int, int]
    coordinator: int | None
    supervisor: int | None
    centre: Department | None
    county_departments: list[Department]
    departments: dict[int, Department]
    categories: list[tuple[Category, float]]
    defaults: dict[tuple[int, int], int]  # (category id, region id) → default lead department id
    profiles: dict[tuple, Profile]
    share: float
    supervise_after: int
    supervision_days: int
    id_pool: list[str]
    credit_pool: list[str]
    ids: dict[str, int]  # first free id per table
    numbers: dict[tuple[int, int], int]  # (region id, day number) → last tracking number sequence used
    day_counts: list[int] = field(default_factory=list)


def _id_pool(rng: random.Random, size: int) -> list[str]:
    pool = []
    for _ in range(size):
        birth = date(1950, 1, 1) + timedelta(days=rng.randrange(0, 365 * 55))
        first17 = f"330699{birth:%Y%m%d}{rng.randrange(1000):03d}"
        pool.append(first17 + id_number_check_digit(first17))
    return pool


def _credit_pool(rng: random.Random, size: int) -> list[str]:
    pool = []
    for _ in range(size):
        body = "".join(rng.choice(USCC_ALPHABET) for _ in range(9))
        first17 = f"91330699{body}"
        pool.append(first17 + credit_code_check_char(first17))
    return pool


def _default_lead(category: Category, region: Region, rules: list[CategoryDefaultDepartment]) -> int | None:
    # cases.workflow.default_lead_department: the most specific region on the path wins, a category
    # without a rule falls back to its parent's.
    node = category
    while node is not None:
        mine = [r for r in rules if r.category_id == node.pk and region.path.startswith(r.region.path)]
        if mine:
            return max(mine, key=lambda r: len(r.region.path)).department_id
        node = node.parent
    return None


CLASSIFICATIONS = {
    # handling mode: (weight, complexity choices)
    HandlingMode.STANDARD: 0.70,
    HandlingMode.IMMEDIATE: 0.08,
    HandlingMode.EXPEDITED: 0.10,
    HandlingMode.COORDINATED: 0.09,
    HandlingMode.SPECIAL: 0.03,
}


def build_world(*, days: int, now: datetime, seed: int) -> World:
    county = Region.objects.filter(tier=Tier.COUNTY).order_by("code").first()
    if county is None:
        raise SeedError("no organisation: run `manage.py load_demo` first")
    rng = random.Random(seed)
    regions = {r.pk: r for r in Region.objects.filter(path__startswith=county.path)}
    windows = list(
        ServiceWindow.objects.filter(region__path__startswith=county.path, is_active=True).select_related(
            "region"
        )
    )
    if not windows:
        raise SeedError("the organisation has no service windows")
    weights = {Tier.COUNTY: 6.0, Tier.TOWN: 3.0, Tier.VILLAGE: 1.0}
    clerks = {}
    for m in Membership.objects.filter(role=StaffRole.CLERK, region__path__startswith=county.path).order_by(
        "pk"
    ):
        if m.window_id:
            clerks.setdefault(m.window_id, m.user_id)
        else:
            for w in windows:
                if w.region_id == m.region_id:
                    clerks.setdefault(w.pk, m.user_id)
    departments = {
        dep.pk: dep
        for dep in Department.objects.filter(
            region__path__startswith=county.path, is_active=True
        ).select_related("region")
    }
    heads, handlers = {}, {}
    coordinator = None
    for m in Membership.objects.filter(department_id__in=list(departments)).order_by("pk"):
        if m.role == StaffRole.DEPARTMENT_HEAD:
            heads.setdefault(m.department_id, m.user_id)
        elif m.role == StaffRole.HANDLER:
            handlers.setdefault(m.department_id, m.user_id)
        elif m.role == StaffRole.COORDINATOR and coordinator is None:
            coordinator = m.user_id
    supervisor = (
        Membership.objects.filter(role=StaffRole.SUPERVISOR, region=county)
        .values_list("user_id", flat=True)
        .first()
    )
    centre = next((dep for dep in departments.values() if dep.role == DepartmentRole.COORDINATOR), None)
    handling = [dep for dep in departments.values() if dep.role == DepartmentRole.HANDLING]
    county_departments = sorted((dep for dep in handling if dep.region_id == county.pk), key=lambda x: x.code)
    if not county_departments:
        raise SeedError("the county has no handling departments")
    categories = list(Category.objects.filter(county=county, is_active=True).select_related("parent"))
    leaves = [c for c in categories if not any(o.parent_id == c.pk for o in categories)]
    if not leaves:
        raise SeedError("the county has no categories: run `manage.py load_demo`")
    category_weights = [(c, rng.uniform(0.5, 3.0)) for c in sorted(leaves, key=lambda c: c.code)]
    rules = list(CategoryDefaultDepartment.objects.filter(category__county=county).select_related("region"))
    defaults = {}
    for c in leaves:
        for r in regions.values():
            lead = _default_lead(c, r, rules)
            if lead is None or lead not in departments:
                lead = county_departments[c.pk % len(county_departments)].pk
            defaults[(c.pk, r.pk)] = lead
    profiles = {}
    # Category-specific policies are rare: without any, one lookup per classification serves every category.
    specific = SlaPolicy.objects.filter(is_active=True, category__isnull=False).exists()
    generic: dict[tuple, Profile] = {}
    for c in leaves:
        for mk in MatterKind:
            for mode in CLASSIFICATIONS:
                for cx in Complexity:
                    for green in (False, True):
                        key = (mk.value, mode.value, cx.value, green)
                        if specific or key not in generic:
                            probe = Case(
                                category=c if specific else None,
                                matter_kind=mk,
                                handling_mode=mode,
                                complexity=cx,
                                green_channel=green,
                                region_path=county.path,
                                tracking_number="seed",
                            )
                            policy = sla.policy_for(probe)
                            generic[key] = Profile(
                                policy.pk if policy else None,
                                sla.limits_of(
                                    policy,
                                    green_channel=green,
                                    matter_kind=mk.value,
                                    handling_mode=mode.value,
                                    complexity=cx.value,
                                ),
                            )
                        profiles[(c.pk, *key)] = generic[key]
    today = timezone.localdate(now)
    first = today - timedelta(days=days - 1)
    calendar = calendar_snapshot(region=county)
    fast = FastCalendar(calendar, first - timedelta(days=40), today + timedelta(days=400))
    ids = {}
    for key, model in (
        ("requester", Requester),
        ("case", Case),
        ("assignment", Assignment),
        ("event", CaseEvent),
    ):
        last = model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        ids[key] = last + 1
    numbers = {
        (region_id, day_number(day)): value
        for region_id, day, value in CaseNumberCounter.objects.filter(day__gte=first).values_list(
            "region_id", "day", "last_value"
        )
    }
    return World(
        now_us=to_us(now),
        first_day=day_number(first),
        last_day=day_number(today),
        fast=fast,
        county=county,
        regions=regions,
        windows=[(w, weights.get(w.region.tier, 1.0)) for w in sorted(windows, key=lambda w: w.code)],
        clerks=clerks,
        heads=heads,
        handlers=handlers,
        coordinator=coordinator,
        supervisor=supervisor,
        centre=centre,
        county_departments=county_departments,
        departments=departments,
        categories=category_weights,
        defaults=defaults,
        profiles=profiles,
        share=sla.yellow_share(),
        supervise_after=sla.supervise_after_days(),
        supervision_days=sla.supervision_days(),
        id_pool=_id_pool(rng, 4000),
        credit_pool=_credit_pool(rng, 1000),
        ids=ids,
        numbers=numbers,
    )


def plan_days(world: World, cases: int, seed: int) -> list[int]:
    """Cases per day: working days weigh 1, rest days 0.12 (online only), with a slow growth over the span."""
    rng = random.Random(seed * 7919 + 1)
    span = world.last_day - world.first_day + 1
    weights = []
    for i in range(span):
        day = world.first_day + i
        base = 1.0 if world.fast.is_working(day) else 0.12
        weights.append(base * (0.8 + 0.4 * i / max(span - 1, 1)) * rng.uniform(0.85, 1.15))
    total = sum(weights)
    raw = [cases * w / total for w in weights]
    counts = [math.floor(x) for x in raw]
    remainder = cases - sum(counts)
    for i in sorted(range(span), key=lambda i: raw[i] - counts[i], reverse=True)[:remainder]:
        counts[i] += 1
    return counts


# --- One case --------------------------------------------------------------------------------------------


class _Stop(Exception):
    """The planned history reached the present: nothing after now has happened yet."""


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


@dataclass
class CaseRows:
    requester: str
    case: str
    assignments: list[str]
    events: list[str]
    fact: str
    fact_values: dict


class Generator:
    """Generates the rows of the cases of some days (one worker's chunk)."""

    def __init__(self, world: World, tabs: dict[str, Table], seed: int):
        self.w = world
        self.t = tabs
        self.seed = seed
        self.fast = world.fast
        self.win_list = [w for w, _ in world.windows]
        self.win_cum = _cumulative([x for _, x in world.windows])
        self.cat_list = [c for c, _ in world.categories]
        self.cat_cum = _cumulative([x for _, x in world.categories])
        self.modes = list(CLASSIFICATIONS)
        self.mode_cum = _cumulative(list(CLASSIFICATIONS.values()))
        self.duration = duration_text
        self.zero_interval = duration_text(0)
        self.rollups: dict[tuple, Counter] = defaultdict(Counter)
        self.counters: dict[tuple[int, int], int] = {}

    # -- sampling helpers --
    def pick(self, rng, items, cum):
        x = rng.random() * cum[-1]
        lo, hi = 0, len(cum) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if cum[mid] < x:
                lo = mid + 1
            else:
                hi = mid
        return items[lo]

    def business_after(self, t: int, hours: float) -> int:
        return self.fast.add_working_time(t, int(hours * HOUR))

    # -- the day's cases --
    def day(self, day: int, count: int, first_index: int, out: dict[str, list[str]]) -> None:
        rng = random.Random((self.seed << 20) ^ day)
        working = self.fast.is_working(day)
        times = []
        for _ in range(count):
            if working and rng.random() < 0.85:
                # Office hours, 5-minute grid: 08:30–12:00, 14:00–17:30.
                slot = rng.randrange(0, 84)
                sod = (8 * 60 + 30 + slot * 5) if slot < 42 else (14 * 60 + (slot - 42) * 5)
                online = False
            else:
                sod = rng.randrange(0, 288) * 5
                online = True
            times.append((sod * MIN, online))
        times.sort(key=lambda x: x[0])
        local_date = date(1970, 1, 1) + timedelta(days=day)
        for i, (sod, online) in enumerate(times):
            taken = self.fast.at(day, sod)
            if taken > self.w.now_us:
                taken = self.w.now_us - (i + 1) * US
            rows = self.case(rng, first_index + i, taken, online, local_date)
            out["requester"].append(rows.requester)
            out["case"].append(rows.case)
            out["assignment"].extend(rows.assignments)
            out["event"].extend(rows.events)
            out["fact"].append(rows.fact)
            self.add_rollups(rows.fact_values)

    def case(self, rng: random.Random, index: int, taken: int, online: bool, local_date: date) -> CaseRows:
        w, fast, now = self.w, self.fast, self.w.now_us
        case_id = w.ids["case"] + index
        requester_id = w.ids["requester"] + index
        event_id = w.ids["event"] + index * EVENTS_PER_CASE
        assignment_id = w.ids["assignment"] + index * ASSIGNMENTS_PER_CASE
        if online:
            window = next((x for x in self.win_list if x.code.endswith("w02")), self.win_list[0])
            channel = Channel.ONLINE
        else:
            window = self.pick(rng, self.win_list, self.win_cum)
            channel = rng.choices(
                [Channel.WALK_IN, Channel.PHONE, Channel.HOTLINE_12345, Channel.LETTER], [70, 10, 18, 2]
            )[0]
        region = window.region
        clerk = w.clerks.get(window.pk)
        category = self.pick(rng, self.cat_list, self.cat_cum)
        mode = self.pick(rng, self.modes, self.mode_cum)
        matter = rng.choices([MatterKind.URGENT, MatterKind.DIFFICULT, MatterKind.NOVEL], [25, 50, 25])[0]
        if mode == HandlingMode.IMMEDIATE:
            complexity = Complexity.SIMPLE
        else:
            complexity = rng.choices(
                [Complexity.SIMPLE, Complexity.GENERAL, Complexity.COMPLEX], [15, 65, 20]
            )[0]
        green = rng.random() < 0.05
        profile = w.profiles[(category.pk, matter.value, mode.value, complexity.value, green)]
        limits = profile.limits
        default_lead = w.defaults[(category.pk, region.pk)]

        # --- the state that commands change ---
        st = {
            "status": S.REGISTERED,
            "lead": None,
            "handling": region.path,
            "return_count": 0,
            "transfer_count": 0,
            "reopen_count": 0,
            "resolved_at": None,
            "replied_at": None,
            "reasoned_reply_at": None,
            "closed_at": None,
            "callback": "",
            "callback_at": None,
            "callback_by": None,
            "callback_comment": "",
            "summary": "",
            "needs_review": False,
            "suspended_at": None,
            "before_suspend": "",
            "first_contacted_at": None,
            "paused_total": 0,
            "clock_origin": taken,
            "extension_days": 0,
        }
        events: list[tuple] = []  # (time, order, kind, actor, department, from, to, reason, payload)
        assignments: list[dict] = []

        def clock(origin: int, paused_total: int = 0):
            return fast.case_clock(origin, limits, paused_total=paused_total, share=w.share)

        clock_times = clock(taken)

        def ev(
            t: int, kind: str, to: str, actor=None, department=None, reason: str = "", payload: str = "{}"
        ):
            if t > now:
                raise _Stop
            events.append((t, len(events), kind, actor, department, st["status"], to, reason, payload))
            st["status"] = to

        def new_assignment(t: int, department: int, origin: str, can_return: bool, actor) -> dict:
            a = {
                "id": assignment_id + len(assignments),
                "created": t,
                "department": department,
                "status": AssignmentStatus.PENDING,
                "current": True,
                "can_return": can_return,
                "origin": origin,
                "assigned_by": actor,
                "accepted_at": None,
                "accepted_by": None,
                "ended_at": None,
                "reason": "",
                "clock": fast.assignment_clock(t, limits, share=w.share),
                "paused_total": 0,
                "updated": t,
            }
            assignments.append(a)
            return a

        def end(a: dict, status: str, t: int, reason: str = "") -> None:
            a.update(status=status, current=False, ended_at=t, reason=reason, updated=t)

        def route_to(department: int) -> None:
            st["lead"] = department
            st["handling"] = w.departments[department].region.path

        def staff(department: int, head: bool = False):
            return (w.heads if head else w.handlers).get(department) or w.heads.get(department)

        classified_at_intake = rng.random() < 0.85
        coordinated = mode in (HandlingMode.COORDINATED, HandlingMode.SPECIAL)
        try:
            # 受理登记
            immediate = mode == HandlingMode.IMMEDIATE and classified_at_intake
            if immediate:
                to = S.RESOLVED
            elif classified_at_intake:
                to = S.COORDINATING if coordinated else S.ROUTING
            else:
                to = S.REGISTERED
            cls_json = (
                f'{{"category": {category.pk}, "matter_kind": "{matter.value}", "complexity": "{complexity.value}", '
                f'"handling_mode": "{mode.value}", "green_channel": {"true" if green else "false"}}}'
            )
            ev(
                taken,
                E.INTAKE,
                to,
                clerk,
                None,
                "",
                f'{{"window": {window.pk}, "channel": "{channel.value}", "classification": '
                f'{cls_json if classified_at_intake else "{}"}, "resolved_at_window": {"true" if immediate else "false"}}}',
            )
            if to == S.COORDINATING:
                st["handling"] = w.county.path
            t = taken
            if immediate:
                st["resolved_at"] = taken
                st["summary"] = "窗口即办办结"
            if to == S.REGISTERED:
                if rng.random() < 0.12:
                    st["needs_review"] = True
                    ev(
                        t + rng.randint(10, 90) * MIN,
                        E.NOT_ACCEPT,
                        S.NOT_ACCEPTED,
                        clerk,
                        None,
                        "不属于受理范围",
                        '{"guidance": "已一次性告知救济途径"}',
                    )
                    raise _Stop
                t = t + rng.randint(15, 120) * MIN
                ev(t, E.CLASSIFY, S.COORDINATING if coordinated else S.ROUTING, clerk, None, "", cls_json)
                if coordinated:
                    st["handling"] = w.county.path
            if not immediate:
                if rng.random() < 0.01:
                    ev(t + rng.randint(30, 600) * MIN, E.WITHDRAW, S.WITHDRAWN, clerk, None, "反映人撤回")
                    raise _Stop
                # 派单 / 协调
                if st["status"] == S.COORDINATING:
                    t = self.business_after(t, rng.uniform(0.5, 6))
                    lead = rng.choice(w.county_departments).pk
                    a = new_assignment(t, lead, AssignmentOrigin.COORDINATE, False, w.coordinator)
                    route_to(lead)
                    ev(
                        t,
                        E.COORDINATE,
                        S.ASSIGNED,
                        w.coordinator,
                        w.centre.pk if w.centre else None,
                        "协调会议定主办部门",
                        f'{{"lead_department": {lead}, "assisting_departments": [], "assignment": {a["id"]}}}',
                    )
                else:
                    t = t + rng.randint(5, 90) * MIN
                    lead = default_lead
                    a = new_assignment(t, lead, AssignmentOrigin.ASSIGN, True, clerk)
                    route_to(lead)
                    ev(
                        t,
                        E.ASSIGN,
                        S.ASSIGNED,
                        clerk,
                        None,
                        "",
                        f'{{"lead_department": {lead}, "assisting_departments": [], "assignment": {a["id"]}, "can_return": true}}',
                    )
                t = self.accept(rng, ev, a, staff)
                # 退回 / 转办 (buck-passing happens, and is counted)
                roll = rng.random()
                if a["can_return"] and roll < 0.07:
                    t = self.business_after(t, rng.uniform(1, 10))
                    head = staff(a["department"], head=True)
                    if t > now:
                        raise _Stop
                    end(a, AssignmentStatus.RETURNED, t, "非本部门职责")
                    st["return_count"] += 1
                    st["lead"], st["handling"] = None, region.path
                    ev(
                        t,
                        E.RETURN,
                        S.ROUTING,
                        head,
                        a["department"],
                        "非本部门职责",
                        f'{{"assignment": {a["id"]}, "role": "lead", "pingpong_guard": false}}',
                    )
                    t = t + rng.randint(20, 240) * MIN
                    other = rng.choice([x.pk for x in w.county_departments if x.pk != a["department"]])
                    a = new_assignment(t, other, AssignmentOrigin.ASSIGN, True, clerk)
                    route_to(other)
                    ev(
                        t,
                        E.ASSIGN,
                        S.ASSIGNED,
                        clerk,
                        None,
                        "退回后重新派单",
                        f'{{"lead_department": {other}, "assisting_departments": [], "assignment": {a["id"]}, "can_return": true}}',
                    )
                    t = self.accept(rng, ev, a, staff)
                elif a["can_return"] and roll < 0.10:
                    t = self.business_after(t, rng.uniform(1, 14))
                    head = staff(a["department"], head=True)
                    other = rng.choice([x.pk for x in w.county_departments if x.pk != a["department"]])
                    if t > now:
                        raise _Stop
                    end(a, AssignmentStatus.TRANSFERRED, t)
                    st["transfer_count"] += 1
                    old = a
                    a = new_assignment(t, other, AssignmentOrigin.TRANSFER, True, head)
                    route_to(other)
                    ev(
                        t,
                        E.TRANSFER,
                        S.ASSIGNED,
                        head,
                        old["department"],
                        "转有权部门办理",
                        f'{{"from_assignment": {old["id"]}, "requested_department": {other}, "pingpong_guard": false, "assignment": {a["id"]}}}',
                    )
                    t = self.accept(rng, ev, a, staff)
                lead = a["department"]
                st["first_contacted_at"] = t
                # 挂起 / 恢复
                if rng.random() < 0.03:
                    t = self.business_after(t, rng.uniform(2, 10))
                    st["before_suspend"], st["suspended_at"] = st["status"], t
                    ev(t, E.SUSPEND, S.SUSPENDED, staff(lead), lead, "等待反映人补充材料")
                    paused_at = t
                    t = self.business_after(t, rng.uniform(7, 21))
                    if t > now:
                        st["paused_at"] = paused_at
                        raise _Stop
                    gap = fast.working_time_between(paused_at, t)
                    st["paused_total"] += gap
                    a["paused_total"] += gap
                    a["clock"] = tuple(fast.add_working_time(x, gap) for x in a["clock"])
                    clock_times = tuple(
                        None if x is None else fast.add_working_time(x, gap) for x in clock_times
                    )
                    back, st["before_suspend"], st["suspended_at"] = st["before_suspend"], "", None
                    ev(
                        t,
                        E.RESUME,
                        back,
                        staff(lead),
                        lead,
                        "材料已补齐",
                        f'{{"suspended_at": "{ts(paused_at)}"}}',
                    )
                # 答复 (sometimes "cannot be done yet", with reasons)
                allowed = fast.working_time_between(taken, clock_times[2])
                roll = rng.random()
                if roll < 0.06:
                    t = fast.add_working_time(t, int(allowed * rng.uniform(0.2, 0.7)))
                    st["needs_review"] = True
                    if t > now:
                        raise _Stop
                    st["replied_at"] = st["replied_at"] or t
                    st["reasoned_reply_at"] = t
                    ev(
                        t,
                        E.REPLY,
                        S.REPLIED,
                        staff(lead),
                        lead,
                        "暂不具备办理条件，已说明理由",
                        '{"can_be_done": false}',
                    )
                elif roll < 0.40:
                    t = fast.add_working_time(t, int(allowed * rng.uniform(0.05, 0.4)))
                    if t > now:
                        raise _Stop
                    st["replied_at"] = st["replied_at"] or t
                    ev(t, E.REPLY, S.REPLIED, staff(lead), lead, "已答复办理进展", '{"can_be_done": true}')
                # 办结: most in time, some late; a few drag on for weeks (the recent ones are still open)
                roll = rng.random()
                if roll < 0.015:
                    factor = rng.uniform(3, 12)
                elif roll < 0.90:
                    factor = rng.uniform(0.15, 0.98)
                else:
                    factor = rng.uniform(1.02, 2.5)
                target = fast.add_working_time(taken, int((allowed + st["paused_total"]) * factor))
                t = max(t + 10 * MIN, target)
                if t > now:
                    raise _Stop
                for x in assignments:
                    if x["current"]:
                        end(x, AssignmentStatus.COMPLETED, t)
                st["resolved_at"], st["summary"] = t, "已办结，问题已解决"
                ev(t, E.RESOLVE, S.RESOLVED, staff(lead), lead, "已办结，问题已解决", '{"evidence": []}')
            # 回访, 重办, 销号
            t = self.callback_and_close(rng, ev, st, t, clerk, immediate)
            if st.get("reopen"):
                lead = st["lead"]
                st["reopen"] = False
                st["reopen_count"] += 1
                for key in ("resolved_at", "replied_at", "reasoned_reply_at", "callback_at", "callback_by"):
                    st[key] = None
                st["callback"], st["callback_comment"], st["paused_total"] = "", "", 0
                st["clock_origin"] = t
                clock_times = clock(t)
                if lead is None:
                    # Resolved at the window and never routed: the window routes the redo.
                    st["handling"] = region.path
                    ev(
                        t,
                        E.REOPEN,
                        S.ROUTING,
                        clerk,
                        None,
                        "回访不满意，重办",
                        '{"satisfaction": "unsatisfied"}',
                    )
                    t = t + rng.randint(10, 120) * MIN
                    lead = default_lead
                    a = new_assignment(t, lead, AssignmentOrigin.ASSIGN, True, clerk)
                    route_to(lead)
                    ev(t, E.ASSIGN, S.ASSIGNED, clerk, None, "重办派单",
                       f'{{"lead_department": {lead}, "assisting_departments": [], "assignment": {a["id"]}, "can_return": true}}')  # fmt: skip
                    t = self.accept(rng, ev, a, staff)
                else:
                    a = new_assignment(t, lead, AssignmentOrigin.REOPEN, False, clerk)
                    a.update(status=AssignmentStatus.ACCEPTED, accepted_at=t)
                    ev(t, E.REOPEN, S.IN_PROGRESS, clerk, None, "回访不满意，重办",
                       f'{{"satisfaction": "unsatisfied", "lead_department": {lead}, "assignment": {a["id"]}}}')  # fmt: skip
                allowed = fast.working_time_between(t, clock_times[2])
                t = fast.add_working_time(t, int(allowed * rng.uniform(0.2, 0.9)))
                if t > now:
                    raise _Stop
                end(a, AssignmentStatus.COMPLETED, t)
                st["resolved_at"], st["summary"] = t, "重办后已办结"
                ev(t, E.RESOLVE, S.RESOLVED, staff(lead), lead, "重办后已办结", '{"evidence": []}')
                st["second_round"] = True
                self.callback_and_close(rng, ev, st, t, clerk, False)
        except _Stop:
            pass
        return self.rows(
            rng,
            case_id,
            requester_id,
            event_id,
            taken,
            window,
            region,
            clerk,
            channel,
            category,
            matter,
            complexity,
            mode,
            green,
            profile,
            st,
            events,
            assignments,
            clock_times,
            local_date,
        )

    def accept(self, rng, ev, a: dict, staff) -> int:
        late = rng.random() < 0.08
        hours = rng.uniform(7.2, 20) if late else rng.uniform(0.2, 6.5)
        t = self.business_after(a["created"], hours)
        who = staff(a["department"])
        ev(
            t,
            E.ACCEPT,
            S.IN_PROGRESS,
            who,
            a["department"],
            "",
            f'{{"assignment": {a["id"]}, "role": "lead"}}',
        )
        a.update(status=AssignmentStatus.ACCEPTED, accepted_at=t, accepted_by=who, updated=t)
        return t

    def callback_and_close(self, rng, ev, st: dict, t: int, clerk, immediate: bool) -> int:
        t = self.business_after(t, rng.uniform(3, 14))
        second = st.get("second_round", False)
        roll = rng.random()
        satisfaction = (
            Satisfaction.SATISFIED
            if roll < (0.85 if second else 0.76)
            else Satisfaction.BASICALLY_SATISFIED
            if roll < (1.0 if second else 0.93)
            else Satisfaction.UNSATISFIED
        )
        comment = "对办理结果不满意" if satisfaction == Satisfaction.UNSATISFIED else ""
        ev(t, E.CALLBACK, S.RESOLVED, clerk, None, comment, f'{{"satisfaction": "{satisfaction.value}"}}')
        st["callback"], st["callback_at"], st["callback_by"], st["callback_comment"] = (
            satisfaction.value,
            t,
            clerk,
            comment,
        )
        if satisfaction == Satisfaction.UNSATISFIED and not second:
            t = t + rng.randint(30, 300) * MIN
            st["reopen"] = True
            if t > self.w.now_us:
                st["reopen"] = False
                raise _Stop
            return t
        if satisfaction == Satisfaction.UNSATISFIED:
            # Unsatisfied again: a supervisor strikes it off with a written reason (督办销号).
            t = self.business_after(t, rng.uniform(7, 35))
            ev(t, E.CLOSE, S.CLOSED, self.w.supervisor, None, "已两次办理，申请人诉求超出政策范围，督办销号",
               '{"override": true, "satisfaction": "unsatisfied"}')  # fmt: skip
            st["closed_at"] = t
            return t
        t = self.business_after(t, rng.uniform(0.5, 10))
        ev(
            t,
            E.CLOSE,
            S.CLOSED,
            clerk,
            None,
            "",
            f'{{"override": false, "satisfaction": "{satisfaction.value}"}}',
        )
        st["closed_at"] = t
        return t

    # -- rows --
    def rows(
        self,
        rng,
        case_id,
        requester_id,
        event_id,
        taken,
        window,
        region,
        clerk,
        channel,
        category,
        matter,
        complexity,
        mode,
        green,
        profile,
        st,
        events,
        assignments,
        clock_times,
        local_date,
    ) -> CaseRows:
        w, fast, now = self.w, self.fast, self.w.now_us
        status = st["status"]
        terminal = status in (S.CLOSED, S.NOT_ACCEPTED, S.WITHDRAWN)
        first_contact_due, reply_due, due, reasoned_due, yellow = clock_times
        paused_at = st.get("paused_at") if status == S.SUSPENDED else None
        settled = st["resolved_at"] is not None or st["reasoned_reply_at"] is not None
        # The case clock's ladder (cases.clocks.case_ladder), fired as the sweep would have.
        supervise_at = fast.overdue_days_at(due, w.supervise_after)
        bulletin_due = fast.add_working_days(supervise_at, w.supervision_days)
        stop_candidates = [now]
        if st["resolved_at"] is not None:
            stop_candidates.append(st["resolved_at"])
        if st["reasoned_reply_at"] is not None:
            stop_candidates.append(st["reasoned_reply_at"])
        if terminal and events:
            stop_candidates.append(events[-1][0])
        if paused_at is not None:
            stop_candidates.append(paused_at)
        stop = min(stop_candidates)
        round_start = st["clock_origin"]
        steps = (
            (AlarmLevel.YELLOW, yellow, False),
            (AlarmLevel.RED, due, True),
            (AlarmLevel.SUPERVISE, supervise_at, False),
            (AlarmLevel.BULLETIN, bulletin_due, True),
        )
        level, supervision_due, bulletin_at = AlarmLevel.NONE, None, None
        lead_at_step = st["lead"]
        for step_level, at, _strict in steps:
            # The sweep fires a step once it is reached (within its minute), and only while the clock runs.
            if at < round_start or at >= stop:
                continue
            fired = min(at + 30 * US, stop - 1)
            level = step_level
            payload = f'{{"clock": "case", "level": "{AlarmLevel(step_level).name.lower()}", "skipped": [], "deadline": "{ts(due)}"}}'
            if step_level == AlarmLevel.SUPERVISE:
                supervision_due = bulletin_due
            if step_level == AlarmLevel.BULLETIN:
                bulletin_at = fired
            kind = STEP_EVENT[step_level].value
            events.append((fired, len(events), kind, None, lead_at_step, None, None, "", payload))
        active = not terminal and status != S.RESOLVED and not settled and paused_at is None
        next_alarm = None
        if active:
            later = [at for step_level, at, _s in steps if step_level > level]
            next_alarm = min(later) if later else None
        # Assignments' sign-for reminders (only the lead's sign-for is watched on a lead assignment).
        for a in assignments:
            accept_due = a["clock"][0]
            signed = a["accepted_at"]
            reminded = (signed is None and a["current"] and now > accept_due) or (
                signed is not None and signed > accept_due
            )
            a["alarm"] = AlarmLevel.SIGN if reminded else AlarmLevel.NONE
            a["next_alarm"] = accept_due if (a["current"] and signed is None and not reminded) else None
            if reminded:
                events.append(
                    (
                        min(accept_due + 30 * US, (signed or now) - 1),
                        len(events),
                        STEP_EVENT[AlarmLevel.SIGN].value,
                        None,
                        a["department"],
                        None,
                        None,
                        "",
                        f'{{"clock": "assignment", "assignment": {a["id"]}, "level": "sign", "skipped": []}}',
                    )
                )
        # Events in time order, numbered 1, 2, 3…; sweep steps carry the status of their moment.
        events.sort(key=lambda e: (e[0], e[1]))
        lines = []
        current = ""
        version = 0
        ev_tail = self.t["event"].tail
        for seq, (t, _order, kind, actor, department, frm, to, reason, payload) in enumerate(events, start=1):
            if frm is None:
                frm, to = current, current
            current = to
            version = seq
            # One f-string per event (the hottest line of the seed); reasons are our own constants.
            lines.append(
                f"{event_id + seq - 1}\t{case_id}\t{seq}\t{kind}\t{NULL if actor is None else actor}\t"
                f"{NULL if department is None else department}\t{frm}\t{to}\t{reason}\t{payload}\t"
                f"{'t' if kind in PUBLIC_KINDS else 'f'}\t{ts(t)}{ev_tail}\n"
            )
        last_change = events[-1][0] if events else taken
        handling_days = None
        if st["resolved_at"] is not None:
            used = fast.working_time_between(taken, st["resolved_at"])
            handling_days = Decimal((used * 200 + fast.L) // (2 * fast.L)) / 100
        # Requester
        person = rng.random() < 0.8
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")
        phone = f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"
        if person:
            requester = self.t["requester"].line(
                [
                    str(requester_id),
                    ts(taken),
                    ts(taken),
                    RequesterKind.PERSON,
                    name,
                    "",
                    phone,
                    rng.choice(w.id_pool),
                    "",
                    f"{region.name}",
                ]
            )
        else:
            company = f"浣江县{rng.choice(SURNAMES)}{rng.choice(GIVEN)}{rng.choice(COMPANY)}有限公司"
            requester = self.t["requester"].line(
                [
                    str(requester_id),
                    ts(taken),
                    ts(taken),
                    RequesterKind.ENTERPRISE,
                    company,
                    name,
                    phone,
                    "",
                    rng.choice(w.credit_pool),
                    f"{region.name}",
                ]
            )
        key = (region.pk, day_number(local_date))
        seq_no = self.counters.get(key, w.numbers.get(key, 0)) + 1
        self.counters[key] = seq_no
        tracking = f"{region.code}{local_date:%Y%m%d}{seq_no:04d}"
        lead = st["lead"]
        case_line = self.t["case"].line(
            [
                str(case_id),
                ts(taken),
                ts(last_change),
                tracking,
                "".join(rng.choices(QUERY_CODE_ALPHABET, k=8)),
                channel.value,
                str(window.pk),
                opt(clerk),
                str(region.pk),
                region.path,
                st["handling"],
                opt(lead),
                str(requester_id),
                rng.choice(TITLES).format(c=category.name),
                rng.choice(DESCRIPTIONS),
                "尽快办结",
                str(category.pk),
                matter.value,
                complexity.value,
                mode.value,
                b(green),
                status,
                st["before_suspend"],
                b(st["needs_review"]),
                str(st["return_count"]),
                str(st["transfer_count"]),
                str(st["reopen_count"]),
                st["summary"],
                st["callback"],
                st["callback_comment"],
                ts(st["callback_at"]),
                opt(st["callback_by"]),
                ts(taken),
                ts(st["first_contacted_at"]),
                ts(st["replied_at"]),
                ts(st["suspended_at"]),
                ts(st["resolved_at"]),
                ts(st["closed_at"]),
                opt(profile.policy_id),
                ts(st["clock_origin"]),
                ts(paused_at),
                self.duration(st["paused_total"]),
                self.duration(fast.working_time_between(st["clock_origin"], paused_at) - st["paused_total"])
                if paused_at
                else self.zero_interval,
                "0",
                ts(first_contact_due),
                ts(reply_due),
                ts(due),
                ts(reasoned_due),
                ts(yellow),
                b(fast.provisional(due)),
                ts(st["reasoned_reply_at"]),
                ts(next_alarm),
                str(int(level)),
                ts(supervision_due),
                ts(bulletin_at),
                str(version),
            ]
        )
        asg_lines = []
        asg_table = self.t["assignment"]
        for a in assignments:
            accept_due, a_due, a_yellow = a["clock"]
            asg_lines.append(
                asg_table.line(
                    [
                        str(a["id"]),
                        ts(a["created"]),
                        ts(a["updated"]),
                        str(case_id),
                        str(a["department"]),
                        AssignmentRole.LEAD,
                        a["status"],
                        b(a["current"]),
                        b(a["can_return"]),
                        a["origin"],
                        opt(a["assigned_by"]),
                        ts(a["accepted_at"]),
                        opt(a["accepted_by"]),
                        ts(a["ended_at"]),
                        txt(a["reason"]),
                        ts(accept_due),
                        ts(a_due),
                        ts(a_yellow),
                        ts(paused_at if a["current"] else None),
                        self.duration(a["paused_total"]),
                        "0",
                        ts(a["next_alarm"]),
                        str(int(a["alarm"])),
                    ]
                )
            )
        fact_values = {
            "region_id": region.pk,
            "region_path": region.path,
            "lead_department_id": lead,
            "status": status,
            "taken_in_at": taken,
            "due_at": due,
            "resolved_at": st["resolved_at"],
            "reasoned_reply_at": st["reasoned_reply_at"],
            "reasoned_reply_due_at": reasoned_due,
            "clock_paused_at": paused_at,
            "handling_days": handling_days,
            "callback_satisfaction": st["callback"],
            "terminal": terminal,
        }
        fact_line = self.t["fact"].line(
            [
                str(case_id),
                str(region.pk),
                region.path,
                st["handling"],
                region.tier,
                opt(lead),
                str(category.pk),
                matter.value,
                status,
                ts(taken),
                ts(due),
                ts(yellow),
                ts(reasoned_due),
                ts(st["reasoned_reply_at"]),
                ts(paused_at),
                ts(st["resolved_at"]),
                ts(st["closed_at"]),
                opt(handling_days),
                st["callback"],
                str(st["return_count"]),
                str(st["transfer_count"]),
                str(st["reopen_count"]),
            ]
        )
        return CaseRows(requester, case_line, asg_lines, lines, fact_line, fact_values)

    # -- rollups: supervision.projection.contributions, on integers (the tests compare both) --
    def add_rollups(self, v: dict) -> None:
        fast = self.fast
        region_id, path = v["region_id"], v["region_path"]
        day = fast.local_day
        rollups = self.rollups
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


def _cumulative(weights: list[float]) -> list[float]:
    total, result = 0.0, []
    for x in weights:
        total += x
        result.append(total)
    return result


# --- Writing ------------------------------------------------------------------------------------------


def _copy(cursor, table: Table, lines: list[str]) -> None:
    if not lines:
        return
    columns = ", ".join(connection.ops.quote_name(c) for c in table.all_columns)
    sql = f"COPY {connection.ops.quote_name(table.name)} ({columns}) FROM STDIN"
    with cursor.copy(sql) as copy:
        buffer = io.StringIO()
        size = 0
        for line in lines:
            buffer.write(line)
            size += 1
            if size >= 5000:
                copy.write(buffer.getvalue())
                buffer = io.StringIO()
                size = 0
        if size:
            copy.write(buffer.getvalue())


def _insert(cursor, table: Table, lines: list[str]) -> None:
    """Other databases: parse our COPY text back into Python values and ``executemany``."""
    if not lines:
        return
    converters = [_converter(f) for f in table.fields]
    columns = ", ".join(connection.ops.quote_name(c) for c in table.all_columns)
    placeholders = ", ".join(["%s"] * len(table.all_columns))
    rows = []
    for line in lines:
        values = line.rstrip("\n").split("\t")
        rows.append(
            [None if v == NULL else conv(_unescape(v)) for v, conv in zip(values, converters, strict=True)]
        )
    cursor.executemany(
        f"INSERT INTO {connection.ops.quote_name(table.name)} ({columns}) VALUES ({placeholders})",  # noqa: S608
        rows,
    )


def _unescape(value: str) -> str:
    if "\\" not in value:
        return value
    return value.replace("\\t", "\t").replace("\\n", "\n").replace("\\r", "\r").replace("\\\\", "\\")


def _converter(f) -> Callable[[str], object]:
    from django.db import models

    if isinstance(f, models.DateTimeField):
        # What Django's SQLite backend stores: naive UTC text.
        return lambda v: v.removesuffix("+00")
    if isinstance(f, models.BooleanField):
        return lambda v: v == "t"
    if isinstance(f, models.DurationField):
        return lambda v: int(v.split(" ")[0])
    if isinstance(f, models.IntegerField | models.ForeignKey | models.AutoField | models.BigAutoField):
        return int
    if isinstance(f, models.JSONField):
        return lambda v: v
    return lambda v: v


def write_chunk(out: dict[str, list[str]], tabs: dict[str, Table]) -> None:
    write = _copy if connection.vendor == "postgresql" else _insert
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql" and _is_superuser():
            # Foreign-key checks off for this load only: every id written is one we know exists.
            cursor.execute("SET LOCAL session_replication_role = replica")
        target = cursor.cursor if connection.vendor == "postgresql" else cursor
        for key in ("requester", "case", "assignment", "event", "fact"):
            write(target, tabs[key], out[key])


_SUPERUSER: bool | None = None


def _is_superuser() -> bool:
    global _SUPERUSER
    if _SUPERUSER is None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            row = cursor.fetchone()
            _SUPERUSER = bool(row and row[0])
    return _SUPERUSER


# --- Workers and the command's driver -------------------------------------------------------------------

_WORLD: World | None = None
_SEED = 0


_IN_WORKER = False


def _worker_init(world: World, seed: int, *, worker: bool = True) -> None:
    global _WORLD, _SEED, _IN_WORKER
    _WORLD, _SEED, _IN_WORKER = world, seed, worker
    if worker:
        connections.close_all()  # a forked worker never shares the parent's connection


def _run_chunk(spec: tuple[int, int, int]) -> tuple[int, dict, dict, int, int]:
    first_day, last_day, first_index = spec
    world = _WORLD
    tabs = tables()
    generator = Generator(world, tabs, _SEED)
    out: dict[str, list[str]] = {k: [] for k in ("requester", "case", "assignment", "event", "fact")}
    index = first_index
    for day in range(first_day, last_day + 1):
        count = world.day_counts[day - world.first_day]
        if count:
            generator.day(day, count, index, out)
            index += count
    write_chunk(out, tabs)
    if _IN_WORKER:
        connections.close_all()
    return (
        index - first_index,
        dict(generator.rollups),
        generator.counters,
        len(out["event"]),
        len(out["assignment"]),
    )


def chunks(world: World, chunk_cases: int) -> list[tuple[int, int, int]]:
    specs, start, index, acc = [], world.first_day, 0, 0
    for i, count in enumerate(world.day_counts):
        day = world.first_day + i
        acc += count
        if acc >= chunk_cases or day == world.last_day:
            specs.append((start, day, index))
            index += acc
            start, acc = day + 1, 0
    return [s for s in specs if s[0] <= s[1]]


# --- Deferred secondary indexes (PostgreSQL, opt-in) ----------------------------------------------------

DEFERRED_TABLES = (Case, CaseEvent, Assignment, Requester, CaseFact)


def _pending_file():
    from pathlib import Path

    return Path(settings.VAR_DIR) / f"seed-deferred-indexes-{connection.settings_dict['NAME']}.sql"


def indexes_drop() -> list[str]:
    """Drop the secondary (non-unique) indexes of the bulk-loaded tables; their definitions are written
    to a file under ``var/`` first, so an interrupted seed can be repaired (``--restore-indexes``)."""
    tables = [model._meta.db_table for model in DEFERRED_TABLES]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.relname, pg_get_indexdef(ix.indexrelid) FROM pg_index ix "
            "JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid "
            "WHERE t.relname = ANY(%s) AND NOT ix.indisunique AND NOT ix.indisprimary ORDER BY i.relname",
            [tables],
        )
        rows = cursor.fetchall()
        pending = _pending_file()
        previous = pending.read_text().splitlines() if pending.exists() else []
        pending.write_text("\n".join([*previous, *(definition for _name, definition in rows)]) + "\n")
        for name, _definition in rows:
            cursor.execute(f"DROP INDEX IF EXISTS {connection.ops.quote_name(name)}")
    return [definition for _name, definition in rows]


def _create_index(definition: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '256MB'")
        cursor.execute(definition.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1))
    connections.close_all()


def indexes_restore(*, workers: int = 2) -> int:
    """Create the indexes written down by ``indexes_drop`` (in parallel), then forget them."""
    pending = _pending_file()
    if not pending.exists():
        return 0
    definitions = [line for line in pending.read_text().splitlines() if line.strip()]
    connections.close_all()
    if workers > 1 and len(definitions) > 1:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            pool.map(_create_index, definitions)
    else:
        for definition in definitions:
            with connection.cursor() as cursor:
                cursor.execute(definition.replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1))
    pending.unlink()
    return len(definitions)


@dataclass
class SeedResult:
    cases: int
    events: int
    assignments: int
    seconds: float


def seed_cases(
    *,
    cases: int,
    days: int = 1095,
    seed: int = 2026,
    workers: int | None = None,
    chunk_cases: int = 20000,
    now: datetime | None = None,
    progress: Callable[[int, int, float], None] | None = None,
    defer_indexes: bool = False,
) -> SeedResult:
    """Generate ``cases`` cases over the last ``days`` days (see the module docstring).

    ``defer_indexes`` (PostgreSQL): drop the secondary indexes of the loaded tables for the load and
    build them again at the end (each in one pass, in parallel), instead of maintaining them row by row.
    """
    started = time.monotonic()
    if connection.vendor != "postgresql":
        defer_indexes = False
    if defer_indexes:
        indexes_restore(workers=workers or 2)  # an interrupted earlier run left some to build
        indexes_drop()
    now = now or timezone.now()
    world = build_world(days=days, now=now, seed=seed)
    world.day_counts = plan_days(world, cases, seed)
    specs = chunks(world, chunk_cases)
    workers = (
        workers
        if workers is not None
        else (min(4, multiprocessing.cpu_count()) if connection.vendor == "postgresql" else 0)
    )
    totals: dict[tuple, Counter] = defaultdict(Counter)
    counters: dict[tuple[int, int], int] = {}
    done = events = assignments = 0

    def collect(result) -> None:
        nonlocal done, events, assignments
        n, rollups, chunk_counters, n_events, n_assignments = result
        done += n
        events += n_events
        assignments += n_assignments
        for key, values in rollups.items():
            totals[key].update(values)
        for key, value in chunk_counters.items():
            counters[key] = max(counters.get(key, 0), value)
        if progress:
            progress(done, cases, time.monotonic() - started)

    if workers and len(specs) > 1:
        connections.close_all()
        context = multiprocessing.get_context("fork")
        with context.Pool(workers, initializer=_worker_init, initargs=(world, seed)) as pool:
            for result in pool.imap_unordered(_run_chunk, specs):
                collect(result)
    else:
        _worker_init(world, seed, worker=False)
        for spec in specs:
            collect(_run_chunk(spec))
    if defer_indexes:
        indexes_restore(workers=workers or 2)
    _finish(world, totals, counters)
    return SeedResult(done, events, assignments, time.monotonic() - started)


def _finish(world: World, totals: dict[tuple, Counter], counters: dict[tuple[int, int], int]) -> None:
    """Rollups added to what is there, tracking-number counters, id sequences, planner statistics."""
    from .projection import apply_delta

    def as_date(day: int) -> date:
        return date(1970, 1, 1) + timedelta(days=day)

    delta = {}
    for key, values in totals.items():
        if key[0] == "region":
            delta[("region", as_date(key[1]), key[2], key[3])] = dict(values)
        else:
            delta[("department", as_date(key[1]), key[2])] = dict(values)
    quote = connection.ops.quote_name
    table = quote(CaseNumberCounter._meta.db_table)
    upsert = (
        f"INSERT INTO {table} (region_id, day, last_value) VALUES (%s, %s, %s) "  # noqa: S608 (model table name)
        f"ON CONFLICT (region_id, day) DO UPDATE SET last_value = CASE WHEN EXCLUDED.last_value > "
        f"{table}.last_value THEN EXCLUDED.last_value ELSE {table}.last_value END"
    )
    with transaction.atomic():
        apply_delta(delta)
        with connection.cursor() as cursor:
            cursor.executemany(
                upsert,
                [(region_id, as_date(day), value) for (region_id, day), value in sorted(counters.items())],
            )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (Requester, Case, Assignment, CaseEvent):
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 (model table names)
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                )
            for model in (
                Requester,
                Case,
                Assignment,
                CaseEvent,
                CaseFact,
                RegionDayStat,
                DepartmentMonthStat,
            ):
                cursor.execute(f"ANALYZE {model._meta.db_table}")


def progress_bar(stream=None) -> Callable[[int, int, float], None]:
    stream = stream or sys.stderr

    def show(done: int, total: int, elapsed: float) -> None:
        width = 30
        filled = int(width * done / total) if total else width
        rate = done / elapsed if elapsed else 0
        stream.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {done:>9,}/{total:,} cases "
            f"{elapsed:6.1f}s {rate:,.0f}/s"
        )
        stream.flush()
        if done >= total:
            stream.write("\n")

    return show


__all__ = ["SeedError", "SeedResult", "progress_bar", "seed_cases"]
