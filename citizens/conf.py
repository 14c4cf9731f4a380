"""Settings of the public side, read at call time so tests and deployments can override them.

| setting | meaning | default |
|---|---|---|
| ``PUBLIC_STATUS_LIMIT_PER_ADDRESS`` / ``PUBLIC_STATUS_WINDOW_PER_ADDRESS`` | status lookups (API and page together) per client address per window (seconds) | 30 / 600 |
| ``PUBLIC_STATUS_LIMIT_PER_NUMBER`` / ``PUBLIC_STATUS_WINDOW_PER_NUMBER`` | lookups of one tracking number *by the phone's last four digits* per window, whoever asks (lookups by query code are limited per address only, so nobody can lock a requester out) | 10 / 3600 |
| ``PUBLIC_TRUSTED_PROXY_HOPS`` | reverse proxies of ours that append to ``X-Forwarded-For`` (0: use ``REMOTE_ADDR``) | 0 |
| ``PUBLIC_RATELIMIT_REDIS_URL`` | Redis of the counters | ``REDIS_URL`` |
| ``OPEN311_LIMIT_PER_ADDRESS`` / ``OPEN311_WINDOW_PER_ADDRESS`` | Open311 calls per client address per window | 300 / 60 |
| ``OPEN311_CONTACT`` / ``OPEN311_KEY_SERVICE`` | the discovery document's contact and key-service texts | see below |
| ``OPEN311_ENDPOINT_TYPE`` | ``production`` or ``test`` in the discovery document | ``production`` |
| ``OPEN311_PUBLIC_TIER`` | the finest tier the anonymous feed places a case at (``open311/coarse.py``) | ``town`` |
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    "PUBLIC_STATUS_LIMIT_PER_ADDRESS": 30,
    "PUBLIC_STATUS_WINDOW_PER_ADDRESS": 600,
    "PUBLIC_STATUS_LIMIT_PER_NUMBER": 10,
    "PUBLIC_STATUS_WINDOW_PER_NUMBER": 3600,
    "PUBLIC_TRUSTED_PROXY_HOPS": 0,
    "OPEN311_LIMIT_PER_ADDRESS": 300,
    "OPEN311_WINDOW_PER_ADDRESS": 60,
    "OPEN311_CONTACT": "县行政服务中心“办不成事”反映窗口",
    "OPEN311_KEY_SERVICE": "API 密钥由系统管理员在管理后台“Open311 接入方”中发放。",
    "OPEN311_ENDPOINT_TYPE": "production",
    "OPEN311_PUBLIC_TIER": "town",
}


def get(name: str) -> Any:
    return getattr(settings, name, DEFAULTS[name])


# The online form (citizens/online.py): one-time SMS codes and their limits.
DEFAULTS.update(
    {
        "ONLINE_SMS_CODE_SECONDS": 600,
        "ONLINE_SMS_CODE_ATTEMPTS": 5,
        "ONLINE_SMS_LIMIT_PER_PHONE": 5,
        "ONLINE_SMS_WINDOW_PER_PHONE": 3600,
        "ONLINE_SMS_INTERVAL_PER_PHONE": 60,
        "ONLINE_SMS_LIMIT_PER_ADDRESS": 10,
        "ONLINE_SMS_WINDOW_PER_ADDRESS": 3600,
        "ONLINE_SUBMIT_LIMIT_PER_ADDRESS": 20,
        "ONLINE_SUBMIT_WINDOW_PER_ADDRESS": 3600,
    }
)
