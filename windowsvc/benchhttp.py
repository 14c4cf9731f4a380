"""``manage.py benchmark --http``: every figure of issue 17 over HTTP, beside its ceilings, in one run.

What it does (BENCHMARKS.md, "Over HTTP"):

1. builds what the load needs from the database it runs against (the demo county plus ``seed_cases``):
   a session per role, an API token for the intake clerk, intake bodies with distinct requesters, the
   tracking numbers and query codes of real cases for the status lookup;
2. collects the static files and starts gunicorn (``-w 2`` sync) with the production profile
   (``windowsvc.settings.benchmark``: production with the benchmark database's keys and the public rate
   limits raised, the limiter still on);
3. drives each figure with ``wrk`` (Debian's, one thread: the load generator shares the two cores) for
   ``--seconds`` after a short unmeasured warm-up, reading the CPU the gunicorn workers and the PostgreSQL
   processes spent, per request, from /proc;
4. measures two ceilings the same way — a plain Django view and a one-query view under the same
   middleware — at the start and again at the end, and prints every figure with its target and its
   throughput as a share of the one-query ceiling;
5. runs the sweep's own benchmark in process (``benchmark_sweep``), when it exists.

Figures are measured, never asserted in tests. The load average is printed with each row: a loaded machine
makes every row and the ceilings slower alike, which is why they are read side by side.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.core.management.base import CommandError
from django.db import connection

ROOT = Path(settings.BASE_DIR)
LUA = ROOT / "scripts" / "bench.lua"
HZ = os.sysconf("SC_CLK_TCK")


@dataclass
class Scenario:
    label: str
    lines: list[str]
    headers: dict[str, str] = field(default_factory=dict)
    clients: int = 8
    expect: int = 200
    unique_header: str = ""
    # (metric, "<=" or ">=", value): metrics are rps, p50, p95, p99, app_cpu, ceiling_share
    targets: list[tuple[str, str, float]] = field(default_factory=list)
    ceiling: bool = False


@dataclass
class Result:
    scenario: Scenario
    rps: float
    p50: float
    p95: float
    p99: float
    max: float
    app_cpu: float  # ms of gunicorn workers' CPU per request
    db_cpu: float  # ms of PostgreSQL processes' CPU per request
    unexpected: int
    first_unexpected: str
    load: float
    ceiling_share: float | None = None
    when: str = ""  # "start" or "end" for the ceilings, measured twice

    @property
    def label(self) -> str:
        return f"{self.scenario.label} ({self.when})" if self.when else self.scenario.label

    def metric(self, name: str) -> float | None:
        return getattr(self, name)

    def verdict(self) -> tuple[str, bool | None]:
        texts, oks = [], []
        for metric, op, value in self.scenario.targets:
            found = self.metric(metric)
            shown = f"{metric} {op} {value:g}"
            texts.append(shown)
            if found is not None:
                oks.append(found <= value if op == "<=" else found >= value)
        if self.unexpected or self.rps == 0:
            return ", ".join([*texts, "every answer as expected"]), False
        if not self.scenario.targets:
            return "", None
        return ", ".join(texts), all(oks)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cpu_ticks(pids: list[int]) -> dict[int, int]:
    """CPU ticks (user + system) spent so far by each of ``pids`` still alive."""
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[pid] = int(fields[11]) + int(fields[12])  # utime, stime
    return found


def _spent(before: dict[int, int], after: dict[int, int]) -> int:
    """Ticks spent between two readings by processes alive at the second (a process that started in
    between counts whole; one that ended in between is lost, which only ever under-counts)."""
    return sum(ticks - before.get(pid, 0) for pid, ticks in after.items())


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _postgres_pids() -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


class Server:
    """gunicorn with the benchmark profile on a free port, stopped on exit."""

    def __init__(self, *, workers: int, secret_key: str, stdout):
        self.port = _free_port()
        self.workers = workers
        self.stdout = stdout
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "windowsvc.settings.benchmark",
            "SECRET_KEY": secret_key,
            "DATABASE_URL": os.environ.get("DATABASE_URL", ""),
            "PUBLIC_BASE_URL": "https://127.0.0.1",
        }
        self.process: subprocess.Popen | None = None
        self.log = tempfile.NamedTemporaryFile("w+", prefix="bench-gunicorn-", suffix=".log", delete=False)  # noqa: SIM115

    def __enter__(self) -> Server:
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=self.env,
            check=True,
        )
        self.process = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "gunicorn",
                "windowsvc.wsgi",
                "-w",
                str(self.workers),
                "-b",
                f"127.0.0.1:{self.port}",
                "--no-control-socket",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{self.port}/bench/plain/",
                    headers={"X-Forwarded-Proto": "https"},
                )
                with urllib.request.urlopen(request, timeout=2) as answer:  # noqa: S310
                    if answer.status == 200 and len(_children(self.process.pid)) >= self.workers:
                        return self
            except OSError:
                time.sleep(0.2)
        self.__exit__(None, None, None)
        raise CommandError(f"gunicorn did not start; its log: {self.log.name}")

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)

    def workers_pids(self) -> list[int]:
        assert self.process is not None
        return _children(self.process.pid)


def run_wrk(server: Server, scenario: Scenario, *, seconds: float, warmup: float) -> Result:
    if shutil.which("wrk") is None:
        raise CommandError("wrk is not installed: apt-get install -y wrk")
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as handle:
        handle.write("\n".join(scenario.lines) + "\n")
        requests_file = handle.name
    env = {
        **os.environ,
        "WRK_REQUESTS": requests_file,
        "WRK_EXPECT": str(scenario.expect),
        "WRK_UNIQUE_HEADER": scenario.unique_header,
    }
    headers = {"X-Forwarded-Proto": "https", "Accept-Language": "zh-hans", **scenario.headers}
    base = ["wrk", "-t1", f"-c{scenario.clients}", "-s", str(LUA), "--timeout", "10s"]
    for name, value in headers.items():
        base += ["-H", f"{name}: {value}"]
    url = f"http://127.0.0.1:{server.port}"
    try:
        if warmup > 0:
            warm = [*base, f"-d{max(1, round(warmup))}s", url]
            subprocess.run(warm, env=env, capture_output=True, check=True)  # noqa: S603
        workers = server.workers_pids()
        postgres = _postgres_pids()
        app_before, db_before = _cpu_ticks(workers), _cpu_ticks(postgres)
        load = os.getloadavg()[0]
        done = subprocess.run(  # noqa: S603
            [*base, f"-d{max(1, round(seconds))}s", url], env=env, capture_output=True, text=True, check=True
        )
        app_after, db_after = _cpu_ticks(workers), _cpu_ticks(_postgres_pids())
        app_spent, db_spent = _spent(app_before, app_after), _spent(db_before, db_after)
    finally:
        os.unlink(requests_file)
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    count = max(summary["requests"], 1)
    return Result(
        scenario=scenario,
        rps=summary["requests"] / (summary["duration_us"] / 1e6),
        p50=summary["p50"],
        p95=summary["p95"],
        p99=summary["p99"],
        max=summary["max"],
        app_cpu=app_spent * 1000 / HZ / count,
        db_cpu=db_spent * 1000 / HZ / count,
        unexpected=summary["unexpected"] + summary["socket_errors"],
        first_unexpected=summary["first_unexpected"],
        load=load,
    )


# --- What the load needs ------------------------------------------------------------------------------


def _session_cookie(user, secret_key: str) -> str:
    """A logged-in session for ``user``, signed as the server will check it (same SECRET_KEY)."""
    saved = settings.SECRET_KEY
    settings.SECRET_KEY = secret_key
    try:
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"
    finally:
        settings.SECRET_KEY = saved


def _token(user) -> str:
    from knox.models import AuthToken

    _instance, token = AuthToken.objects.create(user)
    return f"Token {token}"


def _get(paths: list[str]) -> list[str]:
    return [f"GET\t{path}\t" for path in paths]


def _intake_lines(window, category, count: int) -> list[str]:
    """``count`` intake bodies, each with its own requester (a valid id number and phone)."""
    import random

    from cases.validators import id_number_check_digit

    rng = random.Random(17)
    lines = []
    for i in range(count):
        first17 = f"330681{1960 + i % 40}{1 + i % 12:02d}{1 + i % 28:02d}{rng.randrange(1000):03d}"
        body = {
            "window": window.pk,
            "channel": "walk_in",
            "requester": {
                "kind": "person",
                "name": f"压测{i % 1000:03d}",
                "phone": f"139{rng.randrange(10**8):08d}",
                "id_number": first17 + id_number_check_digit(first17),
                "address": "浣江县城关街道某路1号",
            },
            "title": "营业执照变更多次未办成",
            "description": "申请变更经营范围三次被退回，原因说法不一。",
            "expectation": "一次办好",
            "category": category.pk,
            "matter_kind": "difficult",
            "complexity": "general",
            "handling_mode": "standard",
        }
        lines.append("POST\t/api/v1/cases/\t" + json.dumps(body, ensure_ascii=False))
    return lines


def _lookup_lines(count: int) -> list[str]:
    from cases.models import Case

    lines = []
    for number, code in Case.objects.order_by("-id").values_list("tracking_number", "query_code")[:count]:
        body = json.dumps({"tracking_number": number, "query_code": code})
        lines.append(f"POST\t/api/public/status/\t{body}")
    return lines


def scenarios(*, secret_key: str, only: str = "") -> list[Scenario]:
    from cases.forms import intake_windows
    from cases.models import Case, Category

    User = get_user_model()

    def user(name: str):
        found = User.objects.filter(username=name).first()
        if found is None:
            raise CommandError(f"no user {name!r}: run `manage.py load_demo` (and `seed_cases`) first")
        return found

    numbers = list(Case.objects.order_by("-id").values_list("tracking_number", flat=True)[:500])
    if not numbers:
        raise CommandError("no cases: run `manage.py load_demo` and `seed_cases` first")
    clerk = user("county_clerk")
    window = intake_windows(clerk).first()
    category = Category.objects.for_region_path(window.region.path).active().filter(children=None).first()
    json_headers = {"Content-Type": "application/json"}
    lists = [
        ("clerk", "county_clerk"),
        ("department handler", "dept_rlsb_handler"),
        ("town supervisor", "town1_supervisor"),
        ("county supervisor", "county_supervisor"),
        ("coordinator", "county_coordinator"),
    ]
    list_targets = [("p50", "<=", 20), ("p99", "<=", 60)]
    found = [
        Scenario("ceiling: plain view", _get(["/bench/plain/"]), ceiling=True),
        Scenario(
            "ceiling: one-query view",
            _get([f"/bench/one-query/?{urlencode({'n': n})}" for n in numbers]),
            ceiling=True,
        ),
        Scenario(
            "status lookup (API)",
            _lookup_lines(500),
            headers=json_headers,
            targets=[("rps", ">=", 1000), ("p99", "<=", 20), ("ceiling_share", ">=", 0.5)],
        ),
        Scenario(
            "intake (API, one window)",
            _intake_lines(window, category, 2000),
            headers={**json_headers, "Authorization": _token(clerk)},
            expect=201,
            unique_header="Idempotency-Key",
            targets=[("rps", ">=", 300)],
        ),
    ]
    for role, name in lists:
        cookie = _session_cookie(user(name), secret_key)
        found.append(
            Scenario(
                f"case list page: {role}", _get(["/cases/"]), headers={"Cookie": cookie}, targets=list_targets
            )
        )
        found.append(
            Scenario(
                f"case list API: {role}",
                _get(["/api/v1/cases/"]),
                headers={"Cookie": cookie},
                targets=list_targets,
            )
        )
    supervisor = _session_cookie(user("county_supervisor"), secret_key)
    found += [
        Scenario(
            "home worklist: department handler",
            _get(["/"]),
            headers={"Cookie": _session_cookie(user("dept_rlsb_handler"), secret_key)},
        ),
        Scenario(
            "Open311 requests.json, unchanged (1 client)",
            _get(["/open311/v2/requests.json"]),
            clients=1,
            targets=[("p95", "<=", 10)],
        ),
        Scenario("Open311 requests.json, unchanged", _get(["/open311/v2/requests.json"])),
        Scenario(
            "county dashboard (1 client)",
            _get(["/supervision/"]),
            headers={"Cookie": supervisor},
            clients=1,
            targets=[("p95", "<=", 150), ("app_cpu", "<=", 60)],
        ),
    ]
    if only:
        found = [s for s in found if s.ceiling or only in s.label]
    return found


def run(
    stdout, *, seconds: float, warmup: float, workers: int, only: str, sweep_clocks: int, markdown: bool
) -> None:
    from cases.models import Assignment, Case, CaseEvent

    secret_key = secrets.token_urlsafe(60)
    stdout.write(
        f"database: {connection.settings_dict['NAME']}; {Case.objects.count():,} cases "
        f"({Case.objects.open().count():,} open), {Assignment.objects.count():,} assignments, "
        f"{CaseEvent.objects.count():,} events\n"
        f"gunicorn -w {workers} sync, production profile; wrk -t1, {seconds:g} s per row after {warmup:g} s warm-up; "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start\n"
    )
    planned = scenarios(secret_key=secret_key, only=only)
    ceilings = [s for s in planned if s.ceiling]
    results: list[Result] = []
    with Server(workers=workers, secret_key=secret_key, stdout=stdout) as server:
        first = [run_wrk(server, s, seconds=seconds, warmup=warmup) for s in ceilings]
        for scenario in planned:
            if scenario.ceiling:
                continue
            results.append(run_wrk(server, scenario, seconds=seconds, warmup=warmup))
            stdout.write(f"  measured {scenario.label}\n")
        last = [run_wrk(server, s, seconds=seconds, warmup=warmup) for s in ceilings]
    for result in first:
        result.when = "start"
    for result in last:
        result.when = "end"
    one_query = [r.rps for r in first + last if "one-query" in r.scenario.label]
    ceiling_rps = sum(one_query) / len(one_query) if one_query else None
    for result in results:
        result.ceiling_share = result.rps / ceiling_rps if ceiling_rps else None
    table = _table([*first, *results, *last], markdown=markdown)
    stdout.write(table + "\n")
    bad = [r for r in results if r.unexpected]
    for result in bad:
        stdout.write(
            f"!! {result.label}: {result.unexpected} unexpected answers, first: {result.first_unexpected}\n"
        )
    if sweep_clocks:
        _sweep(stdout, sweep_clocks)


def _table(rows: list[Result], *, markdown: bool) -> str:
    header = [
        "figure",
        "clients",
        "req/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "app CPU ms/req",
        "db CPU ms/req",
        "÷ one-query",
        "load",
        "target",
        "met",
    ]
    lines = []
    for r in rows:
        target, ok = r.verdict()
        lines.append(
            [
                r.label,
                str(r.scenario.clients),
                f"{r.rps:,.0f}",
                f"{r.p50:.1f}",
                f"{r.p95:.1f}",
                f"{r.p99:.1f}",
                f"{r.app_cpu:.1f}",
                f"{r.db_cpu:.1f}",
                "" if r.ceiling_share is None else f"{r.ceiling_share:.2f}",
                f"{r.load:.1f}",
                target,
                "" if ok is None else ("✓" if ok else "✗"),
            ]
        )
    if markdown:
        out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        out += ["| " + " | ".join(line) + " |" for line in lines]
        return "\n".join(out)
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)]
    out = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    out += ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in lines]
    return "\n".join(out)


def _sweep(stdout, clocks: int) -> None:
    from django.core.management import get_commands

    if "benchmark_sweep" not in get_commands():
        stdout.write("(no benchmark_sweep command: sweep not measured)\n")
        return
    done = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "benchmark_sweep", "--clocks", str(clocks)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    stdout.write(done.stdout + done.stderr)
