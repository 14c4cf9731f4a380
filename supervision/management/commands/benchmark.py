"""``manage.py benchmark``: response times of the supervision pages through the whole HTTP stack.

Each target is requested ``--requests`` times (after ``--warmup`` unmeasured requests) with Django's test
client logged in as a supervisor: URL routing, middleware (sessions, authentication, CSRF, locale),
scoping, the queries, template rendering. Prints the data size, then p50 / p95 / max per page and the
target (p95) it is held to. Timings are measured here, never asserted in tests (BENCHMARKS.md).

``--library`` measures the case library instead (issue 14): the staff library search (page and API) as the
supervisor, and the intake suggestions as a clerk at their window (``--clerk``), each request with the next
of ``SEARCH_QUERIES`` or ``INTAKE_TEXTS`` (matters as a clerk or a citizen types them). Build the data with ``seed_cases``,
``seed_writeups`` and ``library_reindex`` first.
"""

from __future__ import annotations

import statistics
import time
from urllib.parse import quote

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

# What people type: the staff search box (short) and the intake form's title and description (longer).
SEARCH_QUERIES = [
    "营业执照变更登记被退回",
    "开发商破产后不动产登记怎么办",
    "养老保险关系转移接续办不了",
    "消防验收申报不受理",
    "随迁子女入学居住证明",
    "异地就医没有备案报销",
    "小餐饮店面积小能不能办许可",
    "供水报装掘路许可互相推诿",
    "农村翻建房子规划许可批不下来",
    "增值税发票领用被锁",
    "残疾人生活补贴停发",
    "包工头跑了工资一直没拿到",
    "公司注销清税证明办不出来",
    "二手房过户契税",
    "材料反复补正",
    "跨部门推诿",
]
INTAKE_TEXTS = [
    "营业执照经营范围变更多次被退回 我们公司要改经营范围，交了几次材料都被退回来了，窗口说表述不规范",
    "小区房产证办不下来 小区买房二十年了还没有房产证，开发商已经破产，不动产登记中心说办不了",
    "社保转移接续 从外省回来社保转不过来，养老保险关系转移系统接收不了，跑了好几趟",
    "厂房消防验收 厂房扩建消防验收没有原来的设计图纸，申报不受理",
    "孩子入学证明 孩子上学要交的居住证明、社保证明太多，跑了好几趟还让补交",
    "医保报销被拒 在外地住院回来医保不给报销，说没有办异地就医备案",
    "小吃店许可证 开小吃店食品经营许可证办不下来，说店面面积太小",
    "新厂房接自来水 新厂房申请接自来水拖了三个月，供水公司和交通部门互相推诿掘路许可",
    "农村建房审批 村里翻建危房，规划许可批不下来，镇里让找自然资源所",
    "发票领不了 增值税发票领用被锁，系统说有风险，影响发货",
    "残疾人补贴停发 残疾人生活补贴和护理补贴停了，民政和残联互相推",
    "讨薪 包工头跑了，工资一直没拿到，半年了",
]

# (label, path, p95 target in ms or None, who looks: "user" or "clerk"); {q} takes the next query.
LIBRARY_TARGETS = [
    # The ceiling: the same stack (session, middleware, scope, JSON) with no search behind it.
    ("ceiling: /api/v1/me/ (no search)", "/api/v1/me/", None, "user", [""]),
    ("library search (page)", "/library/?q={q}", 100, "user", SEARCH_QUERIES),
    ("library search (API)", "/api/v1/writeups/?q={q}", 100, "user", SEARCH_QUERIES),
    ("intake suggestions", "/library/suggest/?q={q}&window={window}", 200, "clerk", INTAKE_TEXTS),
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
        parser.add_argument(
            "--library", action="store_true", help="measure the case library's search and suggestions instead"
        )
        parser.add_argument(
            "--http",
            action="store_true",
            help="every figure of issue 17 over HTTP: gunicorn (production profile) driven by wrk, with ceilings",
        )
        parser.add_argument(
            "--seconds", type=float, default=8, help="--http: measured seconds per row (default 8)"
        )
        parser.add_argument(
            "--warmup-seconds", type=float, default=2, help="--http: unmeasured seconds first (default 2)"
        )
        parser.add_argument("--workers", type=int, default=2, help="--http: gunicorn workers (default 2)")
        parser.add_argument(
            "--sweep-clocks",
            type=int,
            default=10000,
            help="--http: due clocks for the sweep's benchmark (0: skip)",
        )
        parser.add_argument("--markdown", action="store_true", help="--http: print the table as Markdown")
        parser.add_argument(
            "--clerk",
            default="county_clerk",
            help="who asks for suggestions (--library; default county_clerk)",
        )

    def handle(self, *args, requests, warmup, user, only, library=False, clerk="county_clerk", **options):
        if options.get("http"):
            from windowsvc import benchhttp

            benchhttp.run(
                self.stdout,
                seconds=options["seconds"],
                warmup=options["warmup_seconds"],
                workers=options["workers"],
                only=only,
                sweep_clocks=options["sweep_clocks"],
                markdown=options["markdown"],
            )
            return
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
        if library:
            self._library(client, requests=requests, warmup=warmup, only=only, clerk=clerk)
            return
        self._header()
        failures = 0
        for label, path, target in TARGETS:
            if only and only not in label:
                continue
            url = path.format(town=town.code if town else county.code, department=department or "")
            timings = self._measure(client, [url], requests=requests, warmup=warmup)
            failures += self._report(label, timings, target)
        if failures:
            self.stdout.write(f"{failures} page(s) over target")

    def _library(self, client: Client, *, requests: int, warmup: int, only: str, clerk: str) -> None:
        from cases.forms import intake_windows
        from library.models import SolvedCase, WriteUp

        account = get_user_model().objects.filter(username=clerk).first()
        window = intake_windows(account).first() if account else None
        if account is None or window is None:
            raise CommandError(f"no clerk {clerk!r} at a service window: run `manage.py load_demo` first")
        clerk_client = Client()
        clerk_client.force_login(account)
        self.stdout.write(
            f"library: {WriteUp.objects.published().count():,} published write-ups, "
            f"{SolvedCase.objects.count():,} solved cases indexed; suggestions as {clerk} at {window}\n"
        )
        self._header()
        rows = [
            (label, [path.format(q=quote(q), window=window.pk) for q in queries], target, who)
            for label, path, target, who, queries in LIBRARY_TARGETS
            if not only or only in label or label.startswith("ceiling")
        ]
        clients = {"clerk": clerk_client, "user": client}
        for i in range(warmup):
            for _label, urls, _target, who in rows:
                self._get(clients[who], urls[i % len(urls)])
        # Interleaved, one request of each row in turn: the load of the machine (other work on the same
        # cores) weighs on every row alike, and the ceiling row shows how much of a figure is the stack.
        timings: dict[str, list[float]] = {label: [] for label, *_ in rows}
        for i in range(requests):
            for label, urls, _target, who in rows:
                started = time.perf_counter()
                self._get(clients[who], urls[i % len(urls)])
                timings[label].append((time.perf_counter() - started) * 1000)
        failures = sum(self._report(label, timings[label], target) for label, _urls, target, _who in rows)
        if failures:
            self.stdout.write(f"{failures} page(s) over target")

    def _header(self) -> None:
        self.stdout.write(f"{'page':40} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'target':>8}  result")

    def _measure(self, client: Client, urls: list[str], *, requests: int, warmup: int) -> list[float]:
        """``warmup`` unmeasured then ``requests`` measured requests, taking the URLs in turn."""
        for i in range(warmup):
            self._get(client, urls[i % len(urls)])
        timings = []
        for i in range(requests):
            url = urls[i % len(urls)]
            started = time.perf_counter()
            self._get(client, url)
            timings.append((time.perf_counter() - started) * 1000)
        return timings

    def _report(self, label: str, timings: list[float], target: int | None) -> int:
        p95 = percentile(timings, 0.95)
        verdict = "" if target is None else ("ok" if p95 <= target else "OVER")
        self.stdout.write(
            f"{label:40} {statistics.median(timings):8.1f} {p95:8.1f} {max(timings):8.1f} "
            f"{'' if target is None else f'<= {target}':>8}  {verdict}"
        )
        return int(verdict == "OVER")

    def _get(self, client: Client, url: str) -> None:
        response = client.get(url)
        if response.status_code != 200:
            raise CommandError(f"GET {url}: {response.status_code}")
        if response.streaming:
            b"".join(response.streaming_content)
