"""Error reports to Sentry (or a Sentry-compatible service such as GlitchTip), only when ``SENTRY_DSN`` is set.

Privacy: ``send_default_pii`` is off (no cookies, no user e-mail, no client address), request bodies are not
sent, and ``before_send`` passes every string of the event through ``windowsvc.personal.hide_numbers`` (the
same rule as the logs: phone, id-number and credit-code shapes), so an exception message quoting a
requester's number leaves the machine hidden.
"""

from __future__ import annotations

import os
from typing import Any

from .personal import hide_numbers


def scrub(value: Any) -> Any:
    """``value`` with every string's personal numbers hidden, recursively through dicts and lists."""
    if isinstance(value, str):
        return hide_numbers(value, replacement="[hidden]")
    if isinstance(value, dict):
        return {key: scrub(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(item) for item in value]
    return value


def before_send(event: dict, hint: dict) -> dict:
    return scrub(event)


def init_from_environment() -> bool:
    """Start the SDK when ``SENTRY_DSN`` is set (web, worker and beat all read the settings); else nothing."""
    dsn = os.environ.get("SENTRY_DSN", "")
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=os.environ.get("SENTRY_ENVIRONMENT", "production"),
        release=os.environ.get("SENTRY_RELEASE") or None,
        traces_sample_rate=float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE", "0")),
        send_default_pii=False,
        max_request_body_size="never",
        before_send=before_send,
        before_send_transaction=before_send,
        integrations=[DjangoIntegration(), CeleryIntegration()],
    )
    return True
