"""SMS channel and its pluggable gateways, chosen by ``settings.SMS_BACKEND`` (a dotted class path).

A gateway is any class with ``send(message: SmsMessage) -> str`` (the provider's message id, or "") that
raises ``TransientDeliveryError`` when trying again later may help and ``PermanentDeliveryError`` when it
cannot. Shipped gateways:

- ``FileSmsBackend`` (development default): appends one JSON line per message to ``SMS_FILE_PATH``
  (``var/sms.log``), phone masked.
- ``ConsoleSmsBackend``: logs the message (phone masked).
- ``WebhookSmsBackend``: POSTs JSON to ``SMS_WEBHOOK_URL``, signed with HMAC-SHA256 (see ``sign``), with
  an ``Idempotency-Key`` header that stays the same for every try of one message.

docs/NOTIFICATIONS.md shows how a provider such as Aliyun or Tencent Cloud SMS plugs in.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.module_loading import import_string

from windowsvc.personal import mask_phone

from .. import conf
from .base import BaseChannel, PermanentDeliveryError, TransientDeliveryError

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Windowsvc-Signature"
TIMESTAMP_HEADER = "X-Windowsvc-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"


@dataclass(frozen=True)
class SmsMessage:
    """What a gateway needs: the text, and the template code and parameters for providers that only send
    pre-approved templates (Chinese providers do: the code maps to their template id)."""

    phone: str
    body: str
    idempotency_key: str
    template_code: str = ""
    language: str = "zh-hans"
    params: dict = field(default_factory=dict)
    segments: int = 1
    emergency: bool = False

    def __repr__(self) -> str:  # never print the full number
        return f"SmsMessage(phone={mask_phone(self.phone)!r}, template_code={self.template_code!r})"


class BaseSmsBackend:
    def send(self, message: SmsMessage) -> str:  # pragma: no cover - interface
        raise NotImplementedError


class ConsoleSmsBackend(BaseSmsBackend):
    """Development: the message goes to the log, phone masked."""

    def send(self, message: SmsMessage) -> str:
        logger.info(
            "SMS to %s (%s part(s), key %s): %s",
            mask_phone(message.phone),
            message.segments,
            message.idempotency_key,
            message.body,
        )
        return ""


class FileSmsBackend(BaseSmsBackend):
    """Development: one JSON line per message appended to ``SMS_FILE_PATH``, phone masked.

    One ``write`` of one line on a file opened for appending, so lines of several worker processes do not
    interleave.
    """

    def __init__(self, path=None):
        self.path = path or conf.sms_file_path()

    def record(self, message: SmsMessage) -> dict:
        return {
            "time": timezone.now().isoformat(),
            "to": mask_phone(message.phone),
            "idempotency_key": message.idempotency_key,
            "template_code": message.template_code,
            "language": message.language,
            "segments": message.segments,
            "emergency": message.emergency,
            "body": message.body,
        }

    def send(self, message: SmsMessage) -> str:
        line = json.dumps(self.record(message), ensure_ascii=False) + "\n"
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode("utf-8"))
        finally:
            os.close(fd)
        return ""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header's value: ``sha256=`` + hex HMAC-SHA256 of ``timestamp + "." + body``."""
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def verify_signature(
    *, secret: str, timestamp: str, body: bytes, signature: str, max_age: int = 300, now: float | None = None
) -> bool:
    """What a receiver checks: the signature matches and the timestamp is recent (no replays)."""
    try:
        age = abs((time.time() if now is None else now) - int(timestamp))
    except (TypeError, ValueError):
        return False
    return age <= max_age and hmac.compare_digest(sign(secret, timestamp, body), signature or "")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirected POST would be replayed as a GET without its body: treat it as a refusal instead.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class WebhookSmsBackend(BaseSmsBackend):
    """A generic HTTP JSON gateway.

    Request: ``POST SMS_WEBHOOK_URL`` with JSON ``{to, body, template_code, language, params, segments,
    emergency, idempotency_key}`` and headers ``X-Windowsvc-Timestamp`` (Unix seconds),
    ``X-Windowsvc-Signature`` (``sign(secret, timestamp, body)``) and ``Idempotency-Key``.
    Answer: any 2xx is success (an optional JSON ``message_id`` is kept); 5xx, a timeout or a refused
    connection are retried here up to ``SMS_WEBHOOK_RETRIES`` times, then reported as transient (the outbox
    backs off and tries later); 408 and 429 are transient without an immediate retry; any other 4xx is a
    permanent refusal and is never retried.
    """

    def __init__(self, *, url=None, secret=None, timeout=None, retries=None, retry_delay=None):
        self.url = url if url is not None else conf.get("SMS_WEBHOOK_URL")
        self.secret = secret if secret is not None else conf.get("SMS_WEBHOOK_SECRET")
        self.timeout = float(timeout if timeout is not None else conf.get("SMS_WEBHOOK_TIMEOUT"))
        self.retries = int(retries if retries is not None else conf.get("SMS_WEBHOOK_RETRIES"))
        self.retry_delay = float(
            retry_delay if retry_delay is not None else conf.get("SMS_WEBHOOK_RETRY_DELAY")
        )
        if urlsplit(self.url or "").scheme not in ("http", "https"):
            raise ImproperlyConfigured("SMS_WEBHOOK_URL must be an http(s) URL")
        if not self.secret:
            raise ImproperlyConfigured("SMS_WEBHOOK_SECRET must be set")
        self._opener = urllib.request.build_opener(_NoRedirect)

    def payload(self, message: SmsMessage) -> bytes:
        data = asdict(message)
        data["to"] = data.pop("phone")
        data["params"] = {key: "" if value is None else str(value) for key, value in message.params.items()}
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")

    def _post_once(self, body: bytes, message: SmsMessage) -> str:
        timestamp = str(int(time.time()))
        request = urllib.request.Request(  # noqa: S310  (scheme checked in __init__)
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "windowsvc-sms/1",
                TIMESTAMP_HEADER: timestamp,
                SIGNATURE_HEADER: sign(self.secret, timestamp, body),
                IDEMPOTENCY_HEADER: message.idempotency_key,
            },
        )
        with self._opener.open(request, timeout=self.timeout) as response:
            raw = response.read(65536)
        try:
            answer = json.loads(raw or b"{}")
        except ValueError:
            answer = {}
        return str(answer.get("message_id") or "")[:100] if isinstance(answer, dict) else ""

    def send(self, message: SmsMessage) -> str:
        body = self.payload(message)
        last_error = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.retry_delay * 2 ** (attempt - 1))
            try:
                return self._post_once(body, message)
            except urllib.error.HTTPError as exc:
                exc.close()
                if exc.code in (408, 429):
                    raise TransientDeliveryError(f"gateway busy: HTTP {exc.code}") from exc
                if exc.code < 500:
                    raise PermanentDeliveryError(f"gateway refused the message: HTTP {exc.code}") from exc
                last_error = f"gateway error: HTTP {exc.code}"
            except TimeoutError:  # socket.timeout is an alias
                last_error = f"gateway timed out after {self.timeout:g} s"
            except urllib.error.URLError as exc:
                last_error = f"gateway unreachable: {exc.reason}"
            except (ConnectionError, OSError) as exc:
                last_error = f"gateway connection failed: {type(exc).__name__}"
            logger.warning(
                "SMS webhook try %s/%s for %s failed: %s",
                attempt + 1,
                self.retries + 1,
                mask_phone(message.phone),
                last_error,
            )
        raise TransientDeliveryError(last_error)


def get_sms_backend() -> BaseSmsBackend:
    """A new instance of the configured gateway (settings may change between calls, e.g. in tests)."""
    return import_string(conf.get("SMS_BACKEND"))()


def sms_phone(notification) -> str:
    """A requester's stored number, else the staff user's number from their channel preference."""
    if notification.recipient_address:
        return notification.recipient_address
    if notification.recipient_user_id:
        from ..models import ChannelPreference

        preference = ChannelPreference.objects.filter(user_id=notification.recipient_user_id).first()
        if preference is not None and preference.sms_enabled:
            return preference.phone
    return ""


class SmsChannel(BaseChannel):
    def send(self, notification) -> str:
        phone = sms_phone(notification)
        if not phone:
            raise PermanentDeliveryError("no phone number")
        message = SmsMessage(
            phone=phone,
            body=notification.body,
            idempotency_key=str(notification.idempotency_key),
            template_code=notification.template_code,
            language=notification.language,
            params=dict(notification.context or {}),
            segments=notification.sms_segments or 1,
            emergency=notification.emergency,
        )
        return get_sms_backend().send(message)
