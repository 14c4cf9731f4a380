"""``manage.py benchmark``: response times of the supervision pages through the whole HTTP stack.

Each target is requested ``--requests`` times (after ``--warmup`` unmeasured requests) with Django's test
client logged in as a supervisor: URL routing, middleware (sessions, authentication, CSRF, locale),
scoping, the queries, template rendering. Prints the data size, then p50 / p95 / max per page and the
target (p95) it is held to. Timings are measured here, never asserted in tests (BENCHMARKS.md).
"""

from __future__ import annotations

import statistics
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client

from cases.models import Case, CaseEvent
from routing.models import Region
from supervision.selectors import supervision_roots

# (label, path, p95 target in ms or None)
TARGETS = [
    ("county dashboard", "/supervision/", 150),
    ("department table", "/supervision/departments/", 150),
    ("overdue list", "/supervision/overdue/", 50),
    (
        "overdue list, one department, sorted",
        "/supervision/overdue/?department={department}&sort=department",
        50,
    ),
    ("town dashboard", "/supervision/?region={town}", None),
    ("monthly ranking", "/supervision/rankings/", None),
    ("light board (year)", "/supervision/lights/", None),
    ("API dashboard", "/api/v1/supervision/dashboard/", None),
    ("API overdue list", "/api/v1/supervision/overdue/", None),
]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    position = p * (len(ordered) - 1)
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


class Command(BaseCommand):
    help = "Measure the supervision pages (p50/p95/max over N requests through the HTTP stack)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--requests", type=int, default=50, help="measured requests per page (default 50)"
        )
        parser.add_argument("--warmup", type=int, default=3, help="unmeasured requests first (default 3)")
        parser.add_argument(
            "--user", default="county_supervisor", help="who looks (default county_supervisor)"
        )
        parser.add_argument("--only", default="", help="only pages whose label contains this text")

    def handle(self, *args, requests, warmup, user, only, **options):
        if requests < 1:
            raise CommandError("--requests must be at least 1")
        User = get_user_model()
        account = User.objects.filter(username=user).first()
        if account is None:
            raise CommandError(f"no user {user!r}: run `manage.py load_demo` (and `seed_cases`) first")
        roots = supervision_roots(account)
        county = roots[0]
        town = Region.objects.filter(parent=county).order_by("code").first()
        department = (
            Case.objects.open().filter(region_path__startswith=county.path).exclude(lead_department=None)
            .values_list("lead_department_id", flat=True).first()
        )  # fmt: skip
        client = Client()
        client.force_login(account)
        self.stdout.write(
            f"database: {connection.vendor} {connection.settings_dict['NAME']}; DEBUG={settings.DEBUG}\n"
            f"data: {Case.objects.count():,} cases ({Case.objects.open().count():,} open), "
            f"{CaseEvent.objects.count():,} events; looking as {user} at {county.name} ({county.code})\n"
            f"{requests} measured requests per page after {warmup} warm-up requests (Django test client)\n"
        )
        self.stdout.write(f"{'page':40} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'target':>8}  result")
        failures = 0
        for label, path, target in TARGETS:
            if only and only not in label:
                continue
            url = path.format(town=town.code if town else county.code, department=department or "")
            for _ in range(warmup):
                self._get(client, url)
            timings = []
            for _ in range(requests):
                started = time.perf_counter()
                self._get(client, url)
                timings.append((time.perf_counter() - started) * 1000)
            p95 = percentile(timings, 0.95)
            verdict = "" if target is None else ("ok" if p95 <= target else "OVER")
            failures += verdict == "OVER"
            self.stdout.write(
                f"{label:40} {statistics.median(timings):8.1f} {p95:8.1f} {max(timings):8.1f} "
                f"{'' if target is None else f'<= {target}':>8}  {verdict}"
            )
        if failures:
            self.stdout.write(f"{failures} page(s) over target")

    def _get(self, client: Client, url: str) -> None:
        response = client.get(url)
        if response.status_code != 200:
            raise CommandError(f"GET {url}: {response.status_code}")
        if response.streaming:
            b"".join(response.streaming_content)
