"""System checks: a claim's lease must outlast the slowest send, or a slow send could be taken over."""

from django.core import checks

from . import conf
from .channels.email import EMAIL_TIMEOUT_SECONDS


@checks.register()
def lease_outlasts_sends(app_configs=None, **kwargs):
    lease = float(conf.get("NOTIFICATIONS_LEASE_SECONDS"))
    slowest = max(conf.webhook_worst_case_seconds(), EMAIL_TIMEOUT_SECONDS)
    if lease <= 2 * slowest:
        return [
            checks.Warning(
                f"NOTIFICATIONS_LEASE_SECONDS={lease:g} is not well above the slowest send ({slowest:g} s).",
                hint="Raise the lease or lower SMS_WEBHOOK_TIMEOUT / SMS_WEBHOOK_RETRIES (docs/NOTIFICATIONS.md).",
                id="notifications.W001",
            )
        ]
    return []
