"""/healthz: database, Redis and a Celery worker round trip, as JSON; also the last audit digest."""

import time

from celery.exceptions import TimeoutError as CeleryTimeout
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from .tasks import HEARTBEAT_KEY, ping

WORKER_TIMEOUT_SECONDS = 3.0


def _check_database() -> dict:
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True, "engine": connection.vendor, "ms": round((time.monotonic() - started) * 1000, 1)}


def _check_redis() -> dict:
    started = time.monotonic()
    client = cache._cache.get_client()  # the Redis client behind Django's cache
    client.ping()
    return {"ok": True, "ms": round((time.monotonic() - started) * 1000, 1)}


def _check_worker() -> dict:
    started = time.monotonic()
    result = ping.apply_async(args=["healthz"], expires=WORKER_TIMEOUT_SECONDS)
    try:
        answer = result.get(timeout=WORKER_TIMEOUT_SECONDS, disable_sync_subtasks=False)
    except CeleryTimeout:
        result.forget()
        return {"ok": False, "error": f"no worker answered within {WORKER_TIMEOUT_SECONDS:.0f} s"}
    return {
        "ok": answer.get("payload") == "healthz",
        "ms": round((time.monotonic() - started) * 1000, 1),
        "beat_heartbeat": cache.get(HEARTBEAT_KEY),
    }


@never_cache
def healthz(request):
    """Report each dependency separately; 200 only when all are reachable, else 503."""
    checks = {}
    for name, check in (("database", _check_database), ("redis", _check_redis), ("celery", _check_worker)):
        try:
            checks[name] = check()
        except Exception as exc:  # a health check reports failures, it does not raise them
            checks[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    ok = all(item["ok"] for item in checks.values())
    return JsonResponse(
        {"ok": ok, "checks": checks, "audit_digest": _audit_digest()}, status=200 if ok else 503
    )


def _audit_digest() -> dict | None:
    """The last digest of the case events' chain heads (audit/chain.py), shown for the operators to compare
    with their copy of the log; informative: it does not decide readiness (a fresh install has none)."""
    from audit.chain import latest_digest  # the project package above the apps: imported late

    try:
        return latest_digest()
    except Exception as exc:  # the database check above already reports an outage
        return {"error": f"{type(exc).__name__}"}
