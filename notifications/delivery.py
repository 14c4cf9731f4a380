"""Claiming and delivering outbox rows: the only code that moves a row to sending, sent, failed or dead.

The claim is a lease. A deliverer sets ``status=sending``, a fresh ``claim_token`` and ``lease_until`` in
one conditional UPDATE (or, for the relay's batches, ``SELECT … FOR UPDATE SKIP LOCKED`` then UPDATE in one
transaction), so of two deliverers racing for a row exactly one wins. Right before sending, the holder
renews the lease conditionally on its token: a row whose lease already ran out and was claimed by someone
else is skipped, never sent by both. Results are written conditionally on the token as well.

Delivery guarantee, honestly: a worker killed after the gateway accepted a message but before the row
was marked sent leaves the row ``sending``; once its lease has run out (``NOTIFICATIONS_LEASE_SECONDS``,
longer than the slowest possible send) the relay sends it again. That is at-least-once, chosen because a
lost receipt or warning is worse than a rare duplicate. Every try of one row carries the same
``idempotency_key`` (the SMS webhook's ``Idempotency-Key`` header), so a gateway that deduplicates on it
turns this into exactly-once. At-most-once would instead mark an expired claim failed and leave it to an
administrator's resend; that would be a one-line change in ``_claim_filter``.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from . import conf
from .channels import PermanentDeliveryError, TransientDeliveryError, channel_for
from .choices import Channel, Status
from .models import Notification

logger = logging.getLogger(__name__)


class Outcome:
    """What one delivery call did (plain strings: returned by tasks, asserted by tests)."""

    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    DEAD = "dead"
    HELD = "held"
    SKIPPED = "skipped"  # not due, claimed by someone else, or already finished


@dataclass(frozen=True)
class Claim:
    notification_id: int
    token: uuid.UUID


def _lease_until(now: dt.datetime) -> dt.datetime:
    return now + dt.timedelta(seconds=conf.get("NOTIFICATIONS_LEASE_SECONDS"))


def backoff_delay(attempts: int) -> dt.timedelta:
    """Delay after the given number of failed attempts: base, 2·base, 4·base … up to the maximum."""
    base = conf.get("NOTIFICATIONS_BACKOFF_SECONDS")
    seconds = min(base * 2 ** max(attempts - 1, 0), conf.get("NOTIFICATIONS_BACKOFF_MAX_SECONDS"))
    return dt.timedelta(seconds=seconds)


def quiet_hours_end(now: dt.datetime) -> dt.datetime | None:
    """When the SMS quiet hours around ``now`` end, or None outside them (Asia/Shanghai by default)."""
    zone = ZoneInfo(conf.get("NOTIFICATIONS_QUIET_HOURS_TIME_ZONE"))
    start, end = conf.quiet_hours()
    local = now.astimezone(zone)
    clock = local.time()
    # A window like 21:00–08:00 spans midnight.
    quiet = (start <= clock < end) if start <= end else (clock >= start or clock < end)
    if not quiet:
        return None
    release = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if release <= local:
        # Aware arithmetic within one ZoneInfo is wall-clock: still 08:00 the next day.
        release += dt.timedelta(days=1)
    return release


def quiet_hours_apply(*, channel: str, recipient_user_id: int | None, emergency: bool) -> bool:
    """Quiet hours hold SMS to requesters (not staff), unless the message is an emergency."""
    return channel == Channel.SMS and recipient_user_id is None and not emergency


def _claim_filter(now: dt.datetime):
    return Notification.objects.due(now)


def claim(notification_id: int) -> Claim | None:
    """Claim one due row (one conditional UPDATE); None when it is not due or someone else holds it."""
    now = timezone.now()
    token = uuid.uuid4()
    claimed = (
        _claim_filter(now)
        .filter(pk=notification_id)
        .update(
            status=Status.SENDING,
            claim_token=token,
            lease_until=_lease_until(now),
            attempts=F("attempts") + 1,
            updated_at=now,
        )
    )
    return Claim(notification_id, token) if claimed else None


def claim_batch(limit: int) -> list[Claim]:
    """Claim up to ``limit`` due rows, emergencies first; concurrent sweeps skip each other's rows."""
    now = timezone.now()
    token = uuid.uuid4()
    with transaction.atomic():
        ids = list(
            _claim_filter(now)
            .order_by("-emergency", "next_attempt_at", "id")
            .select_for_update(skip_locked=True)
            .values_list("id", flat=True)[:limit]
        )
        if ids:
            Notification.objects.filter(pk__in=ids).update(
                status=Status.SENDING,
                claim_token=token,
                lease_until=_lease_until(now),
                attempts=F("attempts") + 1,
                updated_at=now,
            )
    return [Claim(pk, token) for pk in ids]


def _finish(claim_: Claim, **fields) -> bool:
    """Write a result only while still holding the claim."""
    fields.setdefault("updated_at", timezone.now())
    return bool(
        Notification.objects.filter(
            pk=claim_.notification_id, status=Status.SENDING, claim_token=claim_.token
        ).update(claim_token=None, lease_until=None, **fields)
    )


def deliver_claimed(claim_: Claim) -> str:
    """Send one claimed row and record the outcome. Safe to call late: a lost claim sends nothing."""
    now = timezone.now()
    # Renew right before sending: rows of a batch wait their turn, and a lease that ran out meanwhile may
    # belong to another sweep by now.
    if not Notification.objects.filter(
        pk=claim_.notification_id, status=Status.SENDING, claim_token=claim_.token
    ).update(lease_until=_lease_until(now)):
        return Outcome.SKIPPED
    notification = Notification.objects.select_related("recipient_user").get(pk=claim_.notification_id)
    if notification.attempts > conf.get("NOTIFICATIONS_MAX_ATTEMPTS"):
        # Only claims that kept being interrupted (their lease ran out) get here: stop retrying.
        _finish(claim_, status=Status.DEAD, last_error="delivery was interrupted on every attempt")
        return Outcome.DEAD

    if quiet_hours_apply(
        channel=notification.channel,
        recipient_user_id=notification.recipient_user_id,
        emergency=notification.emergency,
    ):
        release = quiet_hours_end(now)
        if release is not None:
            # Holding is not an attempt.
            _finish(claim_, status=Status.HELD, next_attempt_at=release, attempts=F("attempts") - 1)
            return Outcome.HELD

    try:
        provider_id = channel_for(notification.channel).send(notification)
    except PermanentDeliveryError as exc:
        logger.warning("notification %s to %s failed: %s", notification.pk, notification.recipient_label, exc)
        _finish(claim_, status=Status.FAILED, last_error=str(exc)[:2000])
        return Outcome.FAILED
    except Exception as exc:
        # Transient errors, and anything unexpected, are retried with backoff up to the maximum.
        if not isinstance(exc, TransientDeliveryError):
            logger.exception("notification %s: unexpected error while sending", notification.pk)
        error = f"{type(exc).__name__}: {exc}"[:2000]
        if notification.attempts >= conf.get("NOTIFICATIONS_MAX_ATTEMPTS"):
            logger.error(
                "notification %s is dead after %s attempts: %s", notification.pk, notification.attempts, error
            )
            _finish(claim_, status=Status.DEAD, last_error=error)
            return Outcome.DEAD
        logger.info("notification %s will be retried: %s", notification.pk, error)
        _finish(
            claim_,
            status=Status.PENDING,
            last_error=error,
            next_attempt_at=timezone.now() + backoff_delay(notification.attempts),
        )
        return Outcome.RETRY

    sent_fields = {
        "status": Status.SENT,
        "sent_at": timezone.now(),
        "last_error": "",
        "provider_message_id": provider_id,
    }
    if notification.recipient_address:
        # Personal data is kept only as long as needed to deliver.
        sent_fields["recipient_address"] = ""
    if not _finish(claim_, **sent_fields):
        # The lease ran out during the send (it is set longer than the slowest send, so only a stalled
        # process gets here) and another deliverer took over: the at-least-once case described above.
        logger.error("notification %s was sent but its claim had been taken over", notification.pk)
    return Outcome.SENT


def deliver_notification(notification_id: int) -> str:
    """Deliver one row if it is due and nobody holds it (the ``deliver`` task)."""
    claim_ = claim(notification_id)
    if claim_ is None:
        return Outcome.SKIPPED
    return deliver_claimed(claim_)


def relay_pending(*, batch_size: int | None = None, time_budget: float | None = None) -> dict[str, int]:
    """Deliver due rows in batches until none is left or the time budget is spent; returns outcome counts.

    Two sweeps at once never send one row twice: batches are claimed with SKIP LOCKED and each row is
    re-checked against its claim token before sending.
    """
    batch_size = batch_size or conf.get("NOTIFICATIONS_RELAY_BATCH_SIZE")
    budget = conf.get("NOTIFICATIONS_RELAY_TIME_BUDGET_SECONDS") if time_budget is None else time_budget
    deadline = time.monotonic() + budget
    counts: dict[str, int] = {}
    while time.monotonic() < deadline:
        claims = claim_batch(batch_size)
        if not claims:
            break
        for claim_ in claims:
            outcome = deliver_claimed(claim_)
            counts[outcome] = counts.get(outcome, 0) + 1
    return counts
