"""Celery tasks of the outbox: deliver one row (enqueued on commit) and the relay sweep (beat, every 30 s).

Both are safe to run twice or at once: every send goes through a claim (``delivery.py``). Retries are
stored due times picked up by the sweep, never Celery countdowns.
"""

from celery import shared_task

from . import delivery


@shared_task(name="notifications.tasks.deliver", ignore_result=True)
def deliver(notification_id: int) -> str:
    """Deliver one notification if it is due and unclaimed; returns the outcome."""
    return delivery.deliver_notification(notification_id)


@shared_task(name="notifications.tasks.relay_pending", ignore_result=True)
def relay_pending() -> dict[str, int]:
    """Deliver every due row (pending, held until now, or a claim whose lease ran out) in batches."""
    return delivery.relay_pending()
