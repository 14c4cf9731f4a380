"""Liveness and readiness, split (docs/DEPLOY.md, "Health").

``/livez``: the process answers HTTP. No database, no Redis, no session, no host check: answered by
``ProbeMiddleware`` first in the middleware list, before anything that could wait on a dependency, so it
stays in the low milliseconds with the database down (a liveness probe that failed with the database would
make the orchestrator restart every web node at once, which fixes nothing).

``/readyz``: each dependency checked with a short timeout, named in the JSON body with what failed:
``database``, ``redis`` (required: a web node without them cannot serve), ``worker`` (a Celery worker
answers a broadcast ping), ``beat`` (the heartbeat task ran within ``BEAT_HEARTBEAT_MAX_AGE``),
``calendar`` (the working-day calendar's horizon has not passed), ``outbox`` (the oldest due outbox row
is younger than ``OUTBOX_MAX_AGE_SECONDS``). 503 when a *required* check fails: ``READYZ_REQUIRED``
(default ``database,redis``; load balancers use that, so a worker outage does not take the web down with
it) or ``?require=all`` (monitoring). Every failure is listed under ``failed`` whatever decides the status.

``/healthz`` is kept for monitors configured before the split: ``/readyz?require=all``.

django-health-check was considered: its maintained line (4.x) needs Django 6 (this project is on 5.2 LTS,
Python 3.11), and four of the six checks (beat, calendar, outbox, worker by broadcast) are ours anyway.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

PROBE_PATHS = ("/livez", "/readyz", "/healthz", "/metrics")
ALL_CHECKS = ("database", "redis", "worker", "beat", "calendar", "outbox")


class ProbeMiddleware:
    """Answers the probes and the metrics scrape (``windowsvc/metrics.py``) before every other middleware
    (first in ``MIDDLEWARE``): no session, no authentication, no ``ALLOWED_HOSTS`` check (orchestrators and
    scrapers reach a node by its address), no HTTPS redirect (they speak plain HTTP to the node)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if path == "/livez":
            return livez(request)
        if path == "/readyz":
            return readyz(request)
        if path == "/healthz":
            return readyz(request, require_all=True)
        if path == "/metrics":
            from .metrics import metrics  # prometheus_client only when scraped

            return metrics(request)
        return self.get_response(request)


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


def livez(request: HttpRequest) -> HttpResponse:
    """200 while the process can answer; touches nothing else."""
    return _no_store(JsonResponse({"ok": True}))


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)


def _check_database() -> dict:
    from django.db import connection, transaction

    started = time.monotonic()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A server that accepts connections but hangs on queries must not hang the probe.
            cursor.execute(
                "SET LOCAL statement_timeout = %s", [f"{int(settings.READYZ_TIMEOUT_SECONDS * 1000)}ms"]
            )
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True, "ms": _ms(started)}


def _check_redis() -> dict:
    from django.core.cache import cache

    started = time.monotonic()
    cache._cache.get_client().ping()  # the Redis client behind Django's cache (1 s socket timeouts)
    return {"ok": True, "ms": _ms(started)}


def _check_worker() -> dict:
    from windowsvc.celery import app

    started = time.monotonic()
    # A broadcast ping on the broker (no task, no result key): every live worker answers with its name.
    replies = app.control.ping(timeout=settings.READYZ_TIMEOUT_SECONDS) or []
    names = sorted(name for reply in replies for name in reply)
    if not names:
        return {"ok": False, "error": f"no worker answered within {settings.READYZ_TIMEOUT_SECONDS:g} s"}
    return {"ok": True, "ms": _ms(started), "workers": names}


def _check_beat() -> dict:
    from django.core.cache import cache
    from django.utils import timezone
    from django.utils.dateparse import parse_datetime

    from .tasks import HEARTBEAT_KEY

    beat = cache.get(HEARTBEAT_KEY)
    moment = parse_datetime(beat) if beat else None
    if moment is None:
        return {"ok": False, "error": "no beat heartbeat yet", "heartbeat": None}
    age = (timezone.now() - moment).total_seconds()
    ok = age <= settings.BEAT_HEARTBEAT_MAX_AGE
    answer = {"ok": ok, "heartbeat": beat, "age_seconds": round(age)}
    if not ok:
        answer["error"] = f"last heartbeat {age:.0f} s ago (> {settings.BEAT_HEARTBEAT_MAX_AGE} s)"
    return answer


def _check_calendar() -> dict:
    from routing.calendar.horizon import calendar_horizon_warning

    warning = calendar_horizon_warning()
    if warning is None:
        return {"ok": True}
    passed = warning.days_left is None or warning.days_left < 0
    answer = {
        "ok": not passed,
        "horizon": warning.horizon.isoformat() if warning.horizon else None,
        "days_left": warning.days_left,
        "import_years": list(warning.years),
    }
    if passed:
        answer["error"] = "the working-day calendar has run out: import " + ", ".join(map(str, warning.years))
    return answer


def _check_outbox() -> dict:
    from .backlog import outbox_backlogs

    limit = settings.OUTBOX_MAX_AGE_SECONDS
    backlogs = outbox_backlogs()
    late = [name for name, backlog in backlogs.items() if backlog.oldest_age_seconds > limit]
    answer: dict = {
        "ok": not late,
        **{
            name: {"due": b.count, "oldest_age_seconds": round(b.oldest_age_seconds)}
            for name, b in backlogs.items()
        },
    }
    if late:
        answer["error"] = f"oldest due row older than {limit} s in: {', '.join(late)}"
    return answer


CHECKS: dict[str, Callable[[], dict]] = {
    "database": _check_database,
    "redis": _check_redis,
    "worker": _check_worker,
    "beat": _check_beat,
    "calendar": _check_calendar,
    "outbox": _check_outbox,
}
# Checks that read the database: skipped (reported as such) when the database itself is down, so the probe
# answers within its timeouts instead of paying the connection timeout once per check.
NEEDS_DATABASE = ("calendar", "outbox")
NEEDS_REDIS = ("worker", "beat")


def required_checks(request: HttpRequest, *, require_all: bool = False) -> tuple[str, ...]:
    if require_all or request.GET.get("require") == "all":
        return ALL_CHECKS
    return tuple(settings.READYZ_REQUIRED)


def run_checks() -> dict[str, dict]:
    """Every check's answer; a check reports its failure (type and message), it never raises."""
    results: dict[str, dict] = {}
    for name, check in CHECKS.items():
        blocked = (name in NEEDS_DATABASE and not results["database"]["ok"]) or (
            name in NEEDS_REDIS and not results["redis"]["ok"]
        )
        if blocked:
            results[name] = {
                "ok": False,
                "error": "not checked: " + ("database" if name in NEEDS_DATABASE else "redis") + " down",
            }
            continue
        try:
            results[name] = check()
        except Exception as exc:  # a probe reports failures, it does not raise them
            results[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    return results


def readyz(request: HttpRequest, *, require_all: bool = False) -> HttpResponse:
    """Every check's answer; 503 naming the failed ones when a required check fails."""
    required = required_checks(request, require_all=require_all)
    checks = run_checks()
    failed = [name for name, answer in checks.items() if not answer["ok"]]
    ready = not (set(failed) & set(required))
    body = {
        "ok": ready,
        "required": list(required),
        "failed": failed,
        "checks": checks,
        "audit_digest": _audit_digest() if checks["database"]["ok"] else None,
    }
    return _no_store(JsonResponse(body, status=200 if ready else 503))


def _audit_digest() -> dict | None:
    """The last digest of the case events' chain heads (audit/chain.py), shown for the operators to compare
    with their copy of the log; informative: it does not decide readiness (a fresh install has none)."""
    from audit.chain import latest_digest  # the project package above the apps: imported late

    try:
        return latest_digest()
    except Exception as exc:
        return {"error": f"{type(exc).__name__}"}
