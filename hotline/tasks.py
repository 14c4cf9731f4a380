"""Celery tasks of the hotline app: they take ids and call ``hotline.outbox``."""

from celery import shared_task

from . import outbox


@shared_task(ignore_result=True)
def deliver_callback(callback_id: int) -> str:
    return outbox.deliver(callback_id)


@shared_task(ignore_result=True)
def relay_callbacks() -> dict[str, int]:
    return outbox.relay_pending()
