"""Delivery channels: in-app (the outbox row is the inbox item), e-mail, SMS (pluggable gateways)."""

from .base import DeliveryError, PermanentDeliveryError, TransientDeliveryError, channel_for

__all__ = ["DeliveryError", "PermanentDeliveryError", "TransientDeliveryError", "channel_for"]
