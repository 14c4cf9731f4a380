"""Writes of the notifications app. Other apps call ``notification_request`` and ``notify_staff`` inside their
own transaction; the rows commit or roll back with the event that caused them.

Nothing here waits on Redis: delivery is published after commit with one bounded try, a failed publish
only logs (and pauses publishing for a few seconds), and the relay sweep delivers whatever was not
enqueued.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from windowsvc import errors
from windowsvc.inserts import insert_new
from windowsvc.personal import email_address, mask_email, mask_phone, phone_address

from . import conf
from .choices import RESENDABLE_STATUSES, Channel, Language, Status, TemplateCode
from .delivery import quiet_hours_apply, quiet_hours_end
from .models import ChannelPreference, Notification
from .rendering import missing_variables, normalise_language, prepare_context, render_message, sms_segments

logger = logging.getLogger(__name__)


# --- Enqueueing ------------------------------------------------------------------------------------

_broker_lock = threading.Lock()
_broker_paused_until = 0.0


def enqueue_delivery(notification_ids: Iterable[int]) -> int:
    """Publish one ``deliver`` task per id; returns how many were published.

    One try per message and no publish retries; after a broker error, publishing pauses for
    ``NOTIFICATIONS_BROKER_BACKOFF_SECONDS`` in this process, so a request that notifies many people waits
    on a dead broker at most once. Never raises: the relay sweep delivers what was not published.
    """
    global _broker_paused_until
    from .tasks import deliver

    ids = list(notification_ids)
    published = 0
    for pk in ids:
        if time.monotonic() < _broker_paused_until:
            logger.info("broker paused: %s notification(s) left to the relay sweep", len(ids) - published)
            break
        try:
            deliver.apply_async(args=[pk], retry=False, ignore_result=True)
        except Exception as exc:
            with _broker_lock:
                _broker_paused_until = time.monotonic() + conf.get("NOTIFICATIONS_BROKER_BACKOFF_SECONDS")
            logger.warning(
                "could not enqueue notification %s (%s: %s); the relay sweep will deliver it",
                pk,
                type(exc).__name__,
                exc,
            )
            break
        published += 1
    return published


def _enqueue_on_commit(ids: list[int]) -> None:
    if ids:
        transaction.on_commit(partial(enqueue_delivery, ids), robust=True)


# --- Requesting ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Recipient:
    user_id: int | None
    address: str  # raw phone or e-mail of a requester, "" for a user
    display: str  # safe to show and log
    ref: str  # identity inside the dedupe key


def _dedupe_key(event_key: str, channel: str, recipient_ref: str) -> str:
    # Keyed hash: the key must not reveal a requester's phone number.
    message = f"{event_key}\x1f{channel}\x1f{recipient_ref}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def _resolve_recipient(*, channel, recipient_user_id, recipient_phone, recipient_email) -> _Recipient:
    given = [v for v in (recipient_user_id, recipient_phone, recipient_email) if v not in (None, "")]
    if len(given) != 1:
        raise ValueError("give exactly one of recipient_user_id, recipient_phone, recipient_email")
    if recipient_user_id is not None:
        username = (
            get_user_model().objects.filter(pk=recipient_user_id).values_list("username", flat=True).first()
        )
        if username is None:
            raise ValueError(f"no user {recipient_user_id}")
        return _Recipient(recipient_user_id, "", username, f"user:{recipient_user_id}")
    if channel == Channel.IN_APP:
        raise ValueError("in-app notifications go to staff users only")
    if recipient_phone:
        if channel != Channel.SMS:
            raise ValueError("a phone number needs the sms channel")
        phone = phone_address(recipient_phone)
        return _Recipient(None, phone, mask_phone(phone), f"phone:{phone}")
    if channel != Channel.EMAIL:
        raise ValueError("an e-mail address needs the email channel")
    email = email_address(recipient_email)
    return _Recipient(None, email, mask_email(email), f"email:{email.lower()}")


def _build(
    *,
    event_key: str,
    template_code: str,
    channel: str,
    recipient: _Recipient,
    context: dict,
    language: str,
    emergency: bool,
    now,
) -> Notification:
    rendered = render_message(template_code, language, context)
    row = Notification(
        event_key=event_key,
        dedupe_key=_dedupe_key(event_key, channel, recipient.ref),
        idempotency_key=uuid.uuid4(),
        channel=channel,
        template_code=template_code,
        language=language,
        recipient_user_id=recipient.user_id,
        recipient_address=recipient.address,
        recipient_display=recipient.display,
        context=prepare_context(context),
        subject=rendered.subject[:200],
        body=rendered.sms if channel == Channel.SMS else rendered.body,
        emergency=emergency,
        next_attempt_at=now,
    )
    if channel == Channel.SMS:
        row.sms_segments = sms_segments(row.body)
    if channel == Channel.IN_APP:
        # The row is the inbox item: it is delivered the moment the transaction commits.
        row.status, row.sent_at = Status.SENT, now
    elif quiet_hours_apply(channel=channel, recipient_user_id=recipient.user_id, emergency=emergency):
        release = quiet_hours_end(now)
        if release is not None:
            row.status, row.next_attempt_at = Status.HELD, release
    return row


def _store(rows: list[Notification]) -> list[Notification]:
    """INSERT … ON CONFLICT DO NOTHING RETURNING: one statement; enqueue the rows this call created.

    Under concurrency the insert waits for a transaction holding the same dedupe key and then does
    nothing, so exactly one row exists per key. The rows the insert returns are ours; only when some key
    already existed (a repeated event) are those rows read back, so a first notification costs one query.
    """
    if not rows:
        return []
    inserted = dict(insert_new(Notification, rows, returning="dedupe_key"))
    missing = [row.dedupe_key for row in rows if row.dedupe_key not in inserted]
    stored = Notification.objects.in_bulk(missing, field_name="dedupe_key") if missing else {}
    result, to_enqueue = [], []
    for row in rows:
        if row.dedupe_key in inserted:
            result.append(row)
            if row.status == Status.PENDING:
                to_enqueue.append(row.pk)
        else:
            result.append(stored[row.dedupe_key])
    _enqueue_on_commit(to_enqueue)
    return result


def _check_request(template_code: str, channel: str, context: dict, event_key: str) -> None:
    if template_code not in TemplateCode.values:
        raise ValueError(f"unknown template code {template_code!r}")
    if channel not in Channel.values:
        raise ValueError(f"unknown channel {channel!r}")
    if not event_key or len(event_key) > 200:
        raise ValueError("event_key must be 1 to 200 characters")
    missing = missing_variables(template_code, context)
    if missing:
        raise ValueError(f"template {template_code!r} needs context variable(s): {', '.join(missing)}")


def notification_request(
    *,
    event_key: str,
    template_code: str,
    channel: str,
    recipient_user_id: int | None = None,
    recipient_phone: str | None = None,
    recipient_email: str | None = None,
    context: dict,
    language: str = Language.ZH_HANS,
    emergency: bool = False,
) -> Notification:
    """Write one outbox row in the caller's transaction and enqueue its delivery after commit.

    Idempotent: the same event, channel and recipient give the same row (the first one) and nothing is
    sent twice. Give exactly one recipient: a staff user (any channel), a requester's phone (sms) or
    e-mail address (email). The message is rendered now, in ``language``, from ``template_code`` and
    ``context`` (see ``notifications.defaults`` for each code's variables). SMS to requesters between
    21:00 and 08:00 (Asia/Shanghai) are held until 08:00 unless ``emergency``. Raises ``ValueError`` for
    an unknown code or channel, a missing variable, or a recipient that does not fit the channel.
    """
    context = dict(context or {})
    _check_request(template_code, channel, context, event_key)
    recipient = _resolve_recipient(
        channel=channel,
        recipient_user_id=recipient_user_id,
        recipient_phone=recipient_phone,
        recipient_email=recipient_email,
    )
    row = _build(
        event_key=event_key,
        template_code=template_code,
        channel=channel,
        recipient=recipient,
        context=context,
        language=normalise_language(language),
        emergency=emergency,
        now=timezone.now(),
    )
    return _store([row])[0]


def notify_staff(
    *,
    event_key: str,
    template_code: str,
    user_ids: Iterable[int],
    context: dict,
    emergency: bool = False,
) -> list[Notification]:
    """Notify staff users by every channel they want: in-app always, e-mail and SMS per ``ChannelPreference``.

    Each user gets the message in their preferred language. Inactive and unknown users are skipped.
    Idempotent per event, user and channel like ``notification_request``.
    """
    context = dict(context or {})
    _check_request(template_code, Channel.IN_APP, context, event_key)
    ids = sorted({int(pk) for pk in user_ids})
    if not ids:
        return []
    users = get_user_model().objects.filter(pk__in=ids, is_active=True).only("pk", "username", "email")
    preferences = {p.user_id: p for p in ChannelPreference.objects.filter(user_id__in=ids)}
    now = timezone.now()
    rows = []
    for user in users:
        preference = preferences.get(user.pk) or ChannelPreference(user_id=user.pk)
        channels = [Channel.IN_APP]
        if preference.email_enabled and user.email:
            channels.append(Channel.EMAIL)
        if preference.sms_enabled and preference.phone:
            channels.append(Channel.SMS)
        recipient = _Recipient(user.pk, "", user.get_username(), f"user:{user.pk}")
        for channel in channels:
            rows.append(
                _build(
                    event_key=event_key,
                    template_code=template_code,
                    channel=channel,
                    recipient=recipient,
                    context=context,
                    language=normalise_language(preference.language),
                    emergency=emergency,
                    now=now,
                )
            )
    return _store(rows)


# --- Inbox and administration ---------------------------------------------------------------------


def notification_mark_read(*, user, notification_id: int) -> Notification:
    """Mark one of the user's in-app messages read (idempotent); another user's message is NotFound."""
    notification = Notification.objects.visible_to(user).filter(pk=notification_id).first()
    if notification is None:
        raise errors.NotFound
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at", "updated_at"])
    return notification


def notification_mark_all_read(*, user) -> int:
    """Mark every unread in-app message of the user read; returns how many changed."""
    now = timezone.now()
    return Notification.objects.visible_to(user).unread().update(read_at=now, updated_at=now)


def notification_resend(*, notification_ids: Iterable[int]) -> int:
    """Put dead or failed rows back in the queue with a fresh attempt count (the admin's resend action).

    Returns how many rows were requeued; rows in any other state are left alone.
    """
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            Notification.objects.select_for_update()
            .filter(pk__in=list(notification_ids), status__in=RESENDABLE_STATUSES)
            .values_list("pk", flat=True)
        )
        Notification.objects.filter(pk__in=ids).update(
            status=Status.PENDING, attempts=0, next_attempt_at=now, updated_at=now
        )
        _enqueue_on_commit(ids)
    return len(ids)
