"""Querysets of the outbox: the personal inbox scope and the relay's due rows."""

from django.db import models
from django.utils import timezone

from .choices import DUE_STATUSES, Channel, Status


class NotificationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A user's own in-app messages. The inbox is personal: superusers read others' rows in the admin."""
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        return self.filter(recipient_user_id=user.pk, channel=Channel.IN_APP)

    def unread(self):
        return self.filter(read_at__isnull=True)

    def due(self, now=None):
        """Rows a sweep may claim: pending or held and due, or a claim whose lease has run out."""
        now = now or timezone.now()
        return self.filter(
            models.Q(status__in=DUE_STATUSES, next_attempt_at__lte=now)
            | models.Q(status=Status.SENDING, lease_until__lt=now)
        )
