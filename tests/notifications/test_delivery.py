"""Delivery: claims with a lease, backoff and dead letters, resend, concurrent sweeps, e-mail."""

import datetime as dt
import threading

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.utils import timezone

from notifications.choices import Channel, Status, TemplateCode
from notifications.delivery import claim, deliver_claimed, deliver_notification, relay_pending
from notifications.models import Notification
from notifications.services import notification_request, notification_resend
from tests.factories import ChannelPreferenceFactory, UserFactory

from .sms_backends import RecordingSmsBackend

RECEIPT = {"tracking_number": "330681-20260305-0001", "query_code": "K7Q4M2"}
RECORDING = "tests.notifications.sms_backends.RecordingSmsBackend"


def _sms(n: int = 1, **overrides) -> Notification:
    kwargs = {
        "event_key": f"case:{n}:event:1",
        "template_code": TemplateCode.RECEIPT,
        "channel": Channel.SMS,
        "recipient_phone": f"1380000{n:04d}",
        "context": RECEIPT,
    }
    return notification_request(**{**kwargs, **overrides})


@pytest.mark.django_db
def test_deliver_sends_once_and_records_the_provider_id(settings):
    settings.SMS_BACKEND = RECORDING
    notification = _sms()
    assert deliver_notification(notification.pk) == "sent"
    assert deliver_notification(notification.pk) == "skipped"
    notification.refresh_from_db()
    assert notification.status == Status.SENT and notification.attempts == 1
    assert notification.provider_message_id == "rec-1"
    assert notification.claim_token is None and notification.lease_until is None
    assert [m.idempotency_key for m in RecordingSmsBackend.sent] == [str(notification.idempotency_key)]
    assert RecordingSmsBackend.sent[0].phone == "13800000001"
    assert RecordingSmsBackend.sent[0].params == RECEIPT


@pytest.mark.django_db
def test_a_claim_is_exclusive_until_its_lease_runs_out(settings):
    settings.SMS_BACKEND = RECORDING
    settings.NOTIFICATIONS_LEASE_SECONDS = 120
    notification = _sms()
    first = claim(notification.pk)
    assert first is not None
    assert claim(notification.pk) is None  # held
    assert relay_pending() == {}
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=121)):
        # The first holder is presumed dead: a sweep takes over, with a new token.
        assert relay_pending() == {"sent": 1}
        # The old holder wakes up late: its token no longer matches, it sends nothing.
        assert deliver_claimed(first) == "skipped"
    assert len(RecordingSmsBackend.sent) == 1
    notification.refresh_from_db()
    assert notification.attempts == 2 and notification.status == Status.SENT


@pytest.mark.django_db
def test_transient_failures_back_off_exponentially_then_go_dead_and_can_be_resent(settings):
    settings.SMS_BACKEND = "tests.notifications.sms_backends.TransientFailureSmsBackend"
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 3
    settings.NOTIFICATIONS_BACKOFF_SECONDS = 60
    notification = _sms()
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        assert deliver_notification(notification.pk) == "retry"
        notification.refresh_from_db()
        assert notification.status == Status.PENDING and notification.attempts == 1
        assert notification.next_attempt_at == start + dt.timedelta(seconds=60)
        assert "provider unavailable" in notification.last_error
        assert relay_pending() == {}  # not due yet

        traveller.shift(60)
        assert relay_pending() == {"retry": 1}
        notification.refresh_from_db()
        assert notification.next_attempt_at == start + dt.timedelta(seconds=60 + 120)

        traveller.shift(120)
        assert relay_pending() == {"dead": 1}
        notification.refresh_from_db()
        assert notification.status == Status.DEAD and notification.attempts == 3

        traveller.shift(3600)
        assert relay_pending() == {}  # dead rows stay dead

        settings.SMS_BACKEND = RECORDING
        assert notification_resend(notification_ids=[notification.pk]) == 1
        notification.refresh_from_db()
        assert notification.status == Status.PENDING and notification.attempts == 0
        assert relay_pending() == {"sent": 1}
    assert len(RecordingSmsBackend.sent) == 1


@pytest.mark.django_db
def test_backoff_is_capped(settings):
    from notifications.delivery import backoff_delay

    settings.NOTIFICATIONS_BACKOFF_SECONDS = 60
    settings.NOTIFICATIONS_BACKOFF_MAX_SECONDS = 3600
    assert [backoff_delay(n).total_seconds() for n in (1, 2, 3, 6, 7, 20)] == [60, 120, 240, 1920, 3600, 3600]


@pytest.mark.django_db
def test_a_permanent_refusal_fails_at_once_and_only_dead_or_failed_rows_are_resent(settings):
    settings.SMS_BACKEND = "tests.notifications.sms_backends.RefusingSmsBackend"
    refused = _sms(1)
    pending = _sms(2)
    assert deliver_notification(refused.pk) == "failed"
    refused.refresh_from_db()
    assert (
        refused.status == Status.FAILED and refused.attempts == 1 and refused.last_error == "invalid number"
    )
    # Personal data stays while the message may still be resent.
    assert refused.recipient_address == "13800000001"
    assert notification_resend(notification_ids=[refused.pk, pending.pk]) == 1
    pending.refresh_from_db()
    assert pending.status == Status.PENDING and pending.attempts == 0


@pytest.mark.django_db
def test_an_unexpected_error_is_retried_not_lost(settings):
    settings.SMS_BACKEND = "tests.notifications.sms_backends.CrashingSmsBackend"
    notification = _sms()
    assert deliver_notification(notification.pk) == "retry"
    notification.refresh_from_db()
    assert notification.status == Status.PENDING and "RuntimeError: boom" in notification.last_error


@pytest.mark.django_db
def test_a_row_interrupted_on_every_attempt_ends_dead(settings):
    settings.SMS_BACKEND = RECORDING
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 2
    settings.NOTIFICATIONS_LEASE_SECONDS = 10
    notification = _sms()
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        assert claim(notification.pk) is not None  # worker 1 dies
        traveller.shift(11)
        assert claim(notification.pk) is not None  # worker 2 dies
        traveller.shift(11)
        assert relay_pending() == {"dead": 1}
    notification.refresh_from_db()
    assert notification.status == Status.DEAD and RecordingSmsBackend.sent == []


@pytest.mark.django_db
def test_staff_sms_uses_the_preference_phone_and_fails_without_one(settings):
    settings.SMS_BACKEND = RECORDING
    with_phone = ChannelPreferenceFactory(sms_enabled=True, phone="13700000009").user
    without = UserFactory(with_email=True)
    rows = [
        notification_request(
            event_key="case:3:event:1",
            template_code=TemplateCode.URGE,
            channel=Channel.SMS,
            recipient_user_id=user.pk,
            context={"tracking_number": "T-3", "deadline": "2026-03-12 17:30"},
        )
        for user in (with_phone, without)
    ]
    assert [deliver_notification(row.pk) for row in rows] == ["sent", "failed"]
    assert [m.phone for m in RecordingSmsBackend.sent] == ["13700000009"]


@pytest.mark.django_db
def test_email_goes_out_as_text_and_html_in_the_users_language(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    user = ChannelPreferenceFactory(language="en", user__email="li@example.gov.cn").user
    row = notification_request(
        event_key="case:4:event:2",
        template_code=TemplateCode.SUPERVISE,
        channel=Channel.EMAIL,
        recipient_user_id=user.pk,
        language="en",
        context={
            "tracking_number": "T-4",
            "deadline": "2026-03-20 17:30",
            "note": "<b>now</b>",
            "url": "/cases/4/",
        },
    )
    assert deliver_notification(row.pk) == "sent"
    (message,) = mail.outbox
    assert message.to == ["li@example.gov.cn"]
    assert message.subject == "Supervision order: T-4"
    assert "report by 2026-03-20 17:30" in message.body and "/cases/4/" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert 'lang="en"' in html and "&lt;b&gt;now&lt;/b&gt;" in html and 'href="/cases/4/"' in html


@pytest.mark.django_db
def test_email_to_a_user_without_an_address_fails_permanently(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    user = UserFactory(email="")
    row = notification_request(
        event_key="case:5:event:1",
        template_code=TemplateCode.URGE,
        channel=Channel.EMAIL,
        recipient_user_id=user.pk,
        context={"tracking_number": "T-5", "deadline": "2026-03-12"},
    )
    assert deliver_notification(row.pk) == "failed"
    assert mail.outbox == []


def _run_in_threads(target, count: int):
    barrier = threading.Barrier(count)
    results, failures = [None] * count, []

    def run(index):
        try:
            barrier.wait(timeout=10)
            results[index] = target()
        except Exception as exc:
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    return results


@pytest.mark.django_db(transaction=True)
def test_two_relay_sweeps_at_once_never_send_a_row_twice(settings):
    settings.SMS_BACKEND = RECORDING
    RecordingSmsBackend.reset(delay=0.02)
    rows = [_sms(n) for n in range(1, 41)]

    results = _run_in_threads(lambda: relay_pending(batch_size=5), 2)

    keys = [m.idempotency_key for m in RecordingSmsBackend.sent]
    assert sorted(keys) == sorted(str(r.idempotency_key) for r in rows)  # each exactly once
    assert sum(r.get("sent", 0) for r in results) == 40
    # Both sweeps really worked side by side (SKIP LOCKED let each take its own batches).
    assert all(r.get("sent", 0) > 0 for r in results)
    assert Notification.objects.filter(status=Status.SENT).count() == 40


@pytest.mark.django_db(transaction=True)
def test_two_deliveries_of_one_row_at_once_send_it_once(settings):
    settings.SMS_BACKEND = RECORDING
    RecordingSmsBackend.reset(delay=0.2)
    notification = _sms()
    results = _run_in_threads(lambda: deliver_notification(notification.pk), 4)
    assert sorted(results) == ["sent", "skipped", "skipped", "skipped"]
    assert len(RecordingSmsBackend.sent) == 1
