"""Base classes shared by every app: timestamps, append-only histories, random upload names."""

from __future__ import annotations

import uuid
from pathlib import PurePosixPath

import pghistory
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


# The configuration history (docs/SECURITY.md): every insert, change and delete of a configuration model
# (organisation, memberships, calendar, categories, SLA policies, reasons, integrations, message
# templates) is copied by a PostgreSQL trigger (django-pghistory) into its ``<Model>Event`` table, with the
# request's user and path as context (``audit.middleware``). The copies are append-only. SQLite keeps no
# history (no triggers): the zero-setup demo runs without it.
def history_trackers() -> tuple:
    """Fresh trackers for one model (pghistory binds an update tracker's condition to its model)."""
    return (pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())


class TimeStampedModel(models.Model):
    """Abstract base: creation and last-change times, both aware and set by the database layer."""

    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        abstract = True


class AppendOnlyViolation(Exception):
    """An attempt to change or delete a row of an append-only history."""


class AppendOnlyQuerySet(models.QuerySet):
    """A history's queryset: bulk updates and deletes are refused like single ones (``append_only_error``
    of the model names the app's own exception)."""

    def update(self, **kwargs):
        raise self.model.append_only_error(f"{self.model._meta.label} rows are append-only")

    def delete(self):
        raise self.model.append_only_error(f"{self.model._meta.label} rows are append-only")


class AppendOnlyModel(models.Model):
    """Abstract base of an append-only history (case events, write-up events, practice item events): a row
    is written once, never saved again and never deleted. On PostgreSQL the case events' table also has a
    trigger (``cases`` migrations) so that plain SQL cannot either."""

    append_only_error: type[Exception] = AppendOnlyViolation

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise self.append_only_error(_("记录只能新增，不能修改。"))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise self.append_only_error(_("记录不能删除。"))


def random_upload_name(prefix: str, filename: str) -> str:
    """Storage name of an uploaded file: a random name under ``prefix/YYYY/MM``, with the original suffix;
    never the uploader's file name (kept separately for display)."""
    suffix = PurePosixPath(filename).suffix.lower()[:10]
    return f"{prefix}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"
