"""Liveness and readiness (windowsvc/health.py): /livez touches no dependency, /readyz names what failed.

The outage test runs a real gunicorn whose database and Redis addresses are closed ports; the in-process
tests use the real test database, Redis and (for the worker check) a real Celery worker process.
/livez's latency is measured by scripts/measure_probes (a figure for docs/DEPLOY.md, not an assertion here).
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import redis
from django.core.cache import cache
from django.utils import timezone

from notifications.choices import Channel, Status, TemplateCode
from notifications.models import Notification
from tests.fixtures.processes import Gunicorn, free_port, project_env
from windowsvc.tasks import HEARTBEAT_KEY, heartbeat


def test_livez_answers_without_database_or_redis(client, monkeypatch):
    # No django_db mark: pytest-django fails any database access in this test. Redis refuses too.
    def no_redis(*args, **kwargs):
        raise AssertionError("/livez touched Redis")

    monkeypatch.setattr(redis.Redis, "execute_command", no_redis)
    response = client.get("/livez", HTTP_HOST="10.0.0.7:8000")  # a node's address, not in ALLOWED_HOSTS
    assert response.status_code == 200
    assert response.json() == {"ok": True}
    assert response["Cache-Control"] == "no-store"


def test_with_database_and_redis_down_livez_is_200_and_readyz_is_503_naming_both(tmp_path):
    dead_db, dead_redis = free_port(), free_port()  # nothing listens there
    web = Gunicorn(
        project_env(
            DATABASE_URL=f"postgres://postgres@127.0.0.1:{dead_db}/nothing",
            REDIS_URL=f"redis://127.0.0.1:{dead_redis}/0",
            WINDOWSVC_VAR_DIR=str(tmp_path),
        ),
        tmp_path / "gunicorn.log",
    )
    try:
        live = web.get("/livez")
        ready = web.get("/readyz")
        healthz = web.get("/healthz")
    finally:
        web.stop()
    assert live[0] == 200, web.log()
    assert json.loads(live[2]) == {"ok": True}
    assert ready[0] == 503
    body = json.loads(ready[2])
    assert body["ok"] is False
    assert body["failed"] == ["database", "redis", "worker", "beat", "calendar", "outbox"]
    assert "OperationalError" in body["checks"]["database"]["error"]
    assert "ConnectionError" in body["checks"]["redis"]["error"]
    assert body["checks"]["calendar"]["error"] == "not checked: database down"
    assert body["checks"]["worker"]["error"] == "not checked: redis down"
    assert healthz[0] == 503


@pytest.mark.django_db
def test_readyz_is_ready_with_database_and_redis_and_lists_the_rest_that_failed(client):
    cache.delete(HEARTBEAT_KEY)
    response = client.get("/readyz")
    assert response.status_code == 200  # default READYZ_REQUIRED: database, redis
    body = response.json()
    assert body["required"] == ["database", "redis"]
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["redis"]["ok"] is True
    assert "worker" in body["failed"] and "beat" in body["failed"]
    assert body["checks"]["beat"]["error"] == "no beat heartbeat yet"
    strict = client.get("/readyz?require=all")
    assert strict.status_code == 503
    assert client.get("/healthz").status_code == 503


@pytest.mark.django_db
def test_readyz_required_checks_come_from_settings(client, settings):
    settings.READYZ_REQUIRED = ["database", "redis", "beat"]
    cache.delete(HEARTBEAT_KEY)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["required"] == ["database", "redis", "beat"]
    assert "beat" in response.json()["failed"]


@pytest.mark.django_db
def test_a_stale_beat_heartbeat_is_named(client):
    cache.set(HEARTBEAT_KEY, (timezone.now() - timedelta(minutes=10)).isoformat(), timeout=600)
    beat = client.get("/readyz").json()["checks"]["beat"]
    assert beat["ok"] is False
    assert beat["age_seconds"] >= 600
    assert "last heartbeat" in beat["error"]
    heartbeat()  # what the beat schedule runs every minute
    assert client.get("/readyz").json()["checks"]["beat"]["ok"] is True


@pytest.mark.django_db
def test_an_outbox_row_stuck_past_the_limit_is_named(client, settings):
    settings.OUTBOX_MAX_AGE_SECONDS = 900
    assert client.get("/readyz").json()["checks"]["outbox"]["ok"] is True
    Notification.objects.create(
        event_key="test:stuck",
        dedupe_key="stuck-1",
        channel=Channel.SMS,
        template_code=TemplateCode.URGE,
        recipient_address="13800138000",
        recipient_display="138****8000",
        status=Status.PENDING,
        next_attempt_at=timezone.now() - timedelta(hours=1),
    )
    outbox = client.get("/readyz").json()["checks"]["outbox"]
    assert outbox["ok"] is False
    assert outbox["notifications"]["due"] == 1
    assert outbox["notifications"]["oldest_age_seconds"] >= 3600
    assert outbox["error"] == "oldest due row older than 900 s in: notifications"


@pytest.mark.worker
@pytest.mark.django_db
def test_with_a_worker_and_a_fresh_heartbeat_every_check_passes(client, celery_worker_process):
    heartbeat()
    response = client.get("/readyz?require=all")
    body = response.json()
    assert response.status_code == 200, body
    assert body["failed"] == []
    assert body["checks"]["worker"]["workers"]
    assert body["checks"]["calendar"]["ok"] is True
