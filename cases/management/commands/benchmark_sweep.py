"""``manage.py benchmark_sweep --clocks 10000 [--json]``: how fast the deadline sweep fires due clocks.

Run it on a database with the demo loaded (``migrate``, ``load_demo``, optionally ``seed_cases --cases
100000``). It plants ``--clocks`` due clocks, runs ``cases.sweep.sweep`` until nothing is due, and prints
clocks per second, the total time, queries per batch and CPU per clock; then it times a sweep with nothing
due (the median of ``--empty-runs``). Timings are measured here, never asserted in tests (BENCHMARKS.md).

Throwaway state: everything happens inside ONE transaction that is rolled back at the end, so the database
is left exactly as it was (the sweep's own per-batch transactions become savepoints inside it, and the
deliveries it would enqueue on commit are dropped with it). Nothing else should run a sweep meanwhile.

What is planted, on the open cases of the data (spread over the demo's departments, regions and windows by
a deterministic shuffle; no case changes status, that is the workflow's alone): up to half the clocks are
case clocks (an open case's deadlines moved into the past, so its ladder has reached yellow, 催办, 督办 or
通报), up to three tenths its current assignments (sign-for overdue while pending; an assisting department
late), and the rest timers (reply, first contact, callback, review, extension decision) added to the open
cases. A database with few open cases gets more timers: the table prints the mix. ``seed_cases --days 30``
adds a month of cases, most of them still open. The moved cases' supervision facts are brought in line
through ``cases.signals.deadlines_recomputed`` (what any change of deadlines without an event sends), so
the sweep's projection sees the facts it would in production.
"""

from __future__ import annotations

import json
import statistics
import time
from datetime import datetime, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import CharField, Q
from django.db.models.functions import MD5, Cast
from django.urls import reverse
from django.utils import timezone

from cases.choices import TERMINAL_STATUSES, AssignmentRole, AssignmentStatus, CaseStatus, TimerKind
from cases.models import Assignment, Case, CaseEvent, CaseTimer
from cases.signals import deadlines_recomputed
from cases.sweep import sweep
from notifications.models import Notification

TIMER_KINDS = (
    TimerKind.REPLY,
    TimerKind.FIRST_CONTACT,
    TimerKind.CALLBACK,
    TimerKind.REVIEW,
    TimerKind.EXTENSION_DECISION,
)


class _Rollback(Exception):
    """Raised at the end of the measured transaction to throw its state away."""


class _QueryCounter:
    """``connection.execute_wrapper``: counts every query and the sweep's claims (one per batch)."""

    def __init__(self) -> None:
        self.queries = 0
        self.claims = 0

    def __call__(self, execute, sql, params, many, context):
        self.queries += 1
        if "SKIP LOCKED" in sql:
            self.claims += 1
        return execute(sql, params, many, context)


class Command(BaseCommand):
    help = "Plant due clocks in a rolled-back transaction and measure how fast the deadline sweep fires them."

    def add_arguments(self, parser):
        parser.add_argument("--clocks", type=int, default=10_000, help="Due clocks to plant (default 10000).")
        parser.add_argument("--empty-runs", type=int, default=20, help="Empty sweeps timed (median).")
        parser.add_argument(
            "--json", action="store_true", help="Also print one JSON object as the last line."
        )

    def handle(self, *args, clocks: int, empty_runs: int, json: bool, **options):
        if connection.vendor != "postgresql":
            raise CommandError("benchmark_sweep measures the PostgreSQL path (SKIP LOCKED)")
        if clocks < 3:
            raise CommandError("--clocks must be at least 3")
        result: dict = {}
        try:
            with transaction.atomic():
                result = self._measure(clocks, empty_runs)
                raise _Rollback
        except _Rollback:
            pass
        self._print(result)
        if json:
            self.stdout.write(_dumps(result))

    # --- Measuring -----------------------------------------------------------------------------------

    def _measure(self, clocks: int, empty_runs: int) -> dict:
        now = timezone.now()
        already_due = _due_count(now)
        planted = _plant(clocks, now)
        # What a long-running beat worker has done long before: the URLconf loaded (the messages link to
        # the case page), so the first batch does not pay for importing every app's views.
        reverse("cases:detail", kwargs={"pk": 1})
        due = _due_count(now)
        events_before = CaseEvent.objects.count()
        notifications_before = Notification.objects.count()

        counter = _QueryCounter()
        totals: dict[str, int] = {}
        sweeps = 0
        with connection.execute_wrapper(counter):
            cpu, wall = time.process_time(), time.perf_counter()
            while True:
                step = sweep(now=now)
                sweeps += 1
                for key, value in step.items():
                    totals[key] = totals.get(key, 0) + value
                if not (step["cases"] or step["assignments"] or step["timers"]):
                    break
            wall = time.perf_counter() - wall
            cpu = time.process_time() - cpu
        claimed = totals.get("cases", 0) + totals.get("assignments", 0) + totals.get("timers", 0)
        fired = totals.get("fired", 0) + totals.get("timer_fired", 0)
        if _due_count(now):
            raise CommandError("clocks still due after the sweep")

        empty_ms, empty_queries = [], 0
        for _run in range(empty_runs):
            empty = _QueryCounter()
            with connection.execute_wrapper(empty):
                start = time.perf_counter()
                sweep(now=now)
                empty_ms.append((time.perf_counter() - start) * 1000)
            empty_queries = empty.queries
        return {
            "planted": planted,
            "already_due": already_due,
            "due": due,
            "claimed": claimed,
            "fired": fired,
            "events": CaseEvent.objects.count() - events_before,
            "notifications": Notification.objects.count() - notifications_before,
            "sweeps": sweeps,
            "batches": counter.claims,
            "seconds": round(wall, 3),
            "clocks_per_second": round(claimed / wall, 1) if wall else None,
            "queries": counter.queries,
            "queries_per_batch": round(counter.queries / max(counter.claims, 1), 1),
            "queries_per_clock": round(counter.queries / max(claimed, 1), 2),
            "cpu_ms_per_clock": round(cpu * 1000 / max(claimed, 1), 2),
            "empty_sweep_ms_median": round(statistics.median(empty_ms), 2) if empty_ms else None,
            "empty_sweep_queries": empty_queries,
            "stored_cases": Case.objects.count(),
        }

    def _print(self, result: dict) -> None:
        planted = result["planted"]
        rows = [
            (
                "planted clocks",
                f"{sum(planted.values()):,} ({', '.join(f'{k} {v:,}' for k, v in planted.items())})",
            ),
            ("already due before", f"{result['already_due']:,}"),
            ("stored cases", f"{result['stored_cases']:,}"),
            ("claimed / fired", f"{result['claimed']:,} / {result['fired']:,}"),
            ("events / notifications", f"{result['events']:,} / {result['notifications']:,}"),
            ("sweeps / batches", f"{result['sweeps']} / {result['batches']}"),
            ("total seconds", f"{result['seconds']:.2f}"),
            ("clocks/s", f"{result['clocks_per_second']:,.0f}"),
            ("queries per batch", f"{result['queries_per_batch']}"),
            ("queries per clock", f"{result['queries_per_clock']}"),
            ("CPU ms per clock", f"{result['cpu_ms_per_clock']}"),
            ("empty sweep (median ms)", f"{result['empty_sweep_ms_median']}"),
            ("empty sweep queries", f"{result['empty_sweep_queries']}"),
        ]
        width = max(len(label) for label, _value in rows)
        for label, value in rows:
            self.stdout.write(f"{label:<{width}}  {value}")
        self.stdout.write("(state rolled back: the database is unchanged)")


def _dumps(result: dict) -> str:
    return json.dumps(result, ensure_ascii=False, sort_keys=True)


def _due_count(now: datetime) -> int:
    return sum(
        model.objects.filter(next_alarm_at__lte=now).count() for model in (Case, Assignment, CaseTimer)
    )


# --- Planting ---------------------------------------------------------------------------------------------


def _plant(clocks: int, now: datetime) -> dict[str, int]:
    """Make ``clocks`` clocks due on the open cases (see the module docstring); returns counts per kind."""
    open_cases = list(
        Case.objects.exclude(status__in=[*TERMINAL_STATUSES, CaseStatus.RESOLVED])
        .filter(due_at__isnull=False, clock_paused_at__isnull=True)
        # Spread over everything stored: a deterministic shuffle.
        .order_by(MD5(Cast("pk", CharField())))
        .values_list("pk", flat=True)
    )
    if not open_cases:
        raise CommandError("no open case to plant clocks on: run load_demo and seed_cases first")
    case_ids = open_cases[: clocks // 2]
    planted = {"cases": _plant_cases(case_ids, now)}
    planted["assignments"] = _plant_assignments(open_cases, clocks * 3 // 10, now)
    planted["timers"] = _plant_timers(open_cases, clocks - planted["cases"] - planted["assignments"], now)
    # The facts of the cases whose deadlines moved follow them (what a recompute without an event sends).
    deadlines_recomputed.send(sender=Case, case_ids=sorted(case_ids))
    # Statistics that know the planted rows (what autovacuum does after a load; rolled back with the rest):
    # without them the planner takes a table of a few dozen timers for what it was and joins it badly.
    with connection.cursor() as cursor:
        for model in (Case, Assignment, CaseTimer):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return planted


# How far past each step a planted case clock is: the ladder then fires yellow, 催办, 督办 or 通报.
_CASE_SHAPES = (
    (timedelta(hours=2), timedelta(days=-1)),  # yellow passed, due tomorrow
    (timedelta(days=3), timedelta(hours=1)),  # due an hour ago: 催办
    (timedelta(days=12), timedelta(days=9)),  # overdue for days: 督办
    (timedelta(days=45), timedelta(days=40)),  # the order's own deadline passed: 通报
)


def _plant_cases(case_ids: list[int], now: datetime) -> int:
    rows = []
    for index, case in enumerate(Case.objects.filter(pk__in=case_ids).order_by("pk")):
        yellow_ago, due_ago = _CASE_SHAPES[index % len(_CASE_SHAPES)]
        # The deadline in force is the completion deadline (no "cannot be done yet" date in the way).
        case.follow_up_due_at = case.reasoned_reply_at = None
        case.yellow_at, case.due_at = now - yellow_ago, now - due_ago
        case.supervision_due_at = case.bulletin_at = None
        case.alarm_level, case.next_alarm_at = 0, case.yellow_at
        rows.append(case)
    fields = [
        "follow_up_due_at",
        "reasoned_reply_at",
        "yellow_at",
        "due_at",
        "supervision_due_at",
        "bulletin_at",
    ]
    Case.objects.bulk_update(rows, [*fields, "alarm_level", "next_alarm_at"], batch_size=1000)
    return len(rows)


def _plant_assignments(case_ids: list[int], wanted: int, now: datetime) -> int:
    """The open cases' current assignments: sign-for overdue while pending, an assisting department late."""
    rows = list(
        Assignment.objects.filter(case_id__in=case_ids, is_current=True, clock_paused_at__isnull=True)
        # A lead that signed for it has no ladder of its own (the case clock is its ladder).
        .filter(Q(status=AssignmentStatus.PENDING) | Q(role=AssignmentRole.ASSISTING))
        .order_by(MD5(Cast("pk", CharField())))[:wanted]
    )
    for index, assignment in enumerate(rows):
        assignment.accept_due_at = now - timedelta(hours=1 + index % 48)
        assignment.yellow_at = now - timedelta(days=2)
        assignment.due_at = now - timedelta(hours=1) if index % 2 else now + timedelta(days=1)
        assignment.alarm_level, assignment.next_alarm_at = 0, assignment.accept_due_at - timedelta(days=3)
    fields = ["accept_due_at", "yellow_at", "due_at", "alarm_level", "next_alarm_at"]
    Assignment.objects.bulk_update(rows, fields, batch_size=1000)
    return len(rows)


def _plant_timers(case_ids: list[int], wanted: int, now: datetime) -> int:
    rows = []
    for index in range(wanted):
        due = now - timedelta(hours=2 + (index % 5) * 30)  # reminder, 催办 or 督办 reached
        rows.append(
            CaseTimer(
                case_id=case_ids[index % len(case_ids)],
                kind=TIMER_KINDS[index % len(TIMER_KINDS)],
                subject_id=10_000_000 + index,  # never an existing timer's subject
                started_at=due - timedelta(days=3),
                due_at=due,
                next_alarm_at=due,
                alarm_level=0,
            )
        )
    return len(CaseTimer.objects.bulk_create(rows, batch_size=1000))
