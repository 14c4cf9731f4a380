"""What every channel implements, and the two kinds of failure the outbox tells apart."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..choices import Channel

if TYPE_CHECKING:
    from ..models import Notification


class DeliveryError(Exception):
    """A send did not succeed; the message is safe to log (it never contains a full address)."""


class TransientDeliveryError(DeliveryError):
    """Worth trying again later: timeouts, 5xx answers, a gateway that cannot be reached."""


class PermanentDeliveryError(DeliveryError):
    """Trying again cannot help: no address, a request the gateway refused (4xx)."""


class BaseChannel:
    """Sends one claimed notification. Returns the provider's message id (or "") on success."""

    def send(self, notification: Notification) -> str:  # pragma: no cover - interface
        raise NotImplementedError


def channel_for(channel: str) -> BaseChannel:
    from .email import EmailChannel
    from .in_app import InAppChannel
    from .sms import SmsChannel

    return {Channel.IN_APP: InAppChannel, Channel.EMAIL: EmailChannel, Channel.SMS: SmsChannel}[channel]()
