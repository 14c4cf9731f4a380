"""Celery tasks of the public side: queued Open311 submissions become cases (fetch by id, call the service)."""

from celery import shared_task

from .open311 import services


@shared_task(name="citizens.tasks.open311_submission_process", ignore_result=True)
def open311_submission_process(submission_id: int) -> bool:
    """Take one queued submission in; safe to run twice (a processed one is left alone)."""
    return services.submission_process(submission_id=submission_id) is not None


@shared_task(name="citizens.tasks.open311_process_queued", ignore_result=True)
def open311_process_queued() -> int:
    """The beat sweep: whatever is still queued (the broker was down, a worker died) is taken in."""
    return services.submissions_process_queued()
