"""E-mail channel: Django's e-mail backend (EMAIL_BACKEND), a plain-text body and its HTML alternative."""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.utils import translation

from .base import BaseChannel, PermanentDeliveryError, TransientDeliveryError

# SMTP may otherwise wait forever; a claim's lease must outlast the slowest send.
EMAIL_TIMEOUT_SECONDS = 30


def email_address(notification) -> str:
    """A requester's stored address, else the staff user's current account address."""
    if notification.recipient_address:
        return notification.recipient_address
    user = notification.recipient_user
    return (user.email or "").strip() if user is not None else ""


class EmailChannel(BaseChannel):
    def send(self, notification) -> str:
        address = email_address(notification)
        if not address:
            raise PermanentDeliveryError("no e-mail address")
        with translation.override(notification.language):
            html = render_to_string(
                "notifications/email.html",
                {"subject": notification.subject, "body": notification.body, "link": notification.link},
            )
        message = EmailMultiAlternatives(
            subject=notification.subject,
            body=notification.body + (f"\n\n{notification.link}" if notification.link else ""),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[address],
            headers={"X-Windowsvc-Notification": str(notification.idempotency_key)},
            connection=get_connection(timeout=EMAIL_TIMEOUT_SECONDS),
        )
        message.attach_alternative(html, "text/html")
        try:
            message.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentDeliveryError("recipient refused by the mail server") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise TransientDeliveryError(f"mail server: {type(exc).__name__}") from exc
        return ""
