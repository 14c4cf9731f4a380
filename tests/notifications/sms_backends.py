"""Test stand-ins for the SMS provider (the external system), selected through ``SMS_BACKEND``.

They stand where a real provider would; everything on our side (outbox, claims, channel) runs for real.
``SlowFileSmsBackend`` is also loaded by real worker processes (by dotted path, configured through the
environment), so it reads its knobs from environment variables.
"""

import os
import threading
import time
from pathlib import Path

from notifications.channels import PermanentDeliveryError, TransientDeliveryError
from notifications.channels.sms import FileSmsBackend, SmsMessage


class SlowFileSmsBackend(FileSmsBackend):
    """Touches ``SLOW_SMS_MARKER`` when a send starts, waits ``SLOW_SMS_SECONDS``, then writes the line:
    a worker killed while waiting has not handed the message over."""

    def send(self, message: SmsMessage) -> str:
        marker = os.environ.get("SLOW_SMS_MARKER")
        if marker:
            Path(marker).write_text(message.idempotency_key)
        time.sleep(float(os.environ.get("SLOW_SMS_SECONDS", "0")))
        return super().send(message)


class RecordingSmsBackend:
    """Keeps every message handed over (in this process), optionally slowly, so races overlap."""

    sent: list[SmsMessage] = []
    delay = 0.0
    _lock = threading.Lock()

    @classmethod
    def reset(cls, *, delay: float = 0.0) -> None:
        with cls._lock:
            cls.sent = []
            cls.delay = delay

    def send(self, message: SmsMessage) -> str:
        time.sleep(type(self).delay)
        with self._lock:
            type(self).sent.append(message)
            return f"rec-{len(type(self).sent)}"


class TransientFailureSmsBackend:
    """A provider that is down: every send fails in a way worth retrying."""

    def send(self, message: SmsMessage) -> str:
        raise TransientDeliveryError("provider unavailable")


class RefusingSmsBackend:
    """A provider that refuses the message: retrying cannot help."""

    def send(self, message: SmsMessage) -> str:
        raise PermanentDeliveryError("invalid number")


class CrashingSmsBackend:
    """A provider client with a bug: an unexpected exception."""

    def send(self, message: SmsMessage) -> str:
        raise RuntimeError("boom")
