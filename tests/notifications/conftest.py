"""Fixtures of the notification tests: a private SMS log, no quiet hours unless a test asks, a clean
broker pause, and the run's queue purged at the end (deliveries enqueued by tests without a worker)."""

import contextlib

import pytest

from notifications import services
from tests.notifications.sms_backends import RecordingSmsBackend


@pytest.fixture(autouse=True)
def _notification_settings(settings, tmp_path):
    settings.SMS_BACKEND = "notifications.channels.sms.FileSmsBackend"
    settings.SMS_FILE_PATH = str(tmp_path / "sms.log")
    # The real quiet hours would make results depend on the wall clock; test_quiet_hours sets them.
    settings.NOTIFICATIONS_QUIET_HOURS = ("00:00", "00:00")
    services._broker_paused_until = 0.0
    RecordingSmsBackend.reset()
    yield
    services._broker_paused_until = 0.0


@pytest.fixture(scope="session", autouse=True)
def _purge_test_queue():
    yield
    from django.conf import settings

    from windowsvc.celery import app

    with contextlib.suppress(Exception), app.connection_for_write() as connection:
        connection.default_channel.queue_purge(settings.CELERY_TASK_DEFAULT_QUEUE)


@pytest.fixture
def sms_log(settings):
    """The lines the file SMS backend wrote, parsed."""
    import json
    from pathlib import Path

    def read() -> list[dict]:
        path = Path(settings.SMS_FILE_PATH)
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    return read


@pytest.fixture
def gateway():
    from tests.notifications.webhook_server import SmsGateway

    server = SmsGateway(secret="test-webhook-secret")
    yield server
    server.close()


@pytest.fixture
def webhook_settings(settings, gateway):
    settings.SMS_BACKEND = "notifications.channels.sms.WebhookSmsBackend"
    settings.SMS_WEBHOOK_URL = gateway.url
    settings.SMS_WEBHOOK_SECRET = "test-webhook-secret"
    settings.SMS_WEBHOOK_TIMEOUT = 0.5
    settings.SMS_WEBHOOK_RETRIES = 2
    settings.SMS_WEBHOOK_RETRY_DELAY = 0.05
    return settings
