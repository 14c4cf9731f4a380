"""Phone numbers and e-mail addresses of recipients: normalise for sending, mask for everything else.

A requester's phone number is personal data: the outbox keeps it only until the message is sent, and
``__str__``, the admin, logs and the development SMS log show the masked form (``138****5678``).
"""

from __future__ import annotations

import re

_PHONE_NOISE = re.compile(r"[\s\-()（）]")
_PHONE = re.compile(r"^\+?\d{5,20}$")


def normalise_phone(phone: str) -> str:
    """Digits with an optional leading ``+``; spaces, dashes and brackets dropped.

    Raises ``ValueError`` for anything that cannot be a phone number.
    """
    value = _PHONE_NOISE.sub("", phone or "")
    if not _PHONE.match(value):
        raise ValueError("not a phone number")
    return value


def normalise_email(email: str) -> str:
    value = (email or "").strip()
    local, sep, domain = value.rpartition("@")
    if not sep or not local or "." not in domain or any(ch.isspace() for ch in value):
        raise ValueError("not an e-mail address")
    return f"{local}@{domain.lower()}"


def mask_phone(phone: str) -> str:
    """Keep the first three and last four digits of a mobile number: ``138****5678``."""
    if not phone:
        return ""
    if len(phone) <= 7:
        return phone[:1] + "*" * (len(phone) - 2) + phone[-1:]
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def mask_email(email: str) -> str:
    """Keep the first character of the local part and the domain: ``z***@example.com``."""
    if not email:
        return ""
    local, _, domain = email.rpartition("@")
    return f"{local[:1]}***@{domain}"
