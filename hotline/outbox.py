"""Status callbacks to the 12345 platform: written with the case event, delivered after commit.

``callback_record`` is a ``cases.effects`` in-transaction handler (registered in ``HotlineConfig.ready``):
for an event of a hotline case that the platform must hear about it writes one ``HotlineCallback`` row in
the event's transaction (``INSERT … ON CONFLICT DO NOTHING`` on the idempotency key, so a second run adds
nothing) and asks for delivery on commit. Delivery (``deliver``) claims the row with a lease (one
conditional UPDATE; the sweep claims batches with ``SELECT … FOR UPDATE SKIP LOCKED``), POSTs the signed
JSON and writes the result conditionally on its claim: sent; a failure → pending again after an exponential
backoff; after ``HOTLINE_MAX_ATTEMPTS`` → dead (the admin's dead-letter list, with resend). Retries are
stored due times swept by beat (``hotline.tasks.relay_callbacks``), never Celery countdowns.

At-least-once, like the notifications outbox: every try of one row carries the same ``Idempotency-Key``
(and the body's ``event_id``), so the platform deduplicates a retry whose first answer was lost.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from cases.choices import CaseStatus, EventKind

from . import conf
from .choices import CallbackKind, DeliveryStatus
from .models import HotlineCallback, WorkOrder
from .signing import IDEMPOTENCY_HEADER, signed_headers

logger = logging.getLogger(__name__)

# Which case events the platform hears about, as which step.
REPORTED_KINDS: dict[str, str] = {
    EventKind.ACCEPT: CallbackKind.ACCEPT,
    EventKind.REPLY: CallbackKind.REPLY,
    EventKind.RESOLVE: CallbackKind.RESOLVE,
    EventKind.CALLBACK: CallbackKind.CALLBACK,
    EventKind.CLOSE: CallbackKind.CLOSE,
    EventKind.NOT_ACCEPT: CallbackKind.RETURN,
}


def idempotency_key(platform_id: int, event_id: int) -> str:
    return f"hotline:{platform_id}:event:{event_id}"


def _payload(order: WorkOrder, event, kind: str) -> dict:
    return {
        "event_id": idempotency_key(order.platform_id, event.pk),
        "work_order_number": order.number,
        "kind": kind,
        "status": event.to_status,
        "tracking_number": order.case.tracking_number,
        "department": event.department.name if event.department_id else "",
        "text": event.reason,
        "satisfaction": (event.payload or {}).get("satisfaction") or "",
        "at": timezone.localtime(event.created_at).isoformat(),
    }


def callback_record(event) -> None:
    """In the event's transaction: the outbox row of this step, when the case is a hotline work order."""
    from .services import from_platform

    kind = REPORTED_KINDS.get(event.kind)
    if kind is None:
        return
    order = WorkOrder.objects.filter(case_id=event.case_id).select_related("case", "platform").first()
    if order is None:
        return
    # Sign-for is reported once: the lead's (the case moves to in progress), not an assisting unit's.
    if kind == CallbackKind.ACCEPT and not (
        event.to_status == CaseStatus.IN_PROGRESS and event.from_status != CaseStatus.IN_PROGRESS
    ):
        return
    # The platform's own 回访 result is not told back to it.
    if kind == CallbackKind.CALLBACK and from_platform.get():
        return
    key = idempotency_key(order.platform_id, event.pk)
    rows = HotlineCallback.objects.bulk_create(
        [
            HotlineCallback(
                platform_id=order.platform_id,
                work_order=order,
                event=event,
                kind=kind,
                idempotency_key=key,
                payload=_payload(order, event, kind),
            )
        ],
        ignore_conflicts=True,
    )
    if rows:
        transaction.on_commit(lambda: _enqueue(key))


def _enqueue(key: str) -> None:
    from .tasks import deliver_callback

    callback_id = HotlineCallback.objects.filter(idempotency_key=key).values_list("pk", flat=True).first()
    if callback_id is None:
        return
    try:
        deliver_callback.apply_async(args=[callback_id], retry=False)
    except Exception:
        # The broker is down: the sweep delivers it.
        logger.warning("hotline callback %s not enqueued; the relay sweep will deliver it", callback_id)


class Outcome:
    SENT = "sent"
    RETRY = "retry"
    DEAD = "dead"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Claim:
    callback_id: int
    token: uuid.UUID


def _due(now: dt.datetime):
    waiting = Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
    expired = Q(status=DeliveryStatus.SENDING, lease_until__lt=now)
    return HotlineCallback.objects.filter(waiting | expired)


def _lease(now: dt.datetime) -> dt.datetime:
    return now + dt.timedelta(seconds=conf.get("HOTLINE_LEASE_SECONDS"))


def claim(callback_id: int) -> Claim | None:
    now = timezone.now()
    token = uuid.uuid4()
    done = (
        _due(now)
        .filter(pk=callback_id)
        .update(
            status=DeliveryStatus.SENDING,
            claim_token=token,
            lease_until=_lease(now),
            attempts=F("attempts") + 1,
        )
    )
    return Claim(callback_id, token) if done else None


def claim_batch(limit: int) -> list[Claim]:
    now = timezone.now()
    token = uuid.uuid4()
    with transaction.atomic():
        ids = list(
            _due(now)
            .order_by("next_attempt_at", "id")
            .select_for_update(skip_locked=True)
            .values_list("id", flat=True)[:limit]
        )
        if ids:
            HotlineCallback.objects.filter(pk__in=ids).update(
                status=DeliveryStatus.SENDING,
                claim_token=token,
                lease_until=_lease(now),
                attempts=F("attempts") + 1,
            )
    return [Claim(pk, token) for pk in ids]


def _finish(claim_: Claim, **fields) -> bool:
    return bool(
        HotlineCallback.objects.filter(
            pk=claim_.callback_id, status=DeliveryStatus.SENDING, claim_token=claim_.token
        ).update(claim_token=None, lease_until=None, **fields)
    )


def backoff_delay(attempts: int) -> dt.timedelta:
    """After n failed tries: base · 2^(n-1), capped."""
    base = conf.get("HOTLINE_BACKOFF_SECONDS")
    return dt.timedelta(
        seconds=min(base * 2 ** max(attempts - 1, 0), conf.get("HOTLINE_BACKOFF_MAX_SECONDS"))
    )


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def _post(row: HotlineCallback) -> None:
    """One signed POST; raises on anything but a 2xx answer."""
    platform = row.platform
    if not platform.callback_url:
        raise RuntimeError("platform has no callback_url")
    body = json.dumps(row.payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
    headers = signed_headers(
        key=platform.code, secret=platform.secret, body=body, nonce=secrets.token_urlsafe(18)
    )
    headers[IDEMPOTENCY_HEADER] = row.idempotency_key
    headers["Content-Type"] = "application/json; charset=utf-8"
    request = urllib.request.Request(platform.callback_url, data=body, headers=headers, method="POST")  # noqa: S310
    opener = urllib.request.build_opener(_NoRedirect)
    with opener.open(request, timeout=conf.get("HOTLINE_WEBHOOK_TIMEOUT")) as response:
        if not 200 <= response.status < 300:
            raise RuntimeError(f"HTTP {response.status}")


def deliver_claimed(claim_: Claim) -> str:
    row = HotlineCallback.objects.select_related("platform").filter(pk=claim_.callback_id).first()
    if row is None or row.claim_token != claim_.token:
        return Outcome.SKIPPED
    try:
        _post(row)
    except Exception as exc:  # transport errors, timeouts, non-2xx: all retried
        error = f"{type(exc).__name__}: {exc}"[:500]
        now = timezone.now()
        if row.attempts >= conf.get("HOTLINE_MAX_ATTEMPTS"):
            _finish(claim_, status=DeliveryStatus.DEAD, last_error=error)
            logger.warning("hotline callback %s dead after %s tries: %s", row.pk, row.attempts, error)
            return Outcome.DEAD
        _finish(
            claim_,
            status=DeliveryStatus.PENDING,
            last_error=error,
            next_attempt_at=now + backoff_delay(row.attempts),
        )
        return Outcome.RETRY
    _finish(claim_, status=DeliveryStatus.SENT, sent_at=timezone.now(), last_error="")
    return Outcome.SENT


def deliver(callback_id: int) -> str:
    """Deliver one row if it is due and nobody holds it (safe to run twice)."""
    claim_ = claim(callback_id)
    return deliver_claimed(claim_) if claim_ else Outcome.SKIPPED


def relay_pending(*, batch_size: int | None = None) -> dict[str, int]:
    """The beat sweep: every due row (new, retry, expired lease), in batches."""
    counts: dict[str, int] = {}
    for claim_ in claim_batch(batch_size or conf.get("HOTLINE_RELAY_BATCH")):
        outcome = deliver_claimed(claim_)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def callbacks_resend(*, callback_ids) -> int:
    """Put dead rows back in the queue, due now, with a fresh count of tries (the admin's resend)."""
    return HotlineCallback.objects.filter(pk__in=list(callback_ids), status=DeliveryStatus.DEAD).update(
        status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=timezone.now(), last_error=""
    )
