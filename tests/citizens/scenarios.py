"""Scenarios of the public-side tests: Open311 integrations (with their one-time key) and publications."""

from __future__ import annotations

from citizens.models import Open311Integration, PublishedCase


def make_integration(
    org, *, where: str = "v1", queue: bool = False, active: bool = True, name: str = "12345平台"
):
    """An integration taking requests in at ``where``'s window; returns ``(integration, api_key)``."""
    integration = Open311Integration(
        name=name, window=org.windows[where], queue_requests=queue, is_active=active
    )
    key = integration.set_new_key()
    integration.save()
    return integration, key


def publish(case, text: str = "某企业办理经营范围变更多次未成，经协调一次办结。") -> PublishedCase:
    return PublishedCase.objects.create(case=case, description=text)
