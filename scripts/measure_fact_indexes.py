"""Measure the dashboard's timeliness read (``supervision.selectors._add_timeliness``) of one county's
departments on the facts' current indexes (led by the department, supervision/0007) against the indexes
they replaced (led by the deadline / the resolution time), side by side in one session with a ``SELECT 1``
ceiling. The old indexes are built, and the new ones dropped, inside a transaction that is rolled back, so
the database is left as it was. The read is wrapped in ``count(*)``: the database's own time, without
moving the rows to Python. Prints p50 / p95 in milliseconds per layout.

    DATABASE_URL=… python scripts/measure_fact_indexes.py [--county 330603] [--rounds 3] [--runs 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "windowsvc.settings")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from routing.choices import DepartmentRole  # noqa: E402
from routing.models import Department  # noqa: E402
from supervision.periods import MONTH, current_period  # noqa: E402
from supervision.selectors import timeliness_facts  # noqa: E402

# The layout before supervision/0007, swapped in for the "before" runs.
BEFORE = [
    "CREATE INDEX before_unsettled ON supervision_casefact (due_at)"
    " WHERE resolved_at IS NULL AND withdrawn_at IS NULL",
    "CREATE INDEX before_resolved ON supervision_casefact (resolved_at)"
    " INCLUDE (lead_department_id, handling_days) WHERE resolved_at IS NOT NULL",
    "DROP INDEX fact_lead_unsettled_idx",
    "DROP INDEX fact_lead_resolved_idx",
    "ANALYZE supervision_casefact",
]


def timed(sql: str, params, runs: int) -> list[float]:
    out = []
    with connection.cursor() as cursor:
        for _ in range(runs):
            started = time.perf_counter()
            cursor.execute(sql, params)
            cursor.fetchall()
            out.append((time.perf_counter() - started) * 1000)
    return out


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--county", default="330603")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    now = timezone.now()
    period = current_period(MONTH, now)
    ids = sorted(
        Department.objects.filter(
            region__path__startswith=f"/{args.county}/", role=DepartmentRole.HANDLING
        ).values_list("pk", flat=True)
    )
    # The selector's own query (``_add_timeliness``), as the ORM writes it.
    read = timeliness_facts(ids, period)
    sql, params = read.query.sql_with_params()
    sql = f"SELECT count(*) FROM ({sql}) rows"  # noqa: S608 (the ORM's own SQL, its values as parameters)
    results: dict[str, list[float]] = {"before (0006)": [], "now (0007)": [], "ceiling SELECT 1": []}
    for _round in range(args.rounds):
        for layout in ("before (0006)", "now (0007)"):
            with transaction.atomic():
                if layout.startswith("before"):
                    with connection.cursor() as cursor:
                        for statement in BEFORE:
                            cursor.execute(statement)
                results[layout] += timed(sql, params, args.runs)
                results["ceiling SELECT 1"] += timed("SELECT 1", None, args.runs)
                transaction.set_rollback(True)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        (rows,) = cursor.fetchone()
    print(f"county {args.county}: {len(ids)} handling departments, {rows} facts read")
    for name, values in results.items():
        print(f"{name:18s} p50 {statistics.median(values):8.2f} ms   p95 {quantile(values, 0.95):8.2f} ms")


if __name__ == "__main__":
    main()
