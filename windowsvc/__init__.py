"""windowsvc: the “办不成事” window's case-management system."""

from .celery import app as celery_app

__all__ = ["celery_app"]
