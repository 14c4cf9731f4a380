"""What is waiting: the outboxes' backlog, the sweep's lag, dead letters and the Celery queue's depth.

One set of read-only queries shared by readiness (``windowsvc/health.py``) and the Prometheus gauges
(``windowsvc/metrics.py``), so a dashboard and a probe never disagree about what "behind" means. Every query
uses an index the relay or the sweep already needs (``notif_due_idx``, ``hotline_cb_due_idx``, the clocks'
partial ``next_alarm_at`` indexes); none scans a table.

The apps are imported inside the functions: ``windowsvc`` is the project package below every app.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Count, Min
from django.utils import timezone


@dataclass(frozen=True)
class Backlog:
    """Rows due and not yet handled: how many, and how long the oldest has waited (seconds; 0 when none)."""

    count: int
    oldest_age_seconds: float


def _backlog(rows, now: datetime, field: str = "next_attempt_at") -> Backlog:
    found = rows.filter(**{f"{field}__lte": now}).aggregate(n=Count("pk"), oldest=Min(field))
    oldest = found["oldest"]
    return Backlog(found["n"], max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)


def outbox_backlogs(now: datetime | None = None) -> dict[str, Backlog]:
    """Due outbox rows per outbox: ``notifications`` (pending or held past their attempt time) and
    ``hotline`` (12345 status callbacks pending past theirs). A row being sent is not backlog."""
    from hotline.choices import DeliveryStatus
    from hotline.models import HotlineCallback
    from notifications.choices import DUE_STATUSES
    from notifications.models import Notification

    now = now or timezone.now()
    return {
        "notifications": _backlog(Notification.objects.filter(status__in=DUE_STATUSES), now),
        "hotline": _backlog(HotlineCallback.objects.filter(status=DeliveryStatus.PENDING), now),
    }


def dead_letters() -> dict[str, int]:
    """Rows given up on, per outbox (the admin's resend lists): notifications dead or failed, callbacks dead."""
    from hotline.choices import DeliveryStatus
    from hotline.models import HotlineCallback
    from notifications.choices import RESENDABLE_STATUSES
    from notifications.models import Notification

    return {
        "notifications": Notification.objects.filter(status__in=RESENDABLE_STATUSES).count(),
        "hotline": HotlineCallback.objects.filter(status=DeliveryStatus.DEAD).count(),
    }


def sweep_lag(now: datetime | None = None) -> dict[str, Backlog]:
    """Clocks whose next ladder step is due and not fired, per kind (``cases``, ``assignments``,
    ``timers``): a healthy sweep keeps the oldest under a minute or two (beat runs it every minute)."""
    from cases.models import Assignment, Case, CaseTimer

    now = now or timezone.now()
    return {
        name: _backlog(model.objects.filter(next_alarm_at__isnull=False), now, "next_alarm_at")
        for name, model in (("cases", Case), ("assignments", Assignment), ("timers", CaseTimer))
    }


def queue_depths() -> dict[str, int]:
    """Messages waiting in each Celery queue the workers consume (Redis LLEN of the queue's list; Celery's
    Redis transport keeps priorities 0 and 3/6/9 in ``<queue>`` and ``<queue>\\x06\\x16<n>``)."""
    import redis

    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        keys = [queue, *(f"{queue}\x06\x16{n}" for n in (3, 6, 9))]
        pipe = client.pipeline(transaction=False)
        for key in keys:
            pipe.llen(key)
        return {queue: sum(pipe.execute())}
    finally:
        client.close()
