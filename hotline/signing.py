"""HMAC signatures of the hotline API, both ways (docs/HOTLINE.md, “Signatures”).

The signed text is ``timestamp + "\\n" + nonce + "\\n" + body`` (body: the raw request bytes); the
signature is ``sha256=`` + hex HMAC-SHA256 under the platform's secret. A request is accepted when the key
names an active platform, the signature matches, the timestamp is within ``HOTLINE_SIGNATURE_MAX_AGE`` of
our clock and the nonce was not seen before for that platform (nonces are kept as long as their timestamp
could still pass). Every failure is the same 401 to the caller; the reason goes to the log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import re
import time

from django.db import IntegrityError, transaction
from django.utils import timezone

from . import conf
from .models import HotlinePlatform, Nonce, hash_key

logger = logging.getLogger(__name__)

KEY_HEADER = "X-Hotline-Key"
TIMESTAMP_HEADER = "X-Hotline-Timestamp"
NONCE_HEADER = "X-Hotline-Nonce"
SIGNATURE_HEADER = "X-Hotline-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
_NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class SignatureInvalid(Exception):
    """The request is not from an active platform, or not fresh: answered 401, reason logged only."""


def sign(secret: str, timestamp: str, nonce: str, body: bytes) -> str:
    message = timestamp.encode("ascii") + b"\n" + nonce.encode("ascii") + b"\n" + body
    return "sha256=" + hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signed_headers(*, key: str, secret: str, body: bytes, nonce: str, now: float | None = None) -> dict:
    """The four headers of a signed request (what a platform sends us, and what we send it)."""
    timestamp = str(int(time.time() if now is None else now))
    return {
        KEY_HEADER: key,
        TIMESTAMP_HEADER: timestamp,
        NONCE_HEADER: nonce,
        SIGNATURE_HEADER: sign(secret, timestamp, nonce, body),
    }


def verify(*, headers, body: bytes) -> HotlinePlatform:
    """The platform that signed this request, else ``SignatureInvalid``. Records the nonce (one use)."""
    key = (headers.get(KEY_HEADER) or "").strip()
    timestamp = (headers.get(TIMESTAMP_HEADER) or "").strip()
    nonce = (headers.get(NONCE_HEADER) or "").strip()
    signature = (headers.get(SIGNATURE_HEADER) or "").strip()
    platform = HotlinePlatform.objects.filter(key_hash=hash_key(key), is_active=True).first() if key else None
    if platform is None:
        raise SignatureInvalid("unknown or inactive key")
    max_age = conf.get("HOTLINE_SIGNATURE_MAX_AGE")
    try:
        age = abs(time.time() - int(timestamp))
    except ValueError:
        raise SignatureInvalid("timestamp not an integer") from None
    if age > max_age:
        raise SignatureInvalid("timestamp out of range")
    if not _NONCE.match(nonce):
        raise SignatureInvalid("nonce malformed")
    if not hmac.compare_digest(sign(platform.secret, timestamp, nonce, body), signature):
        raise SignatureInvalid("signature mismatch")
    now = timezone.now()
    try:
        with transaction.atomic():
            Nonce.objects.create(platform=platform, value=nonce, created_at=now)
    except IntegrityError:
        raise SignatureInvalid("nonce replayed") from None
    Nonce.objects.filter(created_at__lt=now - dt.timedelta(seconds=2 * max_age)).delete()
    HotlinePlatform.objects.filter(pk=platform.pk).update(last_used_at=now)
    return platform
