"""``seed_cases``: for each county in turn, plan the days and generate them in chunks of whole days (in
worker processes on PostgreSQL); then finish what spans chunks: rollups, tracking-number counters, id
sequences, statistics.

Invariants
- A chunk is whole days, generated and written by one process in one transaction (``writer``); the
  chunks' ids do not overlap (reserved per case), so workers need no coordination.
- Rollups and counters are summed in the parent from what each chunk reports, and written once at the
  end, added to what the database holds (a second seed adds to the first).
"""

from __future__ import annotations

import multiprocessing
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection, connections, transaction
from django.utils import timezone

from cases.models import Assignment, Case, CaseEvent, CaseNumberCounter, Requester

from ..models import CaseFact, DepartmentMonthStat, RegionDayStat
from .counties import counties_split, seed_counties
from .generator import Generator
from .world import World, build_world, plan_days
from .writer import TABLE_KEYS, indexes_drop, indexes_restore, tables, write_chunk

# --- Workers ------------------------------------------------------------------------------------------

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
    assert world is not None, "_worker_init runs first"
    tabs = tables()
    generator = Generator(world, tabs, _SEED)
    out: dict[str, list[str]] = {k: [] for k in TABLE_KEYS}
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
    """(first day, last day, index of the first case) of each chunk: whole days, about ``chunk_cases``."""
    specs, start, index, acc = [], world.first_day, 0, 0
    for i, count in enumerate(world.day_counts):
        day = world.first_day + i
        acc += count
        if acc >= chunk_cases or day == world.last_day:
            specs.append((start, day, index))
            index += acc
            start, acc = day + 1, 0
    return [s for s in specs if s[0] <= s[1]]


# --- The command's driver -------------------------------------------------------------------------------


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
    counties: Sequence[str] | None = None,
) -> SeedResult:
    """Generate ``cases`` cases over the last ``days`` days (see the package docstring).

    ``counties`` (codes): the counties to spread the cases over, evenly (``counties.counties_split``);
    default every county that can take cases (``counties.seed_counties``). Each county is one ``World``,
    generated after the one before (so each reads the first free ids the previous one left), with its own
    random seed: ``seed`` for the first county in code order, ``seed`` mixed with the county's code for the
    others (``county_seed``), so a one-county history is the same as before counties existed and two
    counties do not repeat each other.

    ``defer_indexes`` (PostgreSQL): drop the secondary indexes of the loaded tables for the load and
    build them again at the end (each in one pass, in parallel), instead of maintaining them row by row.
    """
    started = time.monotonic()
    if connection.vendor != "postgresql":
        defer_indexes = False
    chosen = seed_counties(counties)
    if defer_indexes:
        indexes_restore(workers=workers or 2)  # an interrupted earlier run left some to build
        indexes_drop()
    now = now or timezone.now()
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

    for position, (county, share) in enumerate(zip(chosen, counties_split(cases, len(chosen)), strict=True)):
        if not share:
            continue
        own_seed = county_seed(seed, county.code, first=position == 0)
        world = build_world(days=days, now=now, seed=own_seed, county=county)
        world.day_counts = plan_days(world, share, own_seed)
        specs = chunks(world, chunk_cases)
        if workers and len(specs) > 1:
            connections.close_all()
            context = multiprocessing.get_context("fork")
            with context.Pool(workers, initializer=_worker_init, initargs=(world, own_seed)) as pool:
                for result in pool.imap_unordered(_run_chunk, specs):
                    collect(result)
        else:
            _worker_init(world, own_seed, worker=False)
            for spec in specs:
                collect(_run_chunk(spec))
    if defer_indexes:
        indexes_restore(workers=workers or 2)
    _finish(totals, counters)
    return SeedResult(done, events, assignments, time.monotonic() - started)


def county_seed(seed: int, code: str, *, first: bool) -> int:
    """The random seed of one county's history: ``seed`` itself for the first county, else mixed with the
    county's code (a fixed function, so the same seed gives the same history)."""
    return seed if first else seed * 1_000_003 + int(code)


def _finish(totals: dict[tuple, Counter], counters: dict[tuple[int, int], int]) -> None:
    """Rollups added to what is there, tracking-number counters, id sequences, planner statistics."""
    from ..projection import apply_delta

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
