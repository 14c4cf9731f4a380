"""Project-level tasks: liveness checks used by /healthz and the beat heartbeat."""

import logging

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

logger = logging.getLogger(__name__)

HEARTBEAT_KEY = "beat:heartbeat"


@shared_task(name="windowsvc.tasks.ping")
def ping(payload: str = "pong") -> dict:
    """Echo back through a worker, proving the broker → worker → result backend round trip."""
    return {"payload": payload, "worker_time": timezone.now().isoformat()}


@shared_task(name="windowsvc.tasks.heartbeat")
def heartbeat() -> str:
    """Record that beat scheduled and a worker ran a periodic task (shown by /healthz)."""
    now = timezone.now().isoformat()
    cache.set(HEARTBEAT_KEY, now, timeout=600)
    return now
