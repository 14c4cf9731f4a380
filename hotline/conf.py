"""Settings of the hotline app with their defaults (override any in the Django settings)."""

from django.conf import settings

DEFAULTS = {
    # Inbound signatures: how far the platform's timestamp may be from our clock, in seconds.
    "HOTLINE_SIGNATURE_MAX_AGE": 300,
    # Outbound webhooks: timeout of one POST, backoff base and cap, attempts before the dead-letter list.
    "HOTLINE_WEBHOOK_TIMEOUT": 5,
    "HOTLINE_BACKOFF_SECONDS": 30,
    "HOTLINE_BACKOFF_MAX_SECONDS": 3600,
    "HOTLINE_MAX_ATTEMPTS": 10,
    # A claimed callback not finished within this many seconds is taken over by the sweep.
    "HOTLINE_LEASE_SECONDS": 60,
    "HOTLINE_RELAY_BATCH": 100,
}


def get(name: str):
    return getattr(settings, name, DEFAULTS[name])
