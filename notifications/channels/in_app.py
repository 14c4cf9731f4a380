"""In-app channel: the outbox row is the inbox item, so delivering it is recording that it is there."""

from .base import BaseChannel


class InAppChannel(BaseChannel):
    """Nothing leaves the system; the service writes in-app rows as sent already (this covers a resend)."""

    def send(self, notification) -> str:
        return ""
