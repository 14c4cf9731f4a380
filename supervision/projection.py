"""The case-fact projection: keeps ``CaseFact`` and the rollups equal to what the committed cases say.

``event_recorded(event)`` is registered (``SupervisionConfig.ready``) as an in-transaction handler of every
case event: it runs inside the command's transaction, on the case row the workflow holds locked and has just
saved. It reads the case's stored fact, writes the new one, and moves the case's contributions in the
rollups (``RegionDayStat``, ``DepartmentMonthStat``) from the old values to the new: each rollup counter is
a sum of contributions of facts (``contributions``), so applying ``new - old`` keeps every counter equal to
that sum. A command that rolls back takes its changes with it; two commands on one case are serialised by
the workflow's row lock; rollup rows are upserted in a fixed order (no deadlocks between commands).

``case_facts_rebuild()`` and ``rollups_rebuild()`` compute everything from the cases table
(``manage.py supervision_rebuild``): for a database that had cases before this app existed, and as the
reference the tests compare the maintained rows with.

On-time verdicts come from the loop's one rule (``cases.clocks.on_time``): a fact's *cohort class* is
``on_time`` or ``late`` when the rule's verdict can no longer change with time, ``running`` when only the
passing of its due time would make it late (an open clock, neither resolved nor answered), or none.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection, transaction

from cases.choices import TERMINAL_STATUSES, EventKind, Satisfaction
from cases.clocks import deadline_in_force as case_deadline_in_force
from cases.clocks import on_time as case_on_time
from cases.models import Case
from routing.calendar import calendar_snapshot
from routing.deadlines import CALENDAR_TIME_ZONE, CalendarSnapshot, working_time_between
from routing.models import Region
from routing.paths import county_code
from windowsvc.bulk import insert_new

from .models import CaseFact, DepartmentMonthStat, RegionDayStat

logger = logging.getLogger(__name__)

# Case columns copied as they are (same names on the fact).
COPIED_FIELDS = (
    "region_id",
    "region_path",
    "handling_region_path",
    "lead_department_id",
    "category_id",
    "matter_kind",
    "status",
    "taken_in_at",
    "due_at",
    "yellow_at",
    "reasoned_reply_due_at",
    "reasoned_reply_at",
    "follow_up_due_at",
    "withdrawn_at",
    "clock_paused_at",
    "suspended_until",
    "resolved_at",
    "closed_at",
    "callback_satisfaction",
    "return_count",
    "transfer_count",
    "reopen_count",
)
HUNDREDTH = Decimal("0.01")


def _county_calendar(region_path: str) -> CalendarSnapshot:
    # The snapshot is keyed by county; an unsaved region carrying the path is all it needs to know.
    return calendar_snapshot(region=Region(path=region_path))


def working_days_between(start: datetime, end: datetime, *, calendar: CalendarSnapshot) -> Decimal:
    """Business time from ``start`` to ``end`` in working days of the calendar's hours, two decimals."""
    used = working_time_between(start, end, calendar=calendar).duration
    days = Decimal(used / timedelta(seconds=1)) / Decimal(calendar.working_day_length / timedelta(seconds=1))
    return days.quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


def handling_days(case: Case, *, calendar: CalendarSnapshot | None = None) -> Decimal | None:
    """Working days from intake to the (latest) resolution; None while the case is not resolved.

    Elapsed business time, suspensions included: it is how long the requester waited for the matter to be
    done (the on-time rate, which excuses suspensions, is the measure of keeping the limit).
    """
    if case.resolved_at is None or case.taken_in_at is None:
        return None
    calendar = calendar or _county_calendar(case.region_path)
    return working_days_between(case.taken_in_at, case.resolved_at, calendar=calendar)


def _tier_of(case: Case, tiers: dict[int, str] | None = None) -> str:
    if tiers is not None:
        return tiers[case.region_id]
    region = Case.region.field.get_cached_value(case, default=None)
    if region is not None:
        return region.tier
    return Region.objects.values_list("tier", flat=True).get(pk=case.region_id)


def fact_values(case: Case, *, previous: dict | None = None, tier: str | None = None) -> dict:
    """The fact columns of ``case``; ``previous`` (the stored row's values) spares recomputing the
    handling time when the resolution did not change."""
    values = {name: getattr(case, name, None) for name in COPIED_FIELDS}
    values["tier"] = tier or (previous or {}).get("tier") or _tier_of(case)
    if (
        previous is not None
        and previous.get("resolved_at") == case.resolved_at
        and previous.get("taken_in_at") == case.taken_in_at
    ):
        values["handling_days"] = previous.get("handling_days")
    else:
        values["handling_days"] = handling_days(case)
    return values


# --- Contributions to the rollups ------------------------------------------------------------------------

ON_TIME, LATE, RUNNING = "on_time", "late", "running"
# Far enough in the future that every clock is past its due time.
_END_OF_TIME = datetime(9999, 1, 1, tzinfo=UTC)
SATISFACTION_COUNTERS = {
    Satisfaction.SATISFIED: "satisfied",
    Satisfaction.BASICALLY_SATISFIED: "basically_satisfied",
    Satisfaction.UNSATISFIED: "unsatisfied",
}
REGION_COUNTERS = ("taken_in", "resolved", ON_TIME, LATE, RUNNING)
DEPARTMENT_COUNTERS = (
    ON_TIME,
    LATE,
    RUNNING,
    "resolved",
    "handling_days",
    "satisfied",
    "basically_satisfied",
    "unsatisfied",
)


def _verdict(values: Mapping, now: datetime) -> bool | None:
    return case_on_time(
        now=now,
        due_at=values["due_at"],
        resolved_at=values["resolved_at"],
        reasoned_reply_at=values["reasoned_reply_at"],
        reasoned_reply_due_at=values["reasoned_reply_due_at"],
        follow_up_due_at=values.get("follow_up_due_at"),
        withdrawn_at=values.get("withdrawn_at"),
        paused_at=values["clock_paused_at"],
        is_open=values["status"] not in TERMINAL_STATUSES,
    )


def deadline_of(values: Mapping) -> datetime | None:
    """The deadline in force of a fact (``cases.clocks.deadline_in_force``): its cohort's day."""
    return case_deadline_in_force(
        due_at=values["due_at"],
        follow_up_due_at=values.get("follow_up_due_at"),
        reasoned_reply_at=values["reasoned_reply_at"],
        reasoned_reply_due_at=values["reasoned_reply_due_at"],
    )


def cohort_class(values: Mapping) -> str | None:
    """``on_time`` / ``late`` (final), ``running`` (late exactly once its due time has passed) or None.

    Derived from ``cases.clocks.on_time`` alone: the verdict at the end of time, and at the due time.
    """
    final = _verdict(values, _END_OF_TIME)
    if final is None:
        return None
    if final:
        return ON_TIME
    return LATE if _verdict(values, deadline_of(values)) is False else RUNNING


def local_day(moment: datetime) -> date:
    return moment.astimezone(CALENDAR_TIME_ZONE).date()


def month_of(moment: datetime) -> date:
    return local_day(moment).replace(day=1)


Key = tuple  # ("region", day, region_id, region_path) or ("department", month, department_id)


def contributions(values: Mapping) -> dict[Key, Counter]:
    """What one fact adds to the rollup counters (see the module docstring)."""
    result: dict[Key, Counter] = defaultdict(Counter)

    def region_key(moment: datetime) -> Key:
        return ("region", local_day(moment), values["region_id"], values["region_path"])

    result[region_key(values["taken_in_at"])]["taken_in"] += 1
    resolved_at = values["resolved_at"]
    if resolved_at is not None:
        result[region_key(resolved_at)]["resolved"] += 1
    verdict = cohort_class(values) if values["due_at"] is not None else None
    deadline = deadline_of(values)
    if verdict is not None:
        result[region_key(deadline)][verdict] += 1
    department = values["lead_department_id"]
    if department is not None:
        if verdict is not None:
            result[("department", month_of(deadline), department)][verdict] += 1
        if resolved_at is not None:
            counters = result[("department", month_of(resolved_at), department)]
            counters["resolved"] += 1
            counters["handling_days"] += values["handling_days"] or Decimal(0)
            satisfaction = SATISFACTION_COUNTERS.get(values["callback_satisfaction"])
            if satisfaction:
                counters[satisfaction] += 1
    return result


def contribution_delta(old: Mapping | None, new: Mapping | None) -> dict[Key, dict]:
    """Counters to add so that the rollups move from ``old``'s contributions to ``new``'s."""
    delta: dict[Key, Counter] = defaultdict(Counter)
    for values, sign in ((new, 1), (old, -1)):
        if values is None:
            continue
        for key, counters in contributions(values).items():
            for name, amount in counters.items():
                delta[key][name] += sign * amount
    return {
        key: {name: amount for name, amount in counters.items() if amount}
        for key, counters in delta.items()
        if any(counters.values())
    }


def _upsert_sql(
    model, conflict: tuple[str, ...], keys: tuple[str, ...], counters: tuple[str, ...], rows: int
) -> str:
    """One INSERT of ``rows`` rows that adds the counters to the rows already there."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = [*keys, *counters]
    updates = ", ".join(f"{quote(c)} = {table}.{quote(c)} + EXCLUDED.{quote(c)}" for c in counters)
    values = ", ".join([f"({', '.join(['%s'] * len(columns))})"] * rows)
    return (
        f"INSERT INTO {table} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608 (names from model meta)
        f"VALUES {values} "
        f"ON CONFLICT ({', '.join(quote(c) for c in conflict)}) DO UPDATE SET {updates}"
    )


def apply_delta(delta: Mapping[Key, Mapping]) -> None:
    """Add ``delta`` to the rollup rows, creating missing rows: one statement for the region rows and one
    for the department rows, each taking its rows in a fixed order (no deadlocks between two writers).
    The keys of one statement are distinct (they are the keys of ``delta``), as ON CONFLICT DO UPDATE
    requires."""
    regions: list = []
    departments: list = []
    for key in sorted(delta, key=lambda k: (k[0], k[1], k[2])):
        counters = delta[key]
        if key[0] == "region":
            _kind, day, region_id, region_path = key
            regions.append([day, region_id, region_path, *(counters.get(c, 0) for c in REGION_COUNTERS)])
        else:
            _kind, month, department_id = key
            departments.append([month, department_id, *(counters.get(c, 0) for c in DEPARTMENT_COUNTERS)])
    statements = (
        (RegionDayStat, ("day", "region_id"), ("day", "region_id", "region_path"), REGION_COUNTERS, regions),
        (DepartmentMonthStat, ("month", "department_id"), ("month", "department_id"), DEPARTMENT_COUNTERS, departments),
    )  # fmt: skip
    with connection.cursor() as cursor:
        for model, conflict, keys, counters, rows in statements:
            # In slices, for the seed's whole-county deltas (PostgreSQL takes at most 65,535 parameters).
            for start in range(0, len(rows), _UPSERT_BATCH):
                batch = rows[start : start + _UPSERT_BATCH]
                cursor.execute(
                    _upsert_sql(model, conflict, keys, counters, len(batch)),
                    [value for row in batch for value in row],
                )


_UPSERT_BATCH = 2000


# --- Maintaining ------------------------------------------------------------------------------------------

FACT_COLUMNS = ("tier", "handling_days", *COPIED_FIELDS)


def case_fact_refresh(case: Case, *, new: bool = False) -> None:
    """Write the fact of ``case`` from its current (saved) values and move its rollup contributions; call
    inside the case's transaction, with the case row locked. ``new``: the case was probably created in
    this transaction (its intake event): the fact is inserted without reading first, unless it exists (the
    event's effects run again), in which case the usual path follows."""
    if new:
        values = fact_values(case)
        if insert_new(CaseFact, [CaseFact(case_id=case.pk, **values)], returning="case_id"):
            apply_delta(contribution_delta(None, values))
            return
    case_facts_refresh([case])


def case_facts_refresh(cases: Iterable[Case]) -> None:
    """``case_fact_refresh`` for many cases at once (a sweep's batch): the stored facts read in one query,
    the rollups moved by the sum of the cases' deltas (one upsert per rollup row touched, none when nothing
    counted changed), new facts inserted in one statement; a fact whose columns changed is updated. Call
    inside the cases' transaction, with their rows locked. A case given twice counts once."""
    by_pk = {case.pk: case for case in cases}
    if not by_pk:
        return
    stored = {
        row.pop("case_id"): row
        for row in CaseFact.objects.filter(pk__in=list(by_pk)).values("case_id", *FACT_COLUMNS)
    }
    tiers = _tiers([case for pk, case in by_pk.items() if pk not in stored])
    total: dict[Key, Counter] = defaultdict(Counter)
    created, changed = [], []
    for pk in sorted(by_pk):
        case, previous = by_pk[pk], stored.get(pk)
        values = fact_values(case, previous=previous, tier=tiers.get(case.region_id))
        if previous is not None and all(previous[name] == values[name] for name in FACT_COLUMNS):
            continue  # nothing counted changed (a sweep step never changes a fact): no delta, no write
        for key, counters in contribution_delta(previous, values).items():
            total[key].update(counters)
        if previous is None:
            created.append(CaseFact(case_id=pk, **values))
        else:
            changed.append((pk, values))
    apply_delta({key: dict(counters) for key, counters in total.items() if any(counters.values())})
    CaseFact.objects.bulk_create(created)
    for pk, values in changed:
        CaseFact.objects.filter(pk=pk).update(**values)


def _tiers(cases: list[Case]) -> dict[int, str]:
    """The tier of each case's region (one query; none when every region is already loaded)."""
    tiers: dict[int, str] = {}
    for case in cases:
        region = Case.region.field.get_cached_value(case, default=None)
        if region is not None:
            tiers[case.region_id] = region.tier
    missing = {case.region_id for case in cases} - set(tiers)
    if missing:
        tiers.update(Region.objects.filter(pk__in=missing).values_list("pk", "tier"))
    return tiers


def event_recorded(event) -> None:
    """In-transaction handler of every case event (see the module docstring)."""
    case_fact_refresh(event.case, new=event.kind == EventKind.INTAKE)


def events_recorded(events) -> None:
    """The batch variant of ``event_recorded`` (``cases.effects.events_recorded``): the same facts and
    rollups, one refresh for all the events' cases."""
    case_facts_refresh(event.case for event in events)


def deadlines_recomputed(sender, *, case_ids, **kwargs) -> None:
    """Receiver of ``cases.signals.deadlines_recomputed``: the facts of cases whose deadlines moved
    without an event (inside that transaction, rows locked there), refreshed like after an event."""
    case_facts_refresh(Case.objects.filter(pk__in=list(case_ids)).order_by("pk"))


def _calendars() -> dict[str, CalendarSnapshot]:
    calendars: dict[str, CalendarSnapshot] = {}

    class ByCounty(dict):
        def __missing__(self, path: str) -> CalendarSnapshot:
            county = county_code(path)
            if county not in calendars:
                calendars[county] = _county_calendar(path)
            self[path] = calendars[county]
            return self[path]

    return ByCounty()


def case_facts_rebuild(*, batch_size: int = 2000) -> int:
    """Recompute every fact from the cases, then the rollups from the facts; returns the facts written.

    Each batch of facts is one transaction (existing rows of the batch replaced, missing ones created);
    the rollups are replaced in one transaction at the end. Run it while no commands are running (a
    maintenance command), or run it again.
    """
    tiers = dict(Region.objects.values_list("pk", "tier"))
    fields = ["pk", *[f.removesuffix("_id") for f in COPIED_FIELDS]]
    queryset = Case.objects.order_by("pk").only(*fields)
    calendars = _calendars()
    written = 0
    last_pk = 0
    while True:
        batch = list(queryset.filter(pk__gt=last_pk)[:batch_size])
        if not batch:
            break
        rows = []
        for case in batch:
            values = {name: getattr(case, name) for name in COPIED_FIELDS}
            values["tier"] = tiers[case.region_id]
            values["handling_days"] = handling_days(case, calendar=calendars[case.region_path])
            rows.append(CaseFact(case_id=case.pk, **values))
        with transaction.atomic():
            CaseFact.objects.filter(pk__in=[c.pk for c in batch]).delete()
            CaseFact.objects.bulk_create(rows)
        written += len(rows)
        last_pk = batch[-1].pk
    CaseFact.objects.exclude(case_id__in=Case.objects.values("pk")).delete()
    rollups_rebuild()
    return written


def rollups_from_facts(*, batch_size: int = 5000) -> dict[Key, Counter]:
    """The rollup counters as the sum of every fact's contributions (the reference for the maintained rows)."""
    totals: dict[Key, Counter] = defaultdict(Counter)
    last_pk = 0
    while True:
        rows = list(
            CaseFact.objects.filter(pk__gt=last_pk)
            .order_by("pk")
            .values("case_id", *FACT_COLUMNS)[:batch_size]
        )
        if not rows:
            return totals
        for values in rows:
            for key, counters in contributions(values).items():
                totals[key].update(counters)
        last_pk = rows[-1]["case_id"]


def stored_rollups() -> dict[Key, Counter]:
    """The maintained rollup rows as counters (zero counters dropped), comparable with ``rollups_from_facts``."""
    stored: dict[Key, Counter] = {}
    for row in RegionDayStat.objects.values("day", "region_id", "region_path", *REGION_COUNTERS):
        stored[("region", row["day"], row["region_id"], row["region_path"])] = Counter(
            {c: row[c] for c in REGION_COUNTERS if row[c]}
        )
    for row in DepartmentMonthStat.objects.values("month", "department_id", *DEPARTMENT_COUNTERS):
        stored[("department", row["month"], row["department_id"])] = Counter(
            {c: row[c] for c in DEPARTMENT_COUNTERS if row[c]}
        )
    return {key: counters for key, counters in stored.items() if counters}


def rollups_differences() -> dict[Key, tuple[dict, dict]]:
    """Rollup rows that differ from the sum of the facts' contributions: ``{key: (stored, expected)}``."""
    expected = {key: Counter({k: v for k, v in c.items() if v}) for key, c in rollups_from_facts().items()}
    expected = {key: c for key, c in expected.items() if c}
    stored = stored_rollups()
    return {
        key: (dict(stored.get(key, {})), dict(expected.get(key, {})))
        for key in set(stored) | set(expected)
        if stored.get(key, Counter()) != expected.get(key, Counter())
    }


def rollups_rebuild() -> None:
    """Replace the rollup rows with the sum of the facts' contributions (one transaction)."""
    totals = rollups_from_facts()
    regions, departments = [], []
    for key, counters in totals.items():
        if key[0] == "region":
            _kind, day, region_id, region_path = key
            regions.append(
                RegionDayStat(
                    day=day,
                    region_id=region_id,
                    region_path=region_path,
                    **{c: counters[c] for c in REGION_COUNTERS},
                )
            )
        else:
            _kind, month, department_id = key
            departments.append(
                DepartmentMonthStat(
                    month=month, department_id=department_id, **{c: counters[c] for c in DEPARTMENT_COUNTERS}
                )
            )
    with transaction.atomic():
        RegionDayStat.objects.all().delete()
        DepartmentMonthStat.objects.all().delete()
        RegionDayStat.objects.bulk_create(regions, batch_size=2000)
        DepartmentMonthStat.objects.bulk_create(departments, batch_size=2000)
