"""Structured logs: one JSON object per line (``LOG_FORMAT=json``, production's default) and a request id
on every line a request causes, in the web process and in the Celery tasks it enqueues.

- ``RequestIdMiddleware`` takes the caller's ``X-Request-ID`` when it is sane (8–64 characters of
  ``[A-Za-z0-9._-]``: a proxy's or a client's id, never arbitrary text into our logs), else makes one;
  it answers it in ``X-Request-ID`` too.
- ``RequestIdFilter`` (on every handler, like ``windowsvc.logfilter``) puts ``request_id`` on each record
  (``-`` outside a request or a task).
- Celery: ``before_task_publish`` adds the current id to the message's headers; ``task_prerun`` restores it
  in the worker for the task's duration and logs the start of the task with it; ``task_postrun`` clears it.
  A task enqueued by beat or by a sweep gets ``task:<task id>``.
- Celery's worker and beat use the project's ``LOGGING`` (``setup_logging``), so their lines have the same
  shape and the same filters (personal numbers hidden) as the web's.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar

from celery import signals

logger = logging.getLogger("windowsvc.requests")

HEADER = "X-Request-ID"
_SANE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def incoming_or_new(value: str | None) -> str:
    return value if value and _SANE.match(value) else uuid.uuid4().hex


class RequestIdMiddleware:
    """Sets the request id for the request's duration and answers it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        rid = incoming_or_new(request.headers.get(HEADER))
        request.request_id = rid
        token = request_id.set(rid)
        try:
            response = self.get_response(request)
        finally:
            request_id.reset(token)
        response[HEADER] = rid
        return response


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record; never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get() or "-"
        return True


@signals.before_task_publish.connect
def _publish_with_request_id(headers=None, **kwargs) -> None:
    rid = request_id.get()
    if rid and headers is not None:
        headers.setdefault("request_id", rid)


@signals.task_prerun.connect
def _task_started(task_id=None, task=None, **kwargs) -> None:
    rid = getattr(task.request, "request_id", None) if task is not None else None
    task.request.request_id_token = request_id.set(rid or f"task:{task_id}")
    logger.info("task %s started", task.name if task is not None else "?")


@signals.task_postrun.connect
def _task_finished(task=None, **kwargs) -> None:
    token = getattr(task.request, "request_id_token", None) if task is not None else None
    if token is not None:
        request_id.reset(token)
        task.request.request_id_token = None


@signals.setup_logging.connect
def _celery_uses_project_logging(**kwargs) -> None:
    """Worker and beat log through ``settings.LOGGING`` (JSON or plain, filters) instead of Celery's own."""
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
