"""The outbox against real failures: Redis stopped at commit time, a worker process killed mid-send.

Real redis-server processes and real Celery worker processes; the SMS provider is the file backend (or a
real HTTP gateway on 127.0.0.1). SMS here are emergencies only so that the worker's quiet hours (its own
settings, the real clock) never hold them: quiet hours are covered in test_quiet_hours.py.
"""

import datetime as dt
import threading
import time

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from notifications.choices import Channel, Status, TemplateCode
from notifications.models import Notification
from notifications.services import notification_request
from notifications.tasks import deliver, relay_pending
from tests.fixtures.celery_worker import start_worker

from .local_redis import LocalRedis, celery_broker
from .webhook_server import Step

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

RECEIPT = {"tracking_number": "330681-20260305-0007", "query_code": "K7Q4M2"}


def _receipt(event_key: str = "case:7:event:1") -> Notification:
    return notification_request(
        event_key=event_key,
        template_code=TemplateCode.RECEIPT,
        channel=Channel.SMS,
        recipient_phone="13812345678",
        context=RECEIPT,
        emergency=True,
    )


def _wait_for(predicate, timeout: float = 30.0, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def _status(pk: int) -> str:
    return Notification.objects.values_list("status", flat=True).get(pk=pk)


def test_with_redis_stopped_a_request_commits_within_two_seconds_and_the_relay_delivers_it(
    tmp_path, settings, sms_log, caplog
):
    redis_server = LocalRedis(tmp_path / "redis").start()
    try:
        with celery_broker(redis_server.url) as app:
            redis_server.stop()

            started = time.monotonic()
            with transaction.atomic():
                notification = _receipt()
            elapsed = time.monotonic() - started

            assert elapsed < 2.0, f"the request waited {elapsed:.2f} s on a stopped Redis"
            assert "the relay sweep will deliver it" in caplog.text
            assert _status(notification.pk) == Status.PENDING

            redis_server.start()  # same port: Redis is back
            worker = start_worker(
                tmp_path,
                extra_env={
                    "REDIS_URL": redis_server.url,
                    "CELERY_BROKER_URL": redis_server.url,
                    "CELERY_RESULT_BACKEND": redis_server.url,
                    "SMS_FILE_PATH": settings.SMS_FILE_PATH,
                },
            )
            try:
                # The delivery was never enqueued: nothing happens until the relay runs.
                time.sleep(1.0)
                assert _status(notification.pk) == Status.PENDING
                app.send_task(relay_pending.name, ignore_result=True)  # what beat does every 30 s
                assert _wait_for(lambda: _status(notification.pk) == Status.SENT), worker.log()
            finally:
                worker.stop()
    finally:
        redis_server.stop()
    lines = sms_log()
    assert [line["idempotency_key"] for line in lines] == [str(notification.idempotency_key)]
    assert "Task notifications.tasks.relay_pending[" in worker.log()


def test_a_committed_request_is_delivered_by_the_worker_without_waiting_for_the_relay(
    tmp_path, settings, sms_log
):
    worker = start_worker(tmp_path, extra_env={"SMS_FILE_PATH": settings.SMS_FILE_PATH})
    try:
        with transaction.atomic():
            notification = _receipt()
            _receipt()  # the same event again inside the transaction
        assert _wait_for(lambda: _status(notification.pk) == Status.SENT), worker.log()
    finally:
        worker.stop()
    assert "Task notifications.tasks.deliver[" in worker.log()
    assert "Task notifications.tasks.relay_pending[" not in worker.log()
    assert len(sms_log()) == 1


def test_a_worker_killed_mid_send_does_not_cause_a_second_send(tmp_path, settings, sms_log):
    """Killed before the provider got the message: the lease keeps everyone off until it runs out, then
    exactly one send happens."""
    marker = tmp_path / "sending"
    worker = start_worker(
        tmp_path,
        extra_env={
            "SMS_BACKEND": "tests.notifications.sms_backends.SlowFileSmsBackend",
            "SMS_FILE_PATH": settings.SMS_FILE_PATH,
            "SLOW_SMS_MARKER": str(marker),
            "SLOW_SMS_SECONDS": "60",
        },
    )
    try:
        with transaction.atomic():
            notification = _receipt()
        assert _wait_for(marker.exists), worker.log()
    finally:
        worker.kill()

    notification.refresh_from_db()
    assert notification.status == Status.SENDING and notification.attempts == 1
    assert notification.lease_until > timezone.now()
    # The task redelivered to another worker, or a sweep, while the lease holds: nothing is sent.
    assert deliver(notification.pk) == "skipped"
    assert relay_pending() == {}
    assert sms_log() == []

    with time_machine.travel(notification.lease_until + dt.timedelta(seconds=1)):
        assert relay_pending() == {"sent": 1}
        assert relay_pending() == {}
    notification.refresh_from_db()
    assert notification.status == Status.SENT and notification.attempts == 2
    assert [line["idempotency_key"] for line in sms_log()] == [str(notification.idempotency_key)]


def test_a_worker_killed_after_the_gateway_accepted_is_deduplicated_by_the_idempotency_key(
    tmp_path, settings, gateway
):
    """The honest at-least-once case: the gateway got the message, the worker died before recording it.
    The retry after the lease carries the same Idempotency-Key, so a deduplicating provider sends once."""
    release = threading.Event()
    gateway.script(Step(200, hold=release))
    worker = start_worker(
        tmp_path,
        extra_env={
            "SMS_BACKEND": "notifications.channels.sms.WebhookSmsBackend",
            "SMS_WEBHOOK_URL": gateway.url,
            "SMS_WEBHOOK_SECRET": "test-webhook-secret",
            "SMS_WEBHOOK_TIMEOUT": "60",
        },
    )
    try:
        with transaction.atomic():
            notification = _receipt()
        assert gateway.state.received_event.wait(30), worker.log()
    finally:
        worker.kill()
        release.set()

    notification.refresh_from_db()
    assert notification.status == Status.SENDING
    settings.SMS_BACKEND = "notifications.channels.sms.WebhookSmsBackend"
    settings.SMS_WEBHOOK_URL = gateway.url
    settings.SMS_WEBHOOK_SECRET = "test-webhook-secret"
    with time_machine.travel(notification.lease_until + dt.timedelta(seconds=1)):
        assert relay_pending() == {"sent": 1}

    requests = gateway.requests
    assert len(requests) == 2 and all(r.signature_ok for r in requests)
    assert {r.idempotency_key for r in requests} == {str(notification.idempotency_key)}
    assert len(gateway.state.delivered) == 1  # the provider delivered one SMS
    notification.refresh_from_db()
    assert notification.status == Status.SENT and notification.provider_message_id == "gw-1"
