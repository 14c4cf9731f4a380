"""Settings of the notifications app, read at call time so tests and deployments can override them.

| setting | meaning | default |
|---|---|---|
| ``NOTIFICATIONS_MAX_ATTEMPTS`` | delivery attempts before a row is dead | 6 |
| ``NOTIFICATIONS_BACKOFF_SECONDS`` | delay after the first failed attempt; doubles each time | 60 |
| ``NOTIFICATIONS_BACKOFF_MAX_SECONDS`` | longest delay between attempts | 3600 |
| ``NOTIFICATIONS_LEASE_SECONDS`` | how long a claim is held before another sweep may retry it | 300 |
| ``NOTIFICATIONS_RELAY_BATCH_SIZE`` | rows claimed per batch by the relay sweep | 50 |
| ``NOTIFICATIONS_RELAY_TIME_BUDGET_SECONDS`` | a sweep stops claiming new batches after this | 25 |
| ``NOTIFICATIONS_QUIET_HOURS`` | (start, end) local times with no SMS to requesters | ("21:00", "08:00") |
| ``NOTIFICATIONS_QUIET_HOURS_TIME_ZONE`` | the zone of the quiet hours | "Asia/Shanghai" |
| ``NOTIFICATIONS_BROKER_BACKOFF_SECONDS`` | after a failed publish, skip publishing (the relay delivers) | 10 |
| ``SMS_BACKEND`` | dotted path of the SMS gateway class | ``notifications.channels.sms.FileSmsBackend`` |
| ``SMS_FILE_PATH`` | where the file backend appends | ``var/sms.log`` |
| ``SMS_WEBHOOK_URL`` / ``SMS_WEBHOOK_SECRET`` | the HTTP JSON webhook and its HMAC key | "" |
| ``SMS_WEBHOOK_TIMEOUT`` | seconds per HTTP request | 5 |
| ``SMS_WEBHOOK_RETRIES`` | immediate retries after a 5xx, timeout or connection error | 2 |
| ``SMS_WEBHOOK_RETRY_DELAY`` | seconds before the first retry; doubles each time | 0.5 |
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    "NOTIFICATIONS_MAX_ATTEMPTS": 6,
    "NOTIFICATIONS_BACKOFF_SECONDS": 60,
    "NOTIFICATIONS_BACKOFF_MAX_SECONDS": 3600,
    "NOTIFICATIONS_LEASE_SECONDS": 300,
    "NOTIFICATIONS_RELAY_BATCH_SIZE": 50,
    "NOTIFICATIONS_RELAY_TIME_BUDGET_SECONDS": 25,
    "NOTIFICATIONS_QUIET_HOURS": ("21:00", "08:00"),
    "NOTIFICATIONS_QUIET_HOURS_TIME_ZONE": "Asia/Shanghai",
    "NOTIFICATIONS_BROKER_BACKOFF_SECONDS": 10,
    "SMS_BACKEND": "notifications.channels.sms.FileSmsBackend",
    "SMS_FILE_PATH": None,  # None: var/sms.log
    "SMS_WEBHOOK_URL": "",
    "SMS_WEBHOOK_SECRET": "",
    "SMS_WEBHOOK_TIMEOUT": 5.0,
    "SMS_WEBHOOK_RETRIES": 2,
    "SMS_WEBHOOK_RETRY_DELAY": 0.5,
}


def get(name: str) -> Any:
    return getattr(settings, name, DEFAULTS[name])


def sms_file_path():
    return get("SMS_FILE_PATH") or (settings.VAR_DIR / "sms.log")


def quiet_hours() -> tuple[dt.time, dt.time]:
    start, end = get("NOTIFICATIONS_QUIET_HOURS")
    return dt.time.fromisoformat(start), dt.time.fromisoformat(end)


def webhook_worst_case_seconds() -> float:
    """The longest one SMS webhook send can take: every try timing out, plus the waits between."""
    retries = int(get("SMS_WEBHOOK_RETRIES"))
    delays = sum(float(get("SMS_WEBHOOK_RETRY_DELAY")) * 2**i for i in range(retries))
    return float(get("SMS_WEBHOOK_TIMEOUT")) * (retries + 1) + delays
