"""Fixtures of the public-side tests: the cases tests' small county, clean rate-limit counters, helpers."""

from __future__ import annotations

import pytest
import redis
from django.conf import settings

from citizens import ratelimit
from tests.factories import build_org


def _clear_counters() -> None:
    prefix = settings.CACHES["default"].get("KEY_PREFIX") or "windowsvc"
    client = redis.Redis.from_url(settings.REDIS_URL)
    keys = list(client.scan_iter(match=f"{prefix}:ratelimit:*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture(autouse=True)
def clean_rate_limits():
    """Every test starts with fresh counters in the real Redis (this run's key prefix only)."""
    ratelimit.reset_client()
    _clear_counters()
    yield
    _clear_counters()


@pytest.fixture
def org(db):
    return build_org()
