"""Beat task of the audit trail: the daily digest of the case events' chain heads."""

from celery import shared_task

from .chain import chain_digest_write


@shared_task(name="audit.tasks.write_chain_digest")
def write_chain_digest() -> str:
    """Write today's digest (idempotent: one row per day, a repeat returns it)."""
    return chain_digest_write().digest
